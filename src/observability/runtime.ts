/**
 * The worker's Temporal runtime: the SDK's structured logger at FLORA_LOG_LEVEL and, when
 * FLORA_METRICS_PORT is set, the runtime's Prometheus endpoint, which also serves our own counters.
 */
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { ObservabilityEnv } from './env';

export function installWorkerRuntime(config: ObservabilityEnv): Runtime {
  const level: LogLevel = config.FLORA_LOG_LEVEL;
  return Runtime.install({
    logger: new DefaultLogger(level),
    telemetryOptions: {
      logging: {
        filter: { core: level === 'TRACE' || level === 'DEBUG' ? 'INFO' : 'WARN', other: 'ERROR' },
        forward: {},
      },
      ...(config.FLORA_METRICS_PORT !== undefined
        ? {
            metrics: {
              prometheus: { bindAddress: `${config.FLORA_METRICS_HOST}:${config.FLORA_METRICS_PORT}` },
            },
          }
        : {}),
    },
  });
}
