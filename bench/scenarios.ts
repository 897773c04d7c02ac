/**
 * The scenarios: the load matrix (all systems interleaved at each N, so they share the box's weather, one
 * batch at a time), the worker SIGKILL and one 6-hour run in compressed time (each: all systems at once).
 * The capacity ladder is in capacity.ts.
 */
import { predictivePollDelayMs } from '../src/workflows/cadence';
import { RUN_TECHNIQUE_DEFAULTS } from '../src/workflows/types';
import { runBatch, runConcurrent, type BatchResult, type BenchContext, type RunSpec } from './batch';
import { combine, summarize, type Figures } from './summarize';
import type { SystemProcess } from './systems';
import { isFlora, type SystemName } from './worker-protocol';
import { BASELINE_INTERVAL_MS, runLengths, type Plan } from './workload';

export type Row = ReturnType<typeof combine>;

export interface Systems {
  /** The systems this bench run measures (`--systems`, default all). */
  names: readonly SystemName[];
  get(system: SystemName): SystemProcess;
  /** Starts a fresh process for the system (after a kill) and remembers it. */
  restart(system: SystemName): Promise<SystemProcess>;
}

let batchSeq = 0;
const stamp = Date.now().toString(36);

export function specs(system: SystemName, label: string, lengths: number[]): RunSpec[] {
  batchSeq += 1;
  return lengths.map((durationMs, i) => ({
    prompt: `${system}-${label}-${stamp}-${batchSeq}-${i}`,
    durationMs,
  }));
}

/**
 * For a batch whose runs asked for callbacks: how many FLORA sent, how many the receiver took (2xx), and
 * how many of the sampled histories got the wake-up signal. Counts, so a broken path shows at once.
 */
function callbackNote(b: BatchResult): string {
  if (b.system !== 'flora-webhook') return '';
  const signalled = b.samples.filter((s) => s.signals > 0).length;
  return `, callbacks ${b.callbacks.answered}/${b.callbacks.sent} answered 2xx, ${signalled}/${b.samples.length} sampled runs signalled`;
}

/** A system limited to some loads runs at those of them in the plan, or at every load if none is. */
function measuredAt(plan: Plan, system: SystemName, n: number): boolean {
  const only = plan.loadsFor[system];
  return only === undefined || only.includes(n) || !plan.loads.some((load) => only.includes(load));
}

/** The technique the plain loop's runs use when it runs beside another batch (its creates counted apart). */
export const SIDE_SLUG = 'storyboard';

export async function runMatrix(
  ctx: BenchContext,
  systems: Systems,
  plan: Plan,
  progress: (line: string) => void,
): Promise<Row[]> {
  const rows: Row[] = [];
  for (const n of plan.loads) {
    const lengths = runLengths(n, plan.maxRunMs);
    const here = systems.names.filter((sys) => measuredAt(plan, sys, n));
    const timeoutMs = plan.maxRunMs + 60_000 + n * 60;
    for (const system of here) {
      // The loop runs beside its partner (plan.loopBeside) when both are measured here.
      const partner = plan.loopBeside;
      const paired = partner !== undefined && here.includes('loop') && here.includes(partner);
      if (paired && system === 'loop') continue;
      const pair: SystemName[] = paired && system === partner ? [system, 'loop'] : [system];
      const repeats: Figures[][] = pair.map(() => []);
      for (let rep = 0; rep < plan.repeat; rep += 1) {
        const results =
          pair.length === 1
            ? [await runBatch(ctx, systems.get(system), specs(system, `n${n}`, lengths), { timeoutMs })]
            : await runConcurrent(
                ctx,
                pair.map(
                  (sys) => () =>
                    runBatch(ctx, systems.get(sys), specs(sys, `n${n}`, lengths), {
                      timeoutMs,
                      concurrent: true,
                      ...(sys === 'loop' ? { slug: SIDE_SLUG } : {}),
                    }),
                ),
              );
        results.forEach((result, i) => {
          const f = summarize(result);
          repeats[i]?.push(f);
          progress(
            `${result.system.padEnd(10)} N=${String(n).padStart(4)}: ${f.completed}/${n} done, gap p95 ${(f.gapP95 / 1000).toFixed(1)} s, ` +
              `latency p95 ${(f.latencyP95 / 1000).toFixed(1)} s, ${f.requestsPerRun.toFixed(1)} req/run, ${f.wallS.toFixed(0)} s` +
              callbackNote(result) +
              (pair.length > 1 ? ` (beside ${pair.filter((p) => p !== result.system).join(', ')})` : ''),
          );
        });
      }
      for (const r of repeats) rows.push(combine(r));
    }
  }
  return rows;
}

export interface KillResult {
  system: SystemName;
  runs: number;
  /** From the SIGKILL until the new worker process was ready. */
  restartMs: number;
  /** Runs still in flight at the kill. */
  inFlight: number;
  /** ms from the SIGKILL to each in-flight run's next poll; Infinity when it never came. */
  p50: number;
  max: number;
  completed: number;
  maxCreatesPerKey: number;
}

function killFigures(system: SystemName, b: BatchResult, killAtMs: number, restartMs: number): KillResult {
  const waits: number[] = [];
  for (const r of b.runs) {
    if (r.completedAtMs !== undefined && r.completedAtMs <= killAtMs) continue;
    const next = r.polls.find((t) => t > killAtMs);
    waits.push(next === undefined ? Number.POSITIVE_INFINITY : next - killAtMs);
  }
  waits.sort((a, b2) => a - b2);
  const f = summarize(b);
  return {
    system,
    runs: b.n,
    restartMs,
    inFlight: waits.length,
    p50: waits[Math.ceil(waits.length / 2) - 1] ?? Number.NaN,
    max: waits[waits.length - 1] ?? Number.NaN,
    completed: f.completed,
    maxCreatesPerKey: b.maxCreatesPerKey,
  };
}

