/**
 * The worker's Temporal runtime: the SDK's structured logger at FLORA_LOG_LEVEL and, when
 * FLORA_METRICS_PORT is set, the runtime's Prometheus endpoint, which also serves our own counters.
 */
import { inspect } from 'node:util';
import { DefaultLogger, Runtime, type LogEntry, type LogLevel } from '@temporalio/worker';

/**
 * One line per record (the SDK's default spreads each record's fields over several lines, so a quiet
 * worker start took thirty): `time [LEVEL] message { fields }`, easy to grep and to ship.
 */
export function oneLineLog(entry: LogEntry): void {
  const time = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
  const meta =
    entry.meta === undefined
      ? ''
      : ` ${inspect(entry.meta, { breakLength: Infinity, compact: true, depth: 4 })}`;
  process.stderr.write(`${time} [${entry.level}] ${entry.message}${meta}\n`);
}
import type { ObservabilityEnv } from './env';

export function installWorkerRuntime(config: ObservabilityEnv): Runtime {
  const level: LogLevel = config.FLORA_LOG_LEVEL;
  return Runtime.install({
    logger: new DefaultLogger(level, oneLineLog),
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
