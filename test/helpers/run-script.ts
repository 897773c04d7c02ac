/**
 * Runs one of the repository's TypeScript entry points (a harness such as bench/index.ts or
 * scripts/chaos/main.ts) the way `npm run` does, in a child process, and collects what it printed.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');

export interface ScriptOutput {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `script` is relative to the repository root. */
export function runScript(script: string, args: string[]): Promise<ScriptOutput> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, script), ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
