/**
 * `npx tsx bench/memory.ts`: where a flora worker's memory goes as cached runs pile up. Starts the dev
 * server, the simulator (runs that last an hour, so every run keeps polling) and one flora worker the way
 * the bench does (bench/worker-process.ts, prebuilt bundle), then adds runs up to each load K and, once
 * they have settled, reads the worker's RSS (VmRSS, VmHWM), `process.memoryUsage()` before and after a
 * full GC, and its CPU seconds per FLORA poll over a window. Asserts nothing: it measures.
 *
 *   options: --loads 0,100,300,600   cumulative loads (default)
 *            --settle S              seconds after adding runs before measuring (default 45)
 *            --window S              seconds of CPU and polls per figure (default 30)
 *            --tuning '{"maxCachedWorkflows":300}'   the worker's tuning (JSON; default flora's)
 *            --node-args '--max-old-space-size=512'  extra Node flags for the worker
 *            --run-seconds S         how long each FLORA run lasts (default 3600, so every run keeps
 *                                    polling); 60 with --loads 0,600 starts 600 runs of 60 s at once,
 *                                    like the bench's capacity rows, and VmHWM is their start-burst peak
 *            --snapshot-at K         write a heap snapshot (SIGUSR2) of the worker at load K
 *            --no-preload            bundle without flora's preloaded modules (the layout before them)
 *   TEMPORAL_DEBUG=1 in the environment runs the workflows on the worker's main thread, so
 *   `process.memoryUsage()` and the heap snapshot see them (by default they live in a worker thread,
 *   whose heap only VmRSS shows).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { startSimulator } from '../src/simulator';
import { floraBundlerOptions } from '../src/worker/bundle-options';
import { WORKFLOWS_PATH } from '../src/worker/worker';
import { SLUG } from './batch';
import { cpuSeconds, loadAverage, statusField as status } from './procstat';
import { RequestLog } from './request-log';
import { startDevServer } from './temporal-server';
import type { WorkerMessage, WorkerProcessConfig } from './worker-protocol';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (bytes: number | undefined) => (bytes === undefined ? '?' : (bytes / 2 ** 20).toFixed(0));

async function main(): Promise<void> {
  const loads = (arg('--loads') ?? '0,100,300,600').split(',').map(Number);
  const settleMs = Number(arg('--settle') ?? 45) * 1000;
  const windowMs = Number(arg('--window') ?? 30) * 1000;
  const tuning = arg('--tuning')
    ? (JSON.parse(arg('--tuning') ?? '{}') as WorkerProcessConfig['tuning'])
    : undefined;
  const nodeArgs = (arg('--node-args') ?? '').split(' ').filter(Boolean);
  const runMs = Number(arg('--run-seconds') ?? 3600) * 1000;
  const snapshotAt = arg('--snapshot-at') ? Number(arg('--snapshot-at')) : undefined;
  const say = (line: string) => process.stderr.write(`[memory] ${line}\n`);

  const log = new RequestLog();
  const dir = await mkdtemp(join(tmpdir(), 'flora-memory-'));
  const [server, sim, bundlePath] = await Promise.all([
    startDevServer(),
    startSimulator({ progress: 'noisy', log: log.sink, runDurationFor: () => runMs }),
    bundleWorkflowCode({
      workflowsPath: WORKFLOWS_PATH,
      logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
      ...(process.argv.includes('--no-preload') ? {} : floraBundlerOptions()),
    }).then(async ({ code }) => {
      const path = join(dir, 'flora.js');
      await writeFile(path, code);
      return path;
    }),
  ]);
  let child: ChildProcess | undefined;
  let connection: Connection | undefined;
  const cleanup = async () => {
    child?.kill('SIGKILL');
    await connection?.close();
    await sim.close();
    await server.stop();
  };
  // Stopped early (Ctrl-C, a timeout): the worker, the simulator and the dev server still go.
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => void cleanup().finally(() => process.exit(1)));
  try {
    const config: WorkerProcessConfig = {
      system: 'flora',
      temporalAddress: server.address,
      taskQueue: 'memory-flora',
      bundlePath,
      floraBaseUrl: sim.baseUrl,
      apiKey: sim.apiKey,
      ...(tuning ? { tuning } : {}),
    };
    const worker = fork(join(__dirname, 'worker-process.ts'), [JSON.stringify(config)], {
      execArgv: [
        '--import',
        'tsx',
        '--expose-gc',
        '--heapsnapshot-signal=SIGUSR2',
        `--diagnostic-dir=${dir}`,
        ...nodeArgs,
      ],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child = worker;
    const pid = worker.pid ?? 0;
    let onMemory: ((m: Extract<WorkerMessage, { type: 'memory' }>) => void) | undefined;
    await new Promise<void>((resolve, reject) => {
      worker.on('message', (msg: WorkerMessage) => {
        if (msg.type === 'ready') resolve();
        else if (msg.type === 'error') reject(new Error(msg.message));
        else if (msg.type === 'memory') onMemory?.(msg);
      });
      worker.once('exit', (code) => reject(new Error(`worker exited (${code})`)));
    });
    const memory = () =>
      new Promise<Extract<WorkerMessage, { type: 'memory' }>>((resolve) => {
        onMemory = resolve;
        worker.send({ type: 'memory' });
      });
    connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection });
    say(
      `worker pid ${pid}, ${process.argv.includes('--no-preload') ? 'no preloads' : 'preloads'}, tuning ${JSON.stringify(tuning ?? {})}, node args ${nodeArgs.join(' ') || '-'}, runs of ${runMs / 1000} s`,
    );
    console.log(
      '| K | load avg | VmRSS | VmHWM | heapUsed | heapTotal | external | arrayBuffers | heapUsed after GC | RSS after GC | CPU ms/poll | polls/s | creates |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
    let started = 0;
    for (const k of loads) {
      const batch: Promise<unknown>[] = [];
      for (; started < k; started += 1)
        batch.push(
          client.workflow.start('runTechnique', {
            taskQueue: config.taskQueue,
            workflowId: `memory-${Date.now()}-${started}`,
            args: [{ technique: SLUG, inputs: { prompt: `memory ${started}` } }],
          }),
        );
      await Promise.all(batch);
      await sleep(settleMs);
      const cpu0 = cpuSeconds(pid) ?? 0;
      const polls0 = log.pollCount;
      await sleep(windowMs);
      const cpu = (cpuSeconds(pid) ?? 0) - cpu0;
      const polls = log.pollCount - polls0;
      const rss = status(pid, 'VmRSS');
      const hwm = status(pid, 'VmHWM');
      const m = await memory();
      const rssAfter = status(pid, 'VmRSS');
      console.log(
        `| ${k} | ${loadAverage()[0]?.toFixed(1)} | ${mb(rss)} | ${mb(hwm)} | ${mb(m.usage.heapUsed)} | ${mb(m.usage.heapTotal)} | ` +
          `${mb(m.usage.external)} | ${mb(m.usage.arrayBuffers)} | ${mb(m.afterGc?.heapUsed)} | ${mb(rssAfter)} | ` +
          `${polls > 0 ? ((cpu * 1000) / polls).toFixed(1) : '-'} | ${(polls / (windowMs / 1000)).toFixed(1)} | ${log.creates} |`,
      );
      if (snapshotAt === k) {
        worker.kill('SIGUSR2');
        await sleep(20_000);
        say(`heap snapshot written in ${dir}`);
      }
    }
  } finally {
    await cleanup();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
