import { z } from 'zod';
import { ConfigError, describeEnvError, emptyToUndefined } from '../flora/config';

export const ObservabilityEnv = z.object({
  /** Serve the SDK runtime's Prometheus metrics (and ours) on this port. @default off */
  FLORA_METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  /** Address the metrics endpoint binds. @default 0.0.0.0 */
  FLORA_METRICS_HOST: z.string().trim().min(1).default('0.0.0.0'),
  /** Worker log level. @default INFO */
  FLORA_LOG_LEVEL: z
    .enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'], {
      error: 'expected TRACE, DEBUG, INFO, WARN or ERROR',
    })
    .default('INFO'),
  /** OTLP/HTTP endpoint for traces (the standard OpenTelemetry variables). @default tracing off */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url().optional(),
  OTEL_SERVICE_NAME: z.string().trim().min(1).default('flora-temporal-worker'),
});
export type ObservabilityEnv = z.infer<typeof ObservabilityEnv>;

export function observabilityFromEnv(env: NodeJS.ProcessEnv = process.env): ObservabilityEnv {
  const parsed = ObservabilityEnv.safeParse(emptyToUndefined(env));
  if (!parsed.success)
    throw new ConfigError(`Invalid observability configuration: ${describeEnvError(parsed.error)}`);
  return parsed.data;
}
