/** `flora-temporal simulator`: the FLORA simulator as a standalone HTTP server. */
import { Option, type Command } from 'commander';
import type * as SimulatorMain from '../../simulator/main';
import { parseInteger } from '../parse';
import type { CliContext } from '../support';

export function registerSimulator(program: Command, _ctx: CliContext): void {
  program
    .command('simulator')
    .description('run the FLORA simulator (an HTTP server implementing the FLORA API) for demos and tests')
    .option('--port <n>', 'port to listen on', parseInteger('--port', 0, 65535), 8787)
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option(
      '--run-duration-ms <ms>',
      'how long a run takes',
      parseInteger('--run-duration-ms', 0, 3_600_000),
      8000,
    )
    .addOption(
      new Option('--idempotency <mode>', 'duplicate-key behaviour')
        .choices(['replay', 'conflict'])
        .default('replay'),
    )
    .option('--serve-files', 'serve output files itself (outputs then point at this simulator over http)')
    .option('--control', 'serve the /_sim control plane (faults, stats, request log) to loopback callers')
    .option(
      '--rate-limit <n>',
      'API requests per second per workspace (429 beyond)',
      parseInteger('--rate-limit', 1, 100_000),
    )
    .action(
      async (opts: {
        port: number;
        host: string;
        runDurationMs: number;
        idempotency: 'replay' | 'conflict';
        serveFiles?: boolean;
        control?: boolean;
        rateLimit?: number;
      }) => {
        // Loaded on use: `--help` must not load the simulator's server.
        const { runSimulatorFromCli } = require('../../simulator/main') as typeof SimulatorMain;
        const { rateLimit, ...rest } = opts;
        await runSimulatorFromCli({
          ...rest,
          ...(rateLimit !== undefined ? { rateLimitPerSecond: rateLimit } : {}),
        });
      },
    );
}
