/**
 * Runs the simulator as a standalone process (the CLI wiring lives elsewhere), so a demo or a
 * benchmark in another process can point at it and drive it through /_sim.
 */
import type { IdempotencyMode } from './schemas';
import { startSimulator } from './server';
import { SIMULATOR_TLS_CERT, SIMULATOR_TLS_KEY } from './tls';
import type { FloraSimulator } from './types';

export interface SimulatorCliOptions {
  port: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 1500. */
  runDurationMs?: number;
  /** Default 'replay'. */
  idempotency?: IdempotencyMode;
  /** How long a create takes to process, in ms; default 0. */
  createLatencyMs?: number;
  /** Default 1. */
  seed?: number;
  /**
   * Serve output files at /files and point output URLs there, over https with the loopback certificate
   * of ./tls (FLORA's inputs are https-only, so chained steps need https URLs); default false.
   */
  serveFiles?: boolean;
  /** Serve the /_sim control plane to loopback callers; default false. */
  control?: boolean;
  /** API requests per second per workspace; default no limit. */
  rateLimitPerSecond?: number;
  /** Log one line per request to stderr; default false (benchmarks would pay for it). */
  verbose?: boolean;
}

export async function runSimulatorFromCli(opts: SimulatorCliOptions): Promise<FloraSimulator> {
  const sim = await startSimulator({
    port: opts.port,
    ...(opts.host !== undefined ? { host: opts.host } : {}),
    ...(opts.runDurationMs !== undefined ? { runDurationMs: opts.runDurationMs } : {}),
    ...(opts.idempotency !== undefined ? { idempotency: opts.idempotency } : {}),
    ...(opts.createLatencyMs !== undefined ? { createLatencyMs: opts.createLatencyMs } : {}),
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    ...(opts.serveFiles !== undefined ? { serveFiles: opts.serveFiles } : {}),
    ...(opts.serveFiles ? { filesTls: { key: SIMULATOR_TLS_KEY, cert: SIMULATOR_TLS_CERT } } : {}),
    ...(opts.control !== undefined ? { control: opts.control } : {}),
    ...(opts.rateLimitPerSecond !== undefined ? { rateLimitPerSecond: opts.rateLimitPerSecond } : {}),
    ...(opts.verbose ? { log: (line: string) => process.stderr.write(`${line}\n`) } : {}),
  });
  process.stderr.write(
    `FLORA simulator listening on ${sim.baseUrl} (API key: ${sim.apiKey})` +
      (opts.control
        ? `; control plane on ${sim.baseUrl.replace(/\/api\/v1$/, '/_sim')} (loopback only)`
        : '') +
      '\n',
  );

  const stop = (): void => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    sim.close().then(
      // Exit 0: a signalled shutdown that closed cleanly is a success for scripts and harnesses.
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`FLORA simulator: error while closing: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return sim;
}
