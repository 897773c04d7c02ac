/** `flora-temporal simulator`: the FLORA simulator as a standalone HTTP server. */
import { Option, type Command } from 'commander';
import type * as SimulatorMain from '../../simulator/main';
import type * as SimulatorTls from '../../simulator/tls';
import { parseInteger } from '../parse';
import { json, type CliContext } from '../support';

export function registerSimulator(program: Command, { io }: CliContext): void {
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
      new Option(
        '--idempotency <mode>',
        'duplicate-key behaviour (non-atomic: a same-key create during the first one makes a second run)',
      )
        .choices(['replay', 'conflict', 'non-atomic'])
        .default('replay'),
    )
    .option(
      '--create-latency-ms <ms>',
      'how long FLORA takes to process a create',
      parseInteger('--create-latency-ms', 0, 600_000),
    )
    .option(
      '--serve-files',
      'serve output files itself, over https with a loopback-only certificate (the export line trusts it)',
    )
    .option('--json', 'print the settings as one JSON object on stdout instead of the export line')
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
        idempotency: 'replay' | 'conflict' | 'non-atomic';
        createLatencyMs?: number;
        serveFiles?: boolean;
        control?: boolean;
        rateLimit?: number;
        json?: boolean;
      }) => {
        // Loaded on use: `--help` must not load the simulator's server.
        const { runSimulatorFromCli } = require('../../simulator/main') as typeof SimulatorMain;
        const { rateLimit, json: asJson, ...rest } = opts;
        const sim = await runSimulatorFromCli({
          ...rest,
          ...(rateLimit !== undefined ? { rateLimitPerSecond: rateLimit } : {}),
        });
        // One line that points every command (worker, run, status, ...) at this simulator and at Temporal;
        // with --serve-files it also makes them trust the files' loopback certificate (read at start-up).
        const env: Record<string, string> = {
          FLORA_BASE_URL: sim.baseUrl,
          FLORA_API_KEY: sim.apiKey,
          TEMPORAL_ADDRESS: io.env.TEMPORAL_ADDRESS || 'localhost:7233',
        };
        if (opts.serveFiles) {
          const { writeSimulatorCaFile } = require('../../simulator/tls') as typeof SimulatorTls;
          env.NODE_EXTRA_CA_CERTS = await writeSimulatorCaFile(io.env.NODE_EXTRA_CA_CERTS);
        }
        io.stdout(
          asJson
            ? json({ baseUrl: sim.baseUrl, apiKey: sim.apiKey, env })
            : `export ${Object.entries(env)
                .map(([name, value]) => `${name}=${value}`)
                .join(' ')}\n`,
        );
      },
    );
}
