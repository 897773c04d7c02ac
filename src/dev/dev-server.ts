/**
 * The demo's embedded Temporal server (and the bench's, and the chaos harness's arguments):
 * `temporal server start-dev` run as a child process, found by `resolveTemporalCli` (TEMPORAL_CLI_PATH, PATH, the cache, or `go install`). Unlike the tests' server
 * (test-server.ts), it needs no `@temporalio/testing`, so `flora-temporal demo` works from an installed
 * package without a dev-only install. Without a CLI it falls back to the SDK's own download, which
 * does need `@temporalio/testing`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { startDevSearchAttributeArgs } from '../domain/search-attribute-keys';
import { cacheDir, resolveTemporalCli } from './temporal-cli';
import { startLocalTemporal } from './test-server';

export interface EmbeddedTemporal {
  /** host:port of the frontend. */
  address: string;
  namespace: string;
  /** Stops the server (and waits for it to exit). */
  teardown(): Promise<void>;
}

export interface EmbeddedTemporalOptions {
  /** Build the CLI with `go install` if it is missing. @default true */
  install?: boolean;
  log?: (line: string) => void;
  /** The server's own output goes to a log file in the cache directory instead of stderr. @default false */
  quiet?: boolean;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

/** The loopback ports a dev server listens on: its gRPC frontend, its HTTP API and its metrics. */
export interface DevServerPorts {
  port: number;
  httpPort: number;
  metricsPort: number;
}

/** Three free loopback ports (each bound on port 0, then released), so no dev server collides with another. */
export async function freeDevServerPorts(): Promise<DevServerPorts> {
  const [port, httpPort, metricsPort] = await Promise.all([freePort(), freePort(), freePort()]);
  return { port, httpPort, metricsPort };
}

/**
 * The `temporal server start-dev` arguments of every dev server this project starts (the demo's, the
 * bench's, the chaos harness's): loopback only, no UI, quiet, the `default` namespace, flora's search attributes
 * registered from the start. With `dbFilename` the server keeps its state in that SQLite file, so it can
 * be killed and started again on the same state; without it, state lives in memory. `dynamicConfig` adds
 * `--dynamic-config-value` pairs (bench experiments, bench/cpu-load.ts); the server ignores unknown keys.
 */
export function startDevArgs(
  ports: DevServerPorts,
  options: { dbFilename?: string; dynamicConfig?: Record<string, string | number | boolean> } = {},
): string[] {
  const dynamicConfig = options.dynamicConfig ?? {};
  return [
    'server',
    'start-dev',
    '--headless',
    '--ip',
    '127.0.0.1',
    '--port',
    String(ports.port),
    '--http-port',
    String(ports.httpPort),
    '--metrics-port',
    String(ports.metricsPort),
    ...(options.dbFilename ? ['--db-filename', options.dbFilename] : []),
    '--namespace',
    'default',
    '--log-level',
    'error',
    ...startDevSearchAttributeArgs(),
    ...Object.entries(dynamicConfig).flatMap(([key, value]) => [
      '--dynamic-config-value',
      `${key}=${JSON.stringify(value)}`,
    ]),
  ];
}

/** Resolves once the frontend answers; rejects when the process exits first or `timeoutMs` passes. */
async function waitUntilServing(address: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(
        `the Temporal dev server exited while starting (${child.exitCode ?? child.signalCode})`,
      );
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2_000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      last = err;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  throw new Error(
    `the Temporal dev server did not answer at ${address} within ${timeoutMs} ms: ${String(last)}`,
  );
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** A running `temporal server start-dev` child process. */
export interface DevServerProcess {
  /** host:port of the frontend. */
  address: string;
  /** The server's process id (the bench reads its CPU time and peak RSS). */
  pid: number;
  /** Stops the server (SIGTERM, SIGKILL after 5 s) and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Starts the CLI at `cliPath` as a dev server on free loopback ports with flora's search attributes, in
 * memory (`startDevArgs`), and resolves once it answers. Its own output goes to stderr, or with `quiet`
 * to a log file in the cache directory.
 */
export async function spawnDevServer(
  cliPath: string,
  options: { quiet?: boolean; dynamicConfig?: Record<string, string | number | boolean> } = {},
): Promise<DevServerProcess> {
  const ports = await freeDevServerPorts();
  const address = `127.0.0.1:${ports.port}`;
  const args = startDevArgs(ports, options.dynamicConfig ? { dynamicConfig: options.dynamicConfig } : {});
  const child = spawn(cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) {
    // spawn reports a missing or unrunnable executable as an 'error' event, with no pid.
    const err = await new Promise<Error>((resolve) => child.once('error', resolve));
    throw new Error(`could not start the Temporal dev server ${cliPath}: ${err.message}`);
  }
  const pid = child.pid;
  // The banner and start-up lines stay off stdout (a `--json` demo prints one object there).
  if (options.quiet) {
    await mkdir(cacheDir(), { recursive: true });
    const logFile = createWriteStream(join(cacheDir(), 'dev-server.log'), { flags: 'a' });
    child.stdout?.pipe(logFile);
    child.stderr?.pipe(logFile);
  } else {
    child.stdout?.pipe(process.stderr);
    child.stderr?.pipe(process.stderr);
  }
  try {
    await waitUntilServing(address, child, 60_000);
  } catch (err) {
    await stop(child);
    throw err;
  }
  return { address, pid, stop: () => stop(child) };
}

/** A dev server on free loopback ports with flora's search attributes, in memory, gone on teardown. */
export async function startEmbeddedTemporal(
  options: EmbeddedTemporalOptions = {},
): Promise<EmbeddedTemporal> {
  const cli = await resolveTemporalCli({ install: options.install ?? true, log: options.log });
  if (!cli) {
    // No CLI and no Go: the SDK downloads its own dev server (needs the optional @temporalio/testing).
    const env = await startLocalTemporal({ log: options.log, quiet: options.quiet });
    return { address: env.address, namespace: env.namespace ?? 'default', teardown: () => env.teardown() };
  }
  const server = await spawnDevServer(cli.path, { quiet: options.quiet });
  return { address: server.address, namespace: 'default', teardown: () => server.stop() };
}
