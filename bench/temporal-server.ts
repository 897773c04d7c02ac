/**
 * A Temporal dev server in its own process, started directly (not through the SDK's test environment)
 * so the bench knows its pid and can read its CPU time and peak RSS.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Connection } from '@temporalio/client';
import { resolveTemporalCli } from '../src/dev/temporal-cli';
import { FLORA_SEARCH_ATTRIBUTES } from '../src/domain/search-attribute-keys';

export interface DevServer {
  address: string;
  pid: number;
  stop(): Promise<void>;
}

/** A free loopback port: the CLI needs a number, so bind port 0, read it, release it. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** KEYWORD_LIST → KeywordList, as the CLI spells attribute types. */
function cliType(type: string): string {
  return type
    .toLowerCase()
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}

async function waitUntilServing(address: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`dev server exited with code ${child.exitCode}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2_000 });
      await connection.workflowService.getSystemInfo({});
      await connection.close();
      return;
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(`dev server not serving after ${timeoutMs} ms: ${String(err)}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

export async function startDevServer(): Promise<DevServer> {
  const cli = await resolveTemporalCli({ install: true });
  if (!cli) throw new Error('No Temporal CLI: run `npx tsx scripts/ensure-temporal-cli.ts` first');
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const args = ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port)];
  args.push('--log-level', 'error');
  for (const key of FLORA_SEARCH_ATTRIBUTES)
    args.push('--search-attribute', `${key.name}=${cliType(key.type)}`);
  const child = spawn(cli.path, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  if (child.pid === undefined) throw new Error('could not start the dev server');
  const pid = child.pid;
  await waitUntilServing(address, child, 60_000);
  return {
    address,
    pid,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}
