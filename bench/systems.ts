/**
 * The systems under test as child processes: bundles built once per bench run, one worker process per
 * system, started with `node --import tsx` (so its pid is the worker itself, not a wrapper).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { floraBundlerOptions } from '../src/worker/bundle-options';
import type { FloraWorkerTuning } from '../src/worker/tuning';
import { WORKFLOWS_PATH } from '../src/worker/worker';
import {
  isFlora,
  type LoopJob,
  type SystemName,
  type WorkerMessage,
  type WorkerProcessConfig,
} from './worker-protocol';

export const SYSTEMS: readonly SystemName[] = [
  'flora',
  'flora-activity',
  'flora-webhook',
  'flora-tuned',
  'loop',
  'frequent',
  'infrequent',
];

/**
 * Worker tunings `flora-tuned` can run (`--tuning <name>`), each beside `flora` on flora's defaults
 * (docs/operations.md, "Worker tuning").
 */
export const TUNINGS = {
  /** Temporal's recommended poller autoscaling for both queues, flora's default slots. */
  autoscale: { workflowTaskPollers: 'autoscale', activityTaskPollers: 'autoscale' },
  /** Twice the slots and autoscaled pollers: does more concurrency help on a CPU-bound box? */
  wide: {
    maxConcurrentWorkflowTaskExecutions: 200,
    workflowTaskPollers: 'autoscale',
    activityTaskPollers: 'autoscale',
  },
  /** A cache of 300 workflows: what memory saves and what the replays cost past 300 runs in flight. */
  lean: { maxCachedWorkflows: 300 },
  /** 100 workflow task slots (and local activity slots): flora's default before it went back to the SDK's 40. */
  slots100: { maxConcurrentWorkflowTaskExecutions: 100 },
} as const satisfies Record<string, FloraWorkerTuning>;

export type TuningName = keyof typeof TUNINGS;
export const DEFAULT_TUNING: TuningName = 'slots100';

export function isTuningName(name: string): name is TuningName {
  return Object.hasOwn(TUNINGS, name);
}

export const SYSTEM_LABELS: Record<SystemName, string> = {
  flora: 'flora-temporal runTechnique (defaults: polls as local activities, predictive cadence)',
  'flora-activity': "flora-temporal runTechnique with `pollMode: 'activity'` (polls as regular activities)",
  'flora-webhook':
    "flora-temporal runTechnique with `callbackUrl` (and the default `fallbackPollMaxMs`, 30 s): the worker's webhook receiver wakes the run when FLORA's signed callback arrives, and polls are only a sparse fallback, so its gaps are long by design (judge it by requests/run and seen-after-done)",
  'flora-tuned': 'flora-temporal runTechnique on a worker with another tuning (named in the legend)',
  loop: 'plain Node loop, no Temporal (poll every 2 s)',
  frequent: 'Temporal frequent polling (1 activity, heartbeats, 2 s)',
  infrequent: 'Temporal infrequent polling (retry = timer, 2 s)',
};

const noop = (): void => {};
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };

export interface Bundles {
  flora: string;
  baselines: string;
}

/** Both workflow bundles, built once into a temp dir (workers load them instead of bundling at start). */
export async function buildBundles(): Promise<Bundles> {
  const dir = await mkdtemp(join(tmpdir(), 'flora-bench-'));
  const build = async (workflowsPath: string, name: string): Promise<string> => {
    const { code } = await bundleWorkflowCode({
      workflowsPath,
      logger: quietLogger,
      ...(workflowsPath === WORKFLOWS_PATH ? floraBundlerOptions() : {}),
    });
    const path = join(dir, name);
    await writeFile(path, code);
    return path;
  };
  const [flora, baselines] = await Promise.all([
    build(WORKFLOWS_PATH, 'flora.js'),
    build(require.resolve('./baselines/workflows'), 'baselines.js'),
  ]);
  return { flora, baselines };
}

export interface SystemProcess {
  system: SystemName;
  pid: number;
  taskQueue: string;
  /** flora-webhook: the receiver in the worker process, where the simulator delivers callbacks. */
  webhookUrl: string | undefined;
  /** Loop only: hands runs to the process. */
  drive(job: LoopJob): void;
  onDone(listener: (msg: Extract<WorkerMessage, { type: 'done' }>) => void): void;
  /** SIGKILL, no goodbye: what a crash looks like. */
  kill(): Promise<void>;
  /** SIGTERM, then SIGKILL after 10 s. */
  stop(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

export async function startSystem(
  system: SystemName,
  config: Omit<WorkerProcessConfig, 'system' | 'bundlePath'>,
  bundles: Bundles,
  /** Extra `node` flags for the worker process (bench/cpu-load.ts passes `--cpu-prof`). */
  nodeArgs: readonly string[] = [],
): Promise<SystemProcess> {
  const full: WorkerProcessConfig = {
    ...config,
    system,
    bundlePath: isFlora(system) ? bundles.flora : bundles.baselines,
  };
  const child = fork(join(__dirname, 'worker-process.ts'), [JSON.stringify(full)], {
    execArgv: [...nodeArgs, '--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const listeners: ((msg: Extract<WorkerMessage, { type: 'done' }>) => void)[] = [];
  let webhookUrl: string | undefined;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${system} worker not ready after 120 s`)), 120_000);
    child.on('message', (msg: WorkerMessage) => {
      if (msg.type === 'ready') {
        webhookUrl = msg.webhookUrl;
        clearTimeout(timer);
        resolve();
      } else if (msg.type === 'error') {
        clearTimeout(timer);
        reject(new Error(`${system} worker: ${msg.message}`));
      } else if (msg.type === 'done') {
        for (const l of listeners) l(msg);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${system} worker exited (${code}) before it was ready`));
    });
  });
  if (child.pid === undefined) throw new Error(`${system} worker has no pid`);
  return {
    system,
    pid: child.pid,
    taskQueue: config.taskQueue,
    webhookUrl,
    drive: (job) => child.send(job),
    onDone: (listener) => listeners.push(listener),
    kill: async () => {
      child.kill('SIGKILL');
      await exited(child);
    },
    stop: async () => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.kill('SIGTERM');
      await exited(child);
      clearTimeout(timer);
    },
  };
}