/**
 * SIGKILL the worker mid-run, start a new one at once (as a supervisor would), time the next poll. Every
 * system at once (each has its own worker process and queue; 30 runs each is a light load), the kills
 * `staggerMs` apart so no two restarts compete for the CPU.
 */
export async function runKillTest(ctx: BenchContext, systems: Systems, plan: Plan): Promise<KillResult[]> {
  const { kill } = plan;
  const chosen = systems.names.filter((s) => kill.systems.includes(s));
  const killed = chosen.map(() => ({ atMs: 0, restartMs: Number.NaN }));
  const batches = chosen.map((system, i) => () => {
    const at = kill.killAfterMs + i * kill.staggerMs;
    const lengths = Array.from({ length: kill.runs }, () => kill.runMs);
    return runBatch(ctx, systems.get(system), specs(system, 'kill', lengths), {
      concurrent: true,
      // A plain loop has nothing to resume from: wait a while to show it, not forever.
      timeoutMs: system === 'loop' ? at + 20_000 : kill.runMs + 120_000,
      during: {
        at,
        act: async () => {
          const k = killed[i];
          if (k) k.atMs = Date.now();
          await systems.get(system).kill();
          const fresh = await systems.restart(system);
          if (k) k.restartMs = Date.now() - k.atMs;
          return fresh;
        },
      },
    });
  });
  const results = await runConcurrent(ctx, batches);
  return results.map((b, i) =>
    killFigures(b.system, b, killed[i]?.atMs ?? 0, killed[i]?.restartMs ?? Number.NaN),
  );
}

export interface LongResult {
  system: SystemName;
  compression: number;
  polls: number;
  /** Polls a real 6-hour run would make at this system's cadence. */
  realPolls: number;
  events: number;
  executions: number;
  eventsPerPoll: number;
  /** Events a real 6-hour run would write: measured per poll, times realPolls (constant for the baselines). */
  projectedEvents: number;
  actions: number;
  completed: boolean;
}

const SIX_HOURS_MS = 6 * 3_600_000;

/** The matrix's fitted events per extra poll, or this run's own mean when the fit had nothing to go on (NaN). */
function perExtraPoll(fitted: number | undefined, own: number): number {
  return fitted !== undefined && Number.isFinite(fitted) ? fitted : own;
}

/** Polls of runTechnique's default cadence over a run of `ms` predicted right (jitter at its mean). */
function floraPollsIn(ms: number): number {
  let t = 0;
  let polls = 0;
  while (t < ms) {
    t += predictivePollDelayMs({
      pollMinMs: RUN_TECHNIQUE_DEFAULTS.pollMinMs,
      pollMaxMs: RUN_TECHNIQUE_DEFAULTS.pollMaxMs,
      polls,
      random: 0.5,
      nowMs: t,
      createdAtMs: 0,
      estimatedMs: ms,
      samples: [],
    });
    polls += 1;
  }
  return polls;
}

/**
 * `marginal`: history events per extra poll for each system, fitted over the matrix's runs; a compressed
 * run makes fewer polls than a real one (a poll cycle has a floor in CPU), so the real run's history is
 * projected from it.
 */
export async function runLongRun(
  ctx: BenchContext,
  systems: Systems,
  plan: Plan,
  marginal: Partial<Record<SystemName, number>>,
): Promise<LongResult[]> {
  const c = plan.long.compression;
  const chosen = systems.names.filter((s) => plan.long.systems.includes(s));
  // One run per system, all at once: each system its own worker process, and one run is a light load.
  const results = await runConcurrent(
    ctx,
    chosen.map(
      (system) => () =>
        runBatch(ctx, systems.get(system), specs(system, 'six-hours', [Math.round(SIX_HOURS_MS / c)]), {
          concurrent: true,
          timeoutMs: SIX_HOURS_MS / c + 180_000,
          intervalMs: Math.max(1, Math.round(BASELINE_INTERVAL_MS / c)),
          floraOptions: {
            pollMinMs: Math.max(10, Math.round(RUN_TECHNIQUE_DEFAULTS.pollMinMs / c)),
            pollMaxMs: Math.max(10, Math.round(RUN_TECHNIQUE_DEFAULTS.pollMaxMs / c)),
          },
          sampleHistories: 1,
        }),
    ),
  );
  const out: LongResult[] = [];
  for (const b of results) {
    const system = b.system;
    const run = b.runs[0];
    const polls = run?.polls.length ?? 0;
    const events = run?.historyEvents ?? 0;
    const realPolls = isFlora(system) ? floraPollsIn(SIX_HOURS_MS) : SIX_HOURS_MS / BASELINE_INTERVAL_MS;
    const eventsPerPoll = polls === 0 ? Number.NaN : events / polls;
    out.push({
      system,
      compression: c,
      polls,
      realPolls,
      events,
      executions: run?.executions ?? 0,
      eventsPerPoll,
      projectedEvents: Math.round(
        events + Math.max(0, realPolls - polls) * Math.max(0, perExtraPoll(marginal[system], eventsPerPoll)),
      ),
      actions: b.samples[0]?.actions ?? Number.NaN,
      completed: run?.seenAtMs !== undefined,
    });
  }
  return out;
}
