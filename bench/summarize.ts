/** Figures per batch, from the raw facts batch.ts collected. */
import type { BatchResult, CpuReading, RunFacts } from './batch';
import { max, median, quantile, sum } from './stats';
import { HEARTBEAT_TIMEOUT_MS, floorRequests } from './workload';

export interface Figures {
  system: BatchResult['system'];
  n: number;
  completed: number;
  maxCreatesPerKey: number;
  requestsPerRun: number;
  floorPerRun: number;
  gapP50: number;
  gapP95: number;
  gapMax: number;
  gapMean: number;
  latencyP50: number;
  latencyP95: number;
  latencyMax: number;
  /**
   * Seen-after-done of the runs FLORA finished after the batch's last create: the batch no longer starting
   * runs. At large N the start burst (hundreds of first workflow tasks and creates at once) delays the runs
   * that end while it lasts; these figures tell that tail apart from the steady state.
   */
  afterStarts: { runs: number; latencyP50: number; latencyP95: number; latencyMax: number };
  /** The batch between its last create and the first run FLORA finished (undefined when that is < 10 s). */
  steady: SteadyState | undefined;
  eventsPerRun: number;
  eventsPerPoll: number;
  /** History events each extra poll adds (least squares of events against polls over the runs). */
  marginalEventsPerPoll: number;
  /** The events a run has with no polls at all (the same fit's intercept). */
  fixedEvents: number;
  workflowTasksPerPoll: number;
  /** Workflow tasks each extra poll adds (fit over the sampled histories). */
  marginalWorkflowTasksPerPoll: number;
  actionsPerRun: number;
  workerCpuPer1kPolls: number;
  serverCpuPer1kPolls: number;
  pollsPerSecond: number;
  workerRssMb: number;
  serverRssMb: number;
  wallS: number;
  timedOut: boolean;
}

/** Gaps between consecutive requests for one run: create → first poll → … → the poll that saw the end. */
export function gapsOf(createdAtMs: number | undefined, polls: readonly number[]): number[] {
  const times = [...(createdAtMs === undefined ? [] : [createdAtMs]), ...polls].sort((a, b) => a - b);
  return times.slice(1).map((t, i) => t - (times[i] ?? t));
}

/** Least-squares line y = a + b·x; NaN when x does not vary. */
export function fitLine(points: readonly (readonly [number, number])[]): { a: number; b: number } {
  const n = points.length;
  const mx = sum(points.map((p) => p[0])) / n;
  const my = sum(points.map((p) => p[1])) / n;
  const sxx = sum(points.map((p) => (p[0] - mx) ** 2));
  const sxy = sum(points.map((p) => (p[0] - mx) * (p[1] - my)));
  if (n < 2 || sxx === 0) return { a: Number.NaN, b: Number.NaN };
  const b = sxy / sxx;
  return { a: my - b * mx, b };
}

export interface SteadyState {
  /** Length of the window, ms. */
  spanMs: number;
  /** Gaps that ended inside the window. */
  gapP95: number;
  /** Polls per second FLORA saw inside the window. */
  pollsPerSecond: number;
  /** Cores the worker and the server kept busy inside the window (from the CPU trace). */
  workerCores: number;
  serverCores: number;
}

/** Shortest window worth reporting: a few cadence cycles. */
const MIN_STEADY_MS = 10_000;

/**
 * The steady state of a batch that started every run at once: from its last create (no run left to start)
 * to the first end FLORA reported (no run finishing yet), every run in flight and polling. With runs of one
 * length that is most of the batch; with mixed lengths it is usually empty (short runs end while others
 * are still being created). What the CPU and the cadence look like there, apart from the start burst.
 */
export function steadyStateOf(
  runs: readonly Pick<RunFacts, 'createdAtMs' | 'completedAtMs' | 'polls'>[],
  trace: readonly CpuReading[],
): SteadyState | undefined {
  const fromMs = max(runs.map((r) => r.createdAtMs ?? Number.NaN).filter(Number.isFinite));
  const ends = runs.map((r) => r.completedAtMs ?? Number.NaN).filter(Number.isFinite);
  const toMs = ends.length === 0 ? Number.NaN : Math.min(...ends);
  if (!(toMs - fromMs >= MIN_STEADY_MS)) return undefined;
  const first = trace.find((c) => c.atMs >= fromMs);
  const last = [...trace].reverse().find((c) => c.atMs <= toMs);
  if (!first || !last || last.atMs - first.atMs < MIN_STEADY_MS / 2) return undefined;
  const seconds = (last.atMs - first.atMs) / 1000;
  const gaps: number[] = [];
  let polls = 0;
  for (const r of runs) {
    const times = [...(r.createdAtMs === undefined ? [] : [r.createdAtMs]), ...r.polls].sort((a, b) => a - b);
    times.forEach((t, i) => {
      if (t < fromMs || t > toMs) return;
      if (i > 0) gaps.push(t - (times[i - 1] ?? t));
      if (i > 0 || r.createdAtMs === undefined) polls += 1;
    });
  }
  return {
    spanMs: toMs - fromMs,
    gapP95: quantile(gaps, 0.95),
    pollsPerSecond: polls / ((toMs - fromMs) / 1000),
    workerCores: (last.workerCpuS - first.workerCpuS) / seconds,
    serverCores: (last.serverCpuS - first.serverCpuS) / seconds,
  };
}

