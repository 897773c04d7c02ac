/**
 * One batch: `n` runs started at once on one system, driven to the end, measured. The raw facts come
 * from three independent sources: the simulator's request log (polls and creates, per run), Temporal's
 * visibility and histories (close times, events), and /proc (CPU, peak RSS).
 */
import type { Client } from '@temporalio/client';
import type { FloraSimulator } from '../src/simulator';
import { cpuSeconds, peakRssBytes, resetPeakRss } from './procstat';
import type { RequestLog } from './request-log';
import type { SystemProcess } from './systems';
import { BENCH_CALLBACK_URL, isFlora } from './worker-protocol';
import { BASELINE_INTERVAL_MS, HEARTBEAT_TIMEOUT_MS } from './workload';

export const SLUG = 'text-to-image';

export interface BenchContext {
  sim: FloraSimulator;
  /** prompt → run length in ms, read by the simulator's runDurationFor. */
  durations: Map<string, number>;
  log: RequestLog;
  client: Client;
  serverPid: number;
}

export interface RunSpec {
  prompt: string;
  durationMs: number;
}

/** Everything measured about one run. */
export interface RunFacts {
  prompt: string;
  durationMs: number;
  runId: string | undefined;
  createdAtMs: number | undefined;
  completedAtMs: number | undefined;
  polls: number[];
  /** When the system knew: workflow close time, or the loop's own report. */
  seenAtMs: number | undefined;
  historyEvents: number | undefined;
  executions: number;
}

export interface HistorySample {
  polls: number;
  events: number;
  workflowTasks: number;
  /**
   * Temporal Cloud actions visible in the history: start, timers, activity attempts, search-attribute
   * upserts, signals, local activities (counted one each: an upper bound, Cloud bills one per workflow task).
   */
  actions: number;
  /** floraRunEvent signals (a webhook receiver passing on FLORA's callback). */
  signals: number;
}

export interface BatchResult {
  system: SystemProcess['system'];
  n: number;
  runs: RunFacts[];
  createRequests: number;
  maxCreatesPerKey: number;
  samples: HistorySample[];
  workerCpuS: number;
  serverCpuS: number;
  workerPeakRss: number | undefined;
  serverPeakRss: number | undefined;
  wallMs: number;
  timedOut: boolean;
  /** FLORA's run callbacks for this batch: deliveries sent, and those the receiver answered 2xx. */
  callbacks: { sent: number; answered: number };
  /** CPU seconds of the worker and the server, read about once a second through the batch. */
  cpuTrace: CpuReading[];
}

export interface CpuReading {
  atMs: number;
  workerCpuS: number;
  serverCpuS: number;
}

export interface BatchOptions {
  /** runTechnique options (the 6-hour run scales the cadence); default: none (defaults). */
  floraOptions?: Record<string, unknown>;
  /** Baseline poll interval; default BASELINE_INTERVAL_MS. */
  intervalMs?: number;
  /** Give up waiting after this long. */
  timeoutMs: number;
  /** Runs after `at` ms (the SIGKILL test); may replace the system process. */
  during?: { at: number; act: () => Promise<SystemProcess> };
  /** Histories to fetch for per-poll figures. */
  sampleHistories?: number;
  /** Part of a runConcurrent phase: leave the shared simulator and request log alone. */
  concurrent?: boolean;
  /**
   * The technique the runs use; default SLUG. Batches running at once on one simulator use different ones
   * so each counts its own create requests (the request log tells creates apart by slug only).
   */
  slug?: string;
}

const WORKFLOW_TYPES = {
  flora: 'runTechnique',
  'flora-activity': 'runTechnique',
  'flora-webhook': 'runTechnique',
  'flora-tuned': 'runTechnique',
  frequent: 'frequentPolling',
  infrequent: 'infrequentPolling',
};

/** runTechnique's options for a flora system's runs (undefined: none, the defaults). */
function floraRunOptions(
  system: SystemProcess['system'],
  extra: Record<string, unknown> | undefined,
): Record<string, unknown> | undefined {
  const own =
    system === 'flora-activity'
      ? { pollMode: 'activity' }
      : system === 'flora-webhook'
        ? { callbackUrl: BENCH_CALLBACK_URL }
        : {};
  const options = { ...own, ...extra };
  return Object.keys(options).length > 0 ? options : undefined;
}

/** The simulator delivers callbacks to the system's receiver (the TLS proxy a real one sits behind). */
function routeCallbacks(ctx: BenchContext, proc: SystemProcess): void {
  if (proc.webhookUrl !== undefined) ctx.sim.setCallbacks({ deliverTo: new URL(proc.webhookUrl).origin });
}

