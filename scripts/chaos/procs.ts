/**
 * Child processes for the chaos harness: spawned with their output captured (the secrets row reads it
 * all back), signalled by pid, and waited for. Nothing here is killed by name.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  readonly startedAtMs: number;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or the signal's name) once the process has ended. */
  readonly exited: Promise<number | string>;
  /** Resolves when a line of output matches, rejects when the process ends first or after timeoutMs. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  kill(signal: NodeJS.Signals): void;
  alive(): boolean;
}

/** Every process the harness started and has not seen exit, so a crash of the harness still cleans up. */
const live = new Set<Proc>();

export function spawnProc(
  name: string,
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; onLine?: (line: string) => void } = {},
): Proc {
  const child = spawn(command, args, {
    env: options.env ?? process.env,
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: string[] = [];
  const waiters = new Set<(line: string) => void>();
  let partial = '';
  const onData = (data: Buffer): void => {
    const text = data.toString('utf8');
    chunks.push(text);
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      options.onLine?.(line);
      for (const w of [...waiters]) w(line);
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  let ended = false;
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => {
      ended = true;
      resolve(code ?? signal ?? 'unknown');
    });
    child.on('error', (err) => {
      chunks.push(`spawn error: ${err.message}\n`);
      ended = true;
      resolve('spawn-error');
    });
  });
  const proc: Proc = {
    name,
    child,
    startedAtMs: Date.now(),
    exited,
    output: () => chunks.join(''),
    alive: () => !ended,
    kill(signal) {
      if (!ended && child.pid !== undefined) {
        try {
          process.kill(child.pid, signal);
        } catch {
          // already gone
        }
      }
    },
    waitFor(pattern, timeoutMs) {
      const already = chunks.join('').match(pattern);
      if (already) return Promise.resolve(already);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`${name}: no output matching ${pattern} within ${timeoutMs} ms:\n${tail(proc)}`));
        }, timeoutMs);
        const check = (line: string): void => {
          const m = line.match(pattern);
          if (!m) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(m);
        };
        waiters.add(check);
        void exited.then((code) => {
          if (!waiters.has(check)) return;
          clearTimeout(timer);
          waiters.delete(check);
          reject(new Error(`${name} exited (${code}) before printing ${pattern}:\n${tail(proc)}`));
        });
      });
    },
  };
  live.add(proc);
  void exited.then(() => live.delete(proc));
  return proc;
}

function tail(proc: Proc): string {
  return proc.output().split('\n').slice(-15).join('\n');
}

/** SIGTERM, then SIGKILL after graceMs; resolves once the process is gone. */
export async function stopProc(proc: Proc, graceMs = 10_000): Promise<void> {
  if (!proc.alive()) return;
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
  await proc.exited;
  clearTimeout(timer);
}

/** Kills (SIGKILL) every process this harness started that is still running. */
export async function killAll(): Promise<void> {
  const procs = [...live];
  for (const p of procs) p.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
}

/** A free TCP port on 127.0.0.1 (bound on port 0, then released) for servers that need a fixed port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A free port below 32768: Temporal stores membership ports in a PostgreSQL smallint. */
export async function freeLowPort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
