/**
 * Shared test plumbing: one Temporal dev server and one workflow bundle per test file, a FLORA simulator,
 * and workers on random task queues.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Runtime,
  type Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { startLocalTemporal } from '../../src/dev/test-server';
import { FloraClient } from '../../src/flora/client';
import { floraBundlerOptions } from '../../src/worker/bundle-options';
import { createFloraWorker, WORKFLOWS_PATH, type FloraWorkerOptions } from '../../src/worker/worker';
import { startSimulator, type FloraSimulator, type SimulatorOptions } from '../../src/simulator';

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** The workflow bundle, built once per test process. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    logger: quietLogger,
    ...floraBundlerOptions(),
  });
  return bundle;
}

const noop = () => {};
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };

export interface Harness {
  env: TestWorkflowEnvironment;
  sim: FloraSimulator;
  flora: FloraClient;
  close(): Promise<void>;
}

let runtimeInstalled = false;

/** Worker logs at ERROR only: expected activity failures (faults we inject) would bury the test output. */
export function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const level = process.env.TEST_LOG_LEVEL === 'debug' ? 'DEBUG' : 'ERROR';
  Runtime.install({
    logger: new DefaultLogger(level),
    telemetryOptions: { logging: { filter: { core: level, other: level } } },
  });
}

export async function startHarness(simOptions: SimulatorOptions = {}): Promise<Harness> {
  installQuietRuntime();
  const [env, sim] = await Promise.all([
    startLocalTemporal(),
    startSimulator({ runDurationMs: 400, ...simOptions }),
  ]);
  const flora = new FloraClient({ baseUrl: sim.baseUrl, apiKey: sim.apiKey, timeoutMs: 2_000 });
  return {
    env,
    sim,
    flora,
    async close() {
      await flora.close();
      await sim.close();
      await env.teardown();
    },
  };
}

export interface RunningWorker {
  worker: Worker;
  taskQueue: string;
  /** Shuts the worker down and waits until it has stopped. */
  stop(): Promise<void>;
}

export function taskQueue(): string {
  return `test-${randomUUID()}`;
}

/** Starts a worker on `queue` (a fresh random one by default) against the harness's simulator. */
export async function startWorker(
  h: Harness,
  queue = taskQueue(),
  flora: FloraClient = h.flora,
  extra: Partial<FloraWorkerOptions> = {},
): Promise<RunningWorker> {
  const worker = await createFloraWorker({
    connection: h.env.nativeConnection,
    namespace: h.env.namespace ?? 'default',
    taskQueue: queue,
    flora,
    workflowBundle: await workflowBundle(),
    ...extra,
  });
  const running = worker.run();
  return {
    worker,
    taskQueue: queue,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}

/**
 * The usual per-file setup: one dev server, simulator and worker for the file, shut down after it, and
 * the simulator reset before each test. `ready` receives them once they run; `workerOptions` (read when
 * the worker starts) adds to the worker's options.
 */
export function useHarness(
  simOptions: SimulatorOptions,
  ready: (h: Harness, worker: RunningWorker) => void,
  workerOptions: () => Partial<FloraWorkerOptions> = () => ({}),
): void {
  let h: Harness | undefined;
  let worker: RunningWorker | undefined;
  before(async () => {
    h = await startHarness(simOptions);
    worker = await startWorker(h, taskQueue(), h.flora, workerOptions());
    ready(h, worker);
  });
  after(async () => {
    await worker?.stop();
    await h?.close();
  });
  beforeEach(() => h?.sim.reset());
}

/**
 * `useHarness` whose worker saves downloads (`options.downloadTo`) under a fresh temporary directory,
 * `root`, made before the worker starts and removed after the file.
 */
export function useDownloadHarness(
  tmpPrefix: string,
  simOptions: SimulatorOptions,
  ready: (h: Harness, worker: RunningWorker, root: string) => void,
): void {
  let root: string | undefined;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), tmpPrefix));
  });
  useHarness(
    simOptions,
    (h, worker) => ready(h, worker, root ?? ''),
    () => ({ downloadRoot: root }),
  );
  after(async () => {
    if (root !== undefined) await rm(root, { recursive: true, force: true });
  });
}

/** Fast polling for tests: FLORA's 2–5 s cadence scaled down to the simulator's speed. */
export const FAST = { pollMinMs: 50, pollMaxMs: 150 } as const;
