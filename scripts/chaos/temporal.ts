/**
 * The Temporal server for a chaos run, as a child process the harness can SIGKILL and start again on
 * the same ports and the same persistence: the dev server with its SQLite file (`--db-filename`), or
 * (temporal-postgres.ts) a production-style server with PostgreSQL.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { freeDevServerPorts, startDevArgs } from '../../src/dev/dev-server';
import { resolveTemporalCli } from '../../src/dev/temporal-cli';
import { sleep, spawnProc, stopProc, type Proc } from './procs';

export interface TemporalServer {
  readonly address: string;
  readonly kind: string;
  /** SIGKILL, as a crash: nothing is flushed. */
  crash(): Promise<void>;
  /** Starts it again on the same address and persistence; resolves once it answers. */
  restart(): Promise<void>;
  stop(): Promise<void>;
  /** Everything the server processes printed (for the secrets row). */
  output(): string;
  /** False once stopped (or crashed and not restarted): its histories can no longer be read. */
  running(): boolean;
}

/** Resolves once a frontend at `address` answers a system-info call. */
export async function waitForTemporal(address: string, timeoutMs: number, proc?: Proc): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    if (proc && !proc.alive())
      throw new Error(`Temporal exited while starting:\n${proc.output().slice(-2000)}`);
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
      await sleep(500);
    }
  }
  throw new Error(`Temporal at ${address} did not answer within ${timeoutMs} ms: ${String(last)}`);
}

export async function startDevServer(log: (line: string) => void): Promise<TemporalServer> {
  const cli = await resolveTemporalCli({ install: true, log });
  if (!cli) throw new Error('No Temporal CLI (run `npx tsx scripts/ensure-temporal-cli.ts`)');
  const dir = await mkdtemp(join(tmpdir(), 'flora-chaos-temporal-'));
  const dbFile = join(dir, 'temporal.sqlite');
  const ports = await freeDevServerPorts();
  const address = `127.0.0.1:${ports.port}`;
  // The SQLite file keeps the server's state across a crash and restart.
  const args = startDevArgs(ports, { dbFilename: dbFile });
  const outputs: string[] = [];
  let proc = spawnProc('temporal-dev', cli.path, args);
  await waitForTemporal(address, 60_000, proc);
  return {
    address,
    kind: 'dev server (SQLite file)',
    async crash() {
      proc.kill('SIGKILL');
      await proc.exited;
    },
    async restart() {
      outputs.push(proc.output());
      proc = spawnProc('temporal-dev', cli.path, args);
      await waitForTemporal(address, 60_000, proc);
    },
    async stop() {
      await stopProc(proc, 5_000);
    },
    output: () => outputs.join('') + proc.output(),
    running: () => proc.alive(),
  };
}
