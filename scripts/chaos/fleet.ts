/**
 * Worker processes on one task queue: started from one prebuilt workflow bundle, SIGKILLed or
 * SIGTERMed by the rows, restarted, and timed from spawn to their first FLORA poll.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { distIsFresh, entryArgs } from './entry';
import { spawnProc, type Proc } from './procs';

/**
 * The workers trace (their spans go to the harness's collector), so their bundle carries the
 * OpenTelemetry workflow interceptors: the prebuilt dist/workflow-bundle-tracing.js (npm run build) when
 * it is newer than every source file, so the harness never measures stale workflow code; otherwise a
 * bundle built once here the same way. The bundler and the worker's modules load only then: the
 * harness itself is a client, and loading them costs every run (twice in `npm test`) about a CPU-second.
 */
export async function workflowBundlePath(log: (line: string) => void): Promise<string> {
  const root = resolve(__dirname, '../..');
  const prebuilt = join(root, 'dist/workflow-bundle-tracing.js');
  if (distIsFresh()) {
    log('workflow bundle: dist/workflow-bundle-tracing.js (prebuilt by npm run build)');
    return prebuilt;
  }
  const started = Date.now();
  const [
    { Resource },
    { NoopSpanProcessor },
    { OpenTelemetryPlugin },
    { bundleWorkflowCode },
    { WORKFLOWS_PATH },
    { floraBundlerOptions },
  ] = await Promise.all([
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace-base'),
    import('@temporalio/interceptors-opentelemetry'),
    import('@temporalio/worker'),
    import('../../src/worker/worker.js'),
    import('../../src/worker/bundle-options.js'),
  ]);
  const noop = (): void => {};
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    logger: { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop },
    plugins: [
      new OpenTelemetryPlugin({ spanProcessor: new NoopSpanProcessor(), resource: Resource.empty() }),
    ],
    ...floraBundlerOptions(),
  });
  const dir = await mkdtemp(join(tmpdir(), 'flora-chaos-bundle-'));
  const path = join(dir, 'workflow-bundle.js');
  await writeFile(path, code);
  log(`workflow bundle: built once in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return path;
}

export interface WorkerProc {
  readonly id: number;
  readonly proc: Proc;
  /** Started to replace a killed or stopped worker (the ones whose start-to-first-poll time counts). */
  readonly replacement: boolean;
  /** Spawn to `CHAOS first-poll`, in ms, once the worker has polled. */
  firstPollMs: number | undefined;
  /** Spawn to `CHAOS ready` (connected, bundle loaded, polling), in ms. */
  readyMs: number | undefined;
  readonly ready: Promise<void>;
}

export interface FleetConfig {
  temporalAddress: () => string;
  taskQueue: string;
  floraBaseUrl: string;
  apiKey: string;
  bundlePath: string;
  downloadRoot: string;
  /** Extra environment for every worker (FLORA_MAX_REQUESTS_PER_SECOND, CHAOS_PLANT_BUG, OTEL_...). */
  env?: Record<string, string>;
}

export class Fleet {
  private nextId = 1;
  readonly workers: WorkerProc[] = [];
  /** Every worker ever started, for the secrets row and the figures. */
  readonly all: WorkerProc[] = [];
  /** Workers that ended without being told to (a crash we did not cause). */
  unexpectedExits = 0;
  private readonly expected = new Set<WorkerProc>();

  constructor(readonly config: FleetConfig) {}

  start(replacement = false): WorkerProc {
    const id = this.nextId++;
    const proc = spawnProc(`worker-${id}`, process.execPath, entryArgs('worker-entry'), {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: this.config.temporalAddress(),
        TEMPORAL_NAMESPACE: 'default',
        FLORA_TASK_QUEUE: this.config.taskQueue,
        FLORA_BASE_URL: this.config.floraBaseUrl,
        FLORA_API_KEY: this.config.apiKey,
        FLORA_HTTP_TIMEOUT_MS: '3000',
        FLORA_DOWNLOAD_ROOT: this.config.downloadRoot,
        FLORA_LOG_LEVEL: 'WARN',
        CHAOS_WORKFLOW_BUNDLE: this.config.bundlePath,
        ...this.config.env,
      },
      onLine: (line) => {
        const m = /^CHAOS first-poll (\d+)/.exec(line);
        if (m && worker.firstPollMs === undefined) worker.firstPollMs = Number(m[1]) - proc.startedAtMs;
      },
    });
    const worker: WorkerProc = {
      id,
      proc,
      replacement,
      firstPollMs: undefined,
      readyMs: undefined,
      ready: proc.waitFor(/CHAOS ready (\d+)/, 120_000).then((m) => {
        worker.readyMs = Number(m[1]) - proc.startedAtMs;
      }),
    };
    // A worker that dies before it is ready is reported by `ready`; swallow it here.
    worker.ready.catch(() => undefined);
    this.workers.push(worker);
    this.all.push(worker);
    void proc.exited.then(() => {
      const i = this.workers.indexOf(worker);
      if (i >= 0) this.workers.splice(i, 1);
      if (!this.expected.has(worker)) this.unexpectedExits += 1;
    });
    return worker;
  }

  /** SIGKILL: the worker gets no chance to finish anything. */
  async kill(worker: WorkerProc): Promise<void> {
    this.expected.add(worker);
    worker.proc.kill('SIGKILL');
    await worker.proc.exited;
  }

  /** SIGTERM, as a rollout does: in-flight activities may finish, then the process exits. */
  async terminate(worker: WorkerProc, graceMs = 30_000): Promise<void> {
    this.expected.add(worker);
    worker.proc.kill('SIGTERM');
    const timer = setTimeout(() => worker.proc.kill('SIGKILL'), graceMs);
    await worker.proc.exited;
    clearTimeout(timer);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.workers].map((w) => this.terminate(w, 15_000)));
  }

  firstPollTimes(): number[] {
    return this.all
      .filter((w) => w.replacement)
      .map((w) => w.firstPollMs)
      .filter((ms): ms is number => ms !== undefined);
  }

  readyTimes(): number[] {
    return this.all
      .filter((w) => w.replacement)
      .map((w) => w.readyMs)
      .filter((ms): ms is number => ms !== undefined);
  }

  output(): string {
    return this.all.map((w) => w.proc.output()).join('\n');
  }
}
