import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Harness, RunningWorker } from './env';

/**
 * The CLI's entry, run from source through tsx so tests exercise the code as it is (bin/flora-temporal.js
 * runs the compiled dist/, which test/package.test.ts checks from an installed tarball).
 */
export const BIN = join(__dirname, '..', '..', 'src', 'bin.ts');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI in a child process with the given environment (on top of a clean one). */
export function runCli(args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args, env);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`flora-temporal ${args.join(' ')} timed out; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export function spawnCli(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--require', 'tsx/cjs', BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/**
 * The environment a CLI command needs to reach the file's dev server and worker, and nothing else: no
 * FLORA settings, so a command that calls FLORA anyway fails.
 */
export function temporalEnv(h: Harness, worker: RunningWorker): Record<string, string> {
  return { TEMPORAL_ADDRESS: h.env.address, FLORA_TASK_QUEUE: worker.taskQueue };
}

/** `temporalEnv` plus the namespace and the harness's simulator as FLORA (URL and API key). */
export function cliEnv(h: Harness, worker: RunningWorker): Record<string, string> {
  return {
    ...temporalEnv(h, worker),
    TEMPORAL_NAMESPACE: 'default',
    FLORA_BASE_URL: h.sim.baseUrl,
    FLORA_API_KEY: h.sim.apiKey,
  };
}
