/**
 * OpenTelemetry tracing through `@temporalio/interceptors-opentelemetry`'s `OpenTelemetryPlugin`, on when
 * an OTLP endpoint is configured (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT):
 * workflow, activity and client spans, exported over OTLP/HTTP.
 *
 * The plugin is the SDK's public way to name its workflow interceptors module (no deep import of the
 * package's `lib/` files here). Workflow interceptors live inside the workflow bundle: `npm run build`
 * makes a second prebuilt bundle with them (dist/workflow-bundle-tracing.js), which `createFloraWorker`
 * picks when the worker carries this plugin, so a traced worker starts without bundling too.
 */
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OpenTelemetryPlugin } from '@temporalio/interceptors-opentelemetry';
import type { WorkerOptions } from '@temporalio/worker';
import type { ObservabilityEnv } from './env';

export interface Tracing {
  /** Worker options to merge: the OpenTelemetry plugin (interceptors and the workflow span sink). */
  workerOptions: Pick<WorkerOptions, 'plugins'>;
  /** Flushes spans still buffered. */
  shutdown: () => Promise<void>;
}

/** True for the OpenTelemetry plugin, whose workflow interceptors the tracing prebuilt bundle carries. */
export function isTracingPlugin(plugin: unknown): boolean {
  return plugin instanceof OpenTelemetryPlugin;
}

export function tracingFromEnv(config: ObservabilityEnv): Tracing | undefined {
  const endpoint = config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? config.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (endpoint === undefined) return undefined;
  const url = config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? `${endpoint.replace(/\/+$/, '')}/v1/traces`;
  const resource = new Resource({ 'service.name': config.OTEL_SERVICE_NAME });
  const processor = new BatchSpanProcessor(new OTLPTraceExporter({ url }), { scheduledDelayMillis: 1000 });
  const provider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
  provider.register();
  return {
    workerOptions: { plugins: [new OpenTelemetryPlugin({ spanProcessor: processor, resource })] },
    shutdown: () => provider.shutdown(),
  };
}
