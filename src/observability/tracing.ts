/**
 * OpenTelemetry tracing through `@temporalio/interceptors-opentelemetry`, on when an OTLP endpoint is
 * configured (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT): workflow, activity and
 * client spans, exported over OTLP/HTTP.
 */
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { WorkerOptions } from '@temporalio/worker';
import type { ObservabilityEnv } from './env';

export interface Tracing {
  /** Worker options to merge: sinks and interceptors. */
  workerOptions: Pick<WorkerOptions, 'sinks' | 'interceptors'>;
  /** Flushes spans still buffered. */
  shutdown: () => Promise<void>;
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
    workerOptions: {
      sinks: { exporter: makeWorkflowExporter(processor, resource) },
      interceptors: {
        workflowModules: [
          require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'),
        ],
        activity: [
          (ctx) => ({
            inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
            outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
          }),
        ],
      },
    },
    shutdown: () => provider.shutdown(),
  };
}