/** Seen-after-done of the runs FLORA finished after the last create of their batch (Figures.afterStarts). */
export function afterStartsOf(
  runs: readonly Pick<RunFacts, 'createdAtMs' | 'completedAtMs' | 'seenAtMs'>[],
): Figures['afterStarts'] {
  const lastCreateMs = max(runs.map((r) => r.createdAtMs ?? Number.NaN).filter(Number.isFinite));
  const latencies = runs
    .filter(
      (r) => r.seenAtMs !== undefined && r.completedAtMs !== undefined && r.completedAtMs > lastCreateMs,
    )
    .map((r) => (r.seenAtMs ?? 0) - (r.completedAtMs ?? 0));
  return {
    runs: latencies.length,
    latencyP50: median(latencies),
    latencyP95: quantile(latencies, 0.95),
    latencyMax: max(latencies),
  };
}

const mb = (bytes: number | undefined): number => (bytes === undefined ? Number.NaN : bytes / 2 ** 20);

export function summarize(b: BatchResult): Figures {
  const done = b.runs.filter((r) => r.seenAtMs !== undefined && r.completedAtMs !== undefined);
  const gaps = b.runs.flatMap((r) => gapsOf(r.createdAtMs, r.polls));
  const latencies = done.map((r) => (r.seenAtMs ?? 0) - (r.completedAtMs ?? 0));
  const polls = sum(b.runs.map((r) => r.polls.length));
  const withHistory = b.runs.filter((r) => r.historyEvents !== undefined);
  const events = sum(withHistory.map((r) => r.historyEvents ?? 0));
  const polledWithHistory = sum(withHistory.map((r) => r.polls.length));
  const sampledPolls = sum(b.samples.map((s) => s.polls));
  // The frequent pattern's heartbeats are actions too, though not in the history: the SDK sends at most
  // one per 80 % of the heartbeat timeout.
  const heartbeats =
    b.system === 'frequent'
      ? median(done.map((r) => Math.floor(r.durationMs / (0.8 * HEARTBEAT_TIMEOUT_MS))))
      : 0;
  const fit = fitLine(withHistory.map((r) => [r.polls.length, r.historyEvents ?? 0] as const));
  return {
    system: b.system,
    n: b.n,
    completed: done.length,
    maxCreatesPerKey: b.maxCreatesPerKey,
    requestsPerRun: (b.createRequests + polls) / b.n,
    floorPerRun: sum(b.runs.map((r) => floorRequests(r.durationMs))) / b.n,
    gapP50: median(gaps),
    gapP95: quantile(gaps, 0.95),
    gapMax: max(gaps),
    gapMean: gaps.length === 0 ? Number.NaN : sum(gaps) / gaps.length,
    latencyP50: median(latencies),
    latencyP95: quantile(latencies, 0.95),
    latencyMax: max(latencies),
    afterStarts: afterStartsOf(b.runs),
    steady: steadyStateOf(b.runs, b.cpuTrace),
    eventsPerRun: withHistory.length === 0 ? Number.NaN : events / withHistory.length,
    eventsPerPoll: polledWithHistory === 0 ? Number.NaN : events / polledWithHistory,
    marginalEventsPerPoll: fit.b,
    fixedEvents: fit.a,
    workflowTasksPerPoll:
      sampledPolls === 0 ? Number.NaN : sum(b.samples.map((s) => s.workflowTasks)) / sampledPolls,
    marginalWorkflowTasksPerPoll: fitLine(b.samples.map((x) => [x.polls, x.workflowTasks] as const)).b,
    actionsPerRun:
      b.samples.length === 0
        ? Number.NaN
        : sum(b.samples.map((s) => s.actions)) / b.samples.length + heartbeats,
    workerCpuPer1kPolls: polls === 0 ? Number.NaN : (b.workerCpuS / polls) * 1000,
    serverCpuPer1kPolls: polls === 0 ? Number.NaN : (b.serverCpuS / polls) * 1000,
    pollsPerSecond: polls / (b.wallMs / 1000),
    workerRssMb: mb(b.workerPeakRss),
    serverRssMb: mb(b.serverPeakRss),
    wallS: b.wallMs / 1000,
    timedOut: b.timedOut,
  };
}

/** Per-field median over repeats of one cell, plus the range of the two headline figures. */
export function combine(
  repeats: Figures[],
): Figures & { gapP95Range: [number, number]; latencyP95Range: [number, number] } {
  const first = repeats[0];
  if (!first) throw new Error('combine: no repeats');
  const out = { ...first };
  for (const key of Object.keys(first) as (keyof Figures)[]) {
    const v = first[key];
    if (typeof v === 'number') (out[key] as number) = median(repeats.map((r) => r[key] as number));
  }
  out.timedOut = repeats.some((r) => r.timedOut);
  // `steady` (a window of one repeat's own timeline) stays the first repeat's.
  const late = repeats.map((r) => r.afterStarts);
  out.afterStarts = {
    runs: median(late.map((a) => a.runs)),
    latencyP50: median(late.map((a) => a.latencyP50)),
    latencyP95: median(late.map((a) => a.latencyP95)),
    latencyMax: median(late.map((a) => a.latencyMax)),
  };
  const range = (k: 'gapP95' | 'latencyP95'): [number, number] => [
    Math.min(...repeats.map((r) => r[k])),
    Math.max(...repeats.map((r) => r[k])),
  ];
  return { ...out, gapP95Range: range('gapP95'), latencyP95Range: range('latencyP95') };
}
