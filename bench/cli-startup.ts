/**
 * `npm run bench:cli`: how long the compiled CLI (bin/flora-temporal.js → dist/) takes to answer, side by
 * side with `node -e 0` (Node's own start-up on this machine): `--help` (no network), `status` of a
 * workflow (one Temporal connection and describe) and `techniques list` (one FLORA request), against a
 * local dev server and the simulator. Prints medians; asserts nothing. Run `npm run build` first.
 *
 *   npm run bench:cli [-- --runs N]   (default 9 runs of each, after one warm-up)
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startLocalTemporal } from '../src/dev/test-server';
import { startSimulator } from '../src/simulator';

const ROOT = join(__dirname, '..');
const BIN = join(ROOT, 'bin', 'flora-temporal.js');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Async, not spawnSync: the simulator answering `techniques list` lives in this process's event loop. */
async function time(args: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; code: number | null }> {
  const started = performance.now();
  const child = spawn(process.execPath, args, { env, stdio: 'ignore' });
  const [code] = (await once(child, 'exit')) as [number | null];
  return { ms: performance.now() - started, code };
}

async function main(): Promise<void> {
  const runsAt = process.argv.indexOf('--runs');
  const runs = runsAt >= 0 ? Number(process.argv[runsAt + 1]) : 9;
  if (!existsSync(join(ROOT, 'dist', 'bin.js')))
    throw new Error('dist/ is missing: run `npm run build` first');
  const [temporal, sim] = await Promise.all([startLocalTemporal(), startSimulator({ runDurationMs: 100 })]);
  try {
    const handle = await temporal.client.workflow.start('benchNoop', {
      taskQueue: 'bench-cli-startup',
      workflowId: `bench-cli-${process.pid}`,
    });
    const env = {
      PATH: process.env.PATH ?? '',
      TEMPORAL_ADDRESS: temporal.address,
      FLORA_BASE_URL: sim.baseUrl,
      FLORA_API_KEY: sim.apiKey,
    };
    const cases: [string, string[]][] = [
      ['node -e 0', ['-e', '0']],
      ['flora-temporal --help', [BIN, '--help']],
      ['flora-temporal status <id>', [BIN, 'status', handle.workflowId]],
      ['flora-temporal techniques list', [BIN, 'techniques', 'list']],
    ];
    const rows: string[] = [];
    for (const [name, args] of cases) {
      await time(args, env); // warm-up: the file system cache
      const samples: { ms: number; code: number | null }[] = [];
      for (let i = 0; i < runs; i++) samples.push(await time(args, env));
      const failed = samples.filter((s) => s.code !== 0 && name !== 'flora-temporal status <id>').length;
      rows.push(
        `| ${name} | ${median(samples.map((s) => s.ms)).toFixed(0)} ms | ${Math.min(...samples.map((s) => s.ms)).toFixed(0)} ms |${failed ? ` ${failed} failed` : ''}`,
      );
    }
    await handle.terminate('benchmark done');
    process.stdout.write(
      `CLI start-up, ${runs} runs each (median, fastest); load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}\n\n| command | median | fastest |\n| --- | --- | --- |\n${rows.join('\n')}\n`,
    );
  } finally {
    await sim.close();
    await temporal.teardown();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