function startRuns(
  ctx: BenchContext,
  proc: SystemProcess,
  specs: RunSpec[],
  opts: BatchOptions,
  seen: Map<string, number>,
): Promise<unknown> {
  const intervalMs = opts.intervalMs ?? BASELINE_INTERVAL_MS;
  const slug = opts.slug ?? SLUG;
  if (proc.system === 'loop') {
    proc.onDone((msg) => seen.set(msg.prompt, msg.seenAtMs));
    proc.drive({ type: 'runs', runs: specs.map((r) => ({ slug, prompt: r.prompt, intervalMs })) });
    return Promise.resolve();
  }
  const type = WORKFLOW_TYPES[proc.system];
  const options = floraRunOptions(proc.system, opts.floraOptions);
  return Promise.all(
    specs.map((r) =>
      ctx.client.workflow.start(type, {
        taskQueue: proc.taskQueue,
        workflowId: r.prompt,
        args: isFlora(proc.system)
          ? [{ technique: slug, inputs: { prompt: r.prompt }, ...(options ? { options } : {}) }]
          : [{ slug, prompt: r.prompt, intervalMs, heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS }],
      }),
    ),
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The FLORA run id of each prompt, from the runs the simulator saw polled. */
function runIdsByPrompt(ctx: BenchContext): Map<string, string> {
  const out = new Map<string, string>();
  for (const runId of ctx.log.polls.keys()) {
    const prompt = ctx.sim.getRun(runId)?.inputs.prompt;
    if (prompt !== undefined) out.set(prompt, runId);
  }
  return out;
}

async function waitForEnd(
  ctx: BenchContext,
  proc: () => SystemProcess,
  specs: RunSpec[],
  seen: Map<string, number>,
  deadline: number,
): Promise<boolean> {
  for (;;) {
    if (Date.now() > deadline) return false;
    await sleep(1_000);
    const p = proc();
    if (p.system === 'loop') {
      if (seen.size >= specs.length) return true;
      continue;
    }
    const running = await ctx.client.workflow.count(
      `TaskQueue="${p.taskQueue}" AND ExecutionStatus="Running"`,
    );
    if (running.count === 0) return true;
  }
}

async function closeFacts(
  ctx: BenchContext,
  taskQueue: string,
  since: Date,
): Promise<Map<string, { closeMs: number | undefined; events: number; executions: number }>> {
  const out = new Map<string, { closeMs: number | undefined; events: number; executions: number }>();
  const query = `TaskQueue="${taskQueue}" AND StartTime >= "${since.toISOString()}"`;
  for await (const info of ctx.client.workflow.list({ query })) {
    const prev = out.get(info.workflowId) ?? { closeMs: undefined, events: 0, executions: 0 };
    const closed = info.status.name === 'COMPLETED' ? info.closeTime?.getTime() : undefined;
    out.set(info.workflowId, {
      closeMs: closed ?? prev.closeMs,
      events: prev.events + info.historyLength,
      executions: prev.executions + 1,
    });
  }
  return out;
}

async function sampleHistory(ctx: BenchContext, workflowId: string, polls: number): Promise<HistorySample> {
  const history = await ctx.client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  let workflowTasks = 0;
  let actions = 0;
  let signals = 0;
  for (const e of events) {
    if (e.workflowExecutionSignaledEventAttributes) signals += 1;
    if (e.workflowTaskCompletedEventAttributes) workflowTasks += 1;
    if (
      e.workflowExecutionStartedEventAttributes ||
      e.timerStartedEventAttributes ||
      e.activityTaskScheduledEventAttributes ||
      e.upsertWorkflowSearchAttributesEventAttributes ||
      e.workflowExecutionSignaledEventAttributes ||
      // Local activities are billed; patch markers are not.
      e.markerRecordedEventAttributes?.markerName === 'core_local_activity'
    )
      actions += 1;
    // Each retry of an activity is another action; only the last attempt is in the history.
    const attempt = e.activityTaskStartedEventAttributes?.attempt;
    if (attempt) actions += attempt - 1;
  }
  return { polls, events: events.length, workflowTasks, actions, signals };
}

/** A clean simulator, request log and run-length table: before a batch, or before a concurrent phase. */
export function resetBench(ctx: BenchContext): void {
  ctx.sim.reset();
  ctx.log.clear();
  ctx.durations.clear();
}

/**
 * Several batches at once on one clean simulator (each system its own worker process and task queue; runs
 * told apart by prompt). Server CPU and peak RSS, FLORA creates and creates/key cannot be told apart between
 * them: each batch gets the phase's (creates/key: the maximum over every key of the phase, so a duplicate
 * anywhere shows in every row of the phase).
 */
export async function runConcurrent(
  ctx: BenchContext,
  batches: readonly (() => Promise<BatchResult>)[],
): Promise<BatchResult[]> {
  resetBench(ctx);
  const results = await Promise.all(batches.map((run) => run()));
  const perKey = Object.values(ctx.sim.stats().createsByIdempotencyKey);
  const maxCreatesPerKey = perKey.length === 0 ? 0 : Math.max(...perKey);
  return results.map((r) => ({ ...r, maxCreatesPerKey }));
}

export async function runBatch(
  ctx: BenchContext,
  proc: SystemProcess,
  specs: RunSpec[],
  opts: BatchOptions,
): Promise<BatchResult> {
  if (!opts.concurrent) resetBench(ctx);
  routeCallbacks(ctx, proc);
  for (const r of specs) ctx.durations.set(r.prompt, r.durationMs);
  let current = proc;
  const seen = new Map<string, number>();
  resetPeakRss(current.pid);
  resetPeakRss(ctx.serverPid);
  const workerCpu0 = cpuSeconds(current.pid) ?? 0;
  const serverCpu0 = cpuSeconds(ctx.serverPid) ?? 0;
  const since = new Date(Date.now() - 1_000);
  const started = Date.now();
  // Not through a kill: the new process's CPU starts again from zero.
  const cpuTrace: CpuReading[] = [];
  const readCpu = () => {
    const workerCpuS = cpuSeconds(current.pid);
    const serverCpuS = cpuSeconds(ctx.serverPid);
    if (workerCpuS !== undefined && serverCpuS !== undefined)
      cpuTrace.push({ atMs: Date.now(), workerCpuS, serverCpuS });
  };
  readCpu();
  const tracer = opts.during ? undefined : setInterval(readCpu, 1_000);
  await startRuns(ctx, current, specs, opts, seen);
  let workerCpuBeforeKill = 0;
  if (opts.during) {
    await sleep(Math.max(0, started + opts.during.at - Date.now()));
    workerCpuBeforeKill = (cpuSeconds(current.pid) ?? workerCpu0) - workerCpu0;
    current = await opts.during.act();
    routeCallbacks(ctx, current);
  }
  const workerCpuStart = opts.during ? (cpuSeconds(current.pid) ?? 0) : workerCpu0;
  const finished = await waitForEnd(ctx, () => current, specs, seen, started + opts.timeoutMs);
  if (tracer) clearInterval(tracer);
  const wallMs = Date.now() - started;
  const workerCpuS = workerCpuBeforeKill + ((cpuSeconds(current.pid) ?? workerCpuStart) - workerCpuStart);
  // A plain loop uses no Temporal server: beside another batch, the server's figures are that batch's.
  const serverNotOurs = current.system === 'loop' && opts.concurrent === true;
  const serverCpuS = serverNotOurs ? Number.NaN : (cpuSeconds(ctx.serverPid) ?? serverCpu0) - serverCpu0;
  const workerPeakRss = peakRssBytes(current.pid);
  const serverPeakRss = serverNotOurs ? undefined : peakRssBytes(ctx.serverPid);

  const ids = runIdsByPrompt(ctx);
  const closes = current.system === 'loop' ? undefined : await closeFacts(ctx, current.taskQueue, since);
  const runs: RunFacts[] = specs.map((r) => {
    const runId = ids.get(r.prompt);
    const view = runId === undefined ? undefined : ctx.sim.getRun(runId);
    const close = closes?.get(r.prompt);
    return {
      prompt: r.prompt,
      durationMs: r.durationMs,
      runId,
      createdAtMs: view ? view.created_at * 1000 : undefined,
      completedAtMs: view?.completed_at === undefined ? undefined : view.completed_at * 1000,
      polls: runId === undefined ? [] : (ctx.log.polls.get(runId) ?? []),
      seenAtMs: closes ? close?.closeMs : seen.get(r.prompt),
      historyEvents: close?.events,
      executions: close?.executions ?? 0,
    };
  });
  const samples: HistorySample[] = [];
  if (current.system !== 'loop') {
    const pick = runs.filter((r) => r.seenAtMs !== undefined).slice(0, opts.sampleHistories ?? 8);
    for (const r of pick) samples.push(await sampleHistory(ctx, r.prompt, r.polls.length));
  }
  // Distinct deliveries (a retry is another attempt of the same one).
  const deliveries = ctx.sim.deliveries();
  const sent = new Set(deliveries.filter((d) => d.outcome !== 'dropped').map((d) => d.deliveryId));
  const answered = new Set(
    deliveries
      .filter((d) => typeof d.outcome === 'number' && d.outcome >= 200 && d.outcome < 300)
      .map((d) => d.deliveryId),
  );
  const stats = ctx.sim.stats();
  const perKey = Object.values(stats.createsByIdempotencyKey);
  return {
    system: current.system,
    n: specs.length,
    runs,
    createRequests: ctx.log.createsBySlug.get(opts.slug ?? SLUG) ?? 0,
    maxCreatesPerKey: perKey.length === 0 ? 0 : Math.max(...perKey),
    samples,
    workerCpuS,
    serverCpuS,
    workerPeakRss,
    serverPeakRss,
    wallMs,
    timedOut: !finished,
    callbacks: { sent: sent.size, answered: answered.size },
    cpuTrace,
  };
}
