/**
 * `npm run bench -- cadence`: the poll cadence against the simulator's noisy progress model, offline, in
 * seconds. No Temporal, no sockets: each run's state comes from the simulator's own pure lifecycle
 * (`runStateAt`, `noisyCurve`, `noisyEstimateMs`), each wait from the workflow's own pure cadence, and a
 * fixed cycle overhead (timer → task → poll) stands in for the worker and server. On the bench's
 * workload it comes close to the full bench's flora row at N = 100 (5.6 requests per run, seen-after-done
 * p50 1.5 s, p95 2.6 s, against 5.7, 1.4 and 2.3 s measured on 2026-11-29), so a change to the predictor
 * can be judged here in seconds before it is measured for real.
 *
 * Rows: the cadence as shipped (the overhead capping waits, flora-cadence-caps-overhead-v1), with FLORA's
 * `estimated_seconds` (top-level route) and without it (nested route, what the bench's runs use); a variant
 * not shipped (capping far waits, subtracting from landing ones); what shipped before (the overhead
 * subtracted from every wait, and no correction at all); and an oracle that knows each run's true end and lands on
 * it under the same rules (waits within [min, max], the same landing margin): the bound a better
 * predictor could approach.
 */
import {
  LANDING_MARGIN_MS,
  MAX_PROGRESS_SAMPLES,
  predictivePollDelayMs,
  predictRemainingMs,
  type PredictiveCadenceInput,
  type ProgressSample,
} from '../src/workflows/cadence';
import {
  cappedWaitMs,
  correctedWaitMs,
  cycleOverheadSampleMs,
  observeCycleOverhead,
  overheadCorrectionMs,
  type CycleOverhead,
} from '../src/workflows/cycle-overhead';
import { runStateAt } from '../src/simulator/lifecycle';
import { noisyCurve, noisyEstimateMs } from '../src/simulator/progress';
import { Prng } from '../src/simulator/random';
import { floorRequests, runLengths } from './workload';

const POLL_MIN_MS = 2_000;
const POLL_MAX_MS = 5_000;
/** The poll's answer to the workflow's close (the task that polled completes it). */
const CLOSE_MS = 50;
/** The simulator's default pending phase: a fifth of the run shows progress 0. */
const PENDING_SHARE = 0.2;

/** A cadence under test: the workflow's input, plus the true end (only an oracle may look). */
export type ModelCadence = (input: PredictiveCadenceInput, trueEndMs: number) => number;

export interface ModelFigures {
  runs: number;
  requestsPerRun: number;
  floorPerRun: number;
  latencyP50Ms: number;
  latencyP95Ms: number;
  gapP95Ms: number;
}

/** How the model takes the measured cycle overhead into a wait; `none`: not at all. */
export type OverheadMode = 'none' | 'subtract' | 'cap' | 'capland';

export const shippedCadence: ModelCadence = (input) => predictivePollDelayMs(input);

/** Knows the end: aims each last wait at end + margin, otherwise waits near max (same bounds as ours). */
export const oracleCadence: ModelCadence = (input, trueEndMs) => {
  const target = trueEndMs - input.nowMs + LANDING_MARGIN_MS;
  const clamp = (ms: number) => Math.min(input.pollMaxMs, Math.max(input.pollMinMs, ms));
  if (target <= input.pollMaxMs) return clamp(target);
  if (target - input.pollMaxMs < input.pollMinMs) return clamp(target - input.pollMinMs);
  return input.pollMaxMs;
};

function quantile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? Number.NaN;
}

/**
 * Runs `n` runs of the bench's mixed lengths (5–`maxRunMs`) through `cadence`. `overheadMs` (plus up to
 * `jitterMs`, uniform) passes between a timer's end and the poll reaching FLORA, as the worker and server
 * add under load; seen-after-done adds CLOSE_MS for the answer to reach the workflow's close.
 */
export function modelCadence(
  cadence: ModelCadence,
  opts: {
    n: number;
    maxRunMs?: number;
    withEstimate: boolean;
    overheadMs?: number;
    jitterMs?: number;
    seed?: number;
    /** The same lengths this many times with other curves and draws, pooled (small N's quantiles are noisy). */
    repeats?: number;
    /**
     * Measure each cycle's overhead and correct the next wait by it: `subtract` off every wait
     * (flora-cadence-corrects-overhead-v1 alone), `cap` only so wait + overhead stays within pollMaxMs
     * (flora-cadence-caps-overhead-v1), `capland` (cap far waits, subtract from waits aimed at the end).
     */
    correctOverhead?: OverheadMode;
  },
): ModelFigures {
  const once = runLengths(opts.n, opts.maxRunMs ?? 60_000);
  const lengths = Array.from({ length: opts.repeats ?? 1 }, () => once).flat();
  const curves = new Prng(opts.seed ?? 7);
  const draws = new Prng((opts.seed ?? 7) + 1);
  const overhead = (): number => (opts.overheadMs ?? 150) + (opts.jitterMs ?? 100) * draws.next();
  const latencies: number[] = [];
  const gaps: number[] = [];
  let requests = 0;
  let floor = 0;
  for (const durationMs of lengths) {
    const curve = noisyCurve(curves);
    const estimateMs = noisyEstimateMs(curves, durationMs);
    const timing = {
      createdAtMs: 0,
      pendingMs: durationMs * PENDING_SHARE,
      durationMs,
      outcome: { kind: 'completed' as const },
      progressCurve: curve,
    };
    const createdAtMs = overhead();
    let now = createdAtMs;
    let lastRequestAt = 0;
    let polls = 0;
    const samples: ProgressSample[] = [];
    let estimate: CycleOverhead | undefined;
    let previousPollAt: number | undefined;
    const bounds = { pollMinMs: POLL_MIN_MS, pollMaxMs: POLL_MAX_MS };
    for (;;) {
      const input: PredictiveCadenceInput = {
        pollMinMs: POLL_MIN_MS,
        pollMaxMs: POLL_MAX_MS,
        polls,
        random: draws.next(),
        nowMs: now,
        createdAtMs,
        estimatedMs: opts.withEstimate ? estimateMs : undefined,
        samples,
      };
      const aimed = cadence(input, durationMs);
      const correction = overheadCorrectionMs(estimate, bounds);
      const mode = opts.correctOverhead ?? 'none';
      // A landing wait: aimed at the predicted end, as predictivePollDelayMs aims it (end + margin ≤ max).
      const remaining = predictRemainingMs(input);
      const landing =
        mode === 'capland' &&
        remaining !== undefined &&
        remaining > 0 &&
        remaining + LANDING_MARGIN_MS <= POLL_MAX_MS;
      const wait =
        mode === 'subtract' || landing
          ? correctedWaitMs(aimed, correction, bounds)
          : mode === 'cap' || mode === 'capland'
            ? cappedWaitMs(aimed, correction, bounds)
            : aimed;
      const pollAt = now + wait + overhead();
      const sample = cycleOverheadSampleMs({
        previousPollAtMs: previousPollAt,
        wokeAtMs: pollAt,
        waitedMs: wait,
        calledBack: false,
      });
      if (sample !== undefined) estimate = observeCycleOverhead(estimate, sample, bounds);
      previousPollAt = pollAt;
      gaps.push(pollAt - lastRequestAt);
      lastRequestAt = pollAt;
      polls += 1;
      const state = runStateAt(timing, pollAt);
      if (state.status === 'completed') {
        latencies.push(pollAt + CLOSE_MS - durationMs);
        break;
      }
      samples.push({ atMs: pollAt, progress: state.progress });
      if (samples.length > MAX_PROGRESS_SAMPLES) samples.splice(1, samples.length - MAX_PROGRESS_SAMPLES);
      now = pollAt + overhead() / 4;
    }
    requests += 1 + polls;
    floor += floorRequests(durationMs);
  }
  return {
    runs: lengths.length,
    requestsPerRun: requests / lengths.length,
    floorPerRun: floor / lengths.length,
    latencyP50Ms: quantile(latencies, 0.5),
    latencyP95Ms: quantile(latencies, 0.95),
    gapP95Ms: quantile(gaps, 0.95),
  };
}

export function runCadenceModel(): void {
  const s = (ms: number) => (ms / 1000).toFixed(2);
  console.log(
    "Each row: the bench's N run lengths 20 times over, with other progress curves and draws, pooled.\n",
  );
  console.log(
    '| cadence | FLORA estimate | N | cycle overhead ms | requests/run (floor) | seen-after-done p50 / p95 s | gap p95 s |',
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const [name, cadence, correctOverhead] of [
    ['shipped, overhead capped (flora-cadence-caps-overhead-v1)', shippedCadence, 'cap'],
    ['capped far, subtracted landing (not shipped)', shippedCadence, 'capland'],
    [
      'before: overhead subtracted from every wait (flora-cadence-corrects-overhead-v1)',
      shippedCadence,
      'subtract',
    ],
    ['before: uncorrected (before flora-cadence-corrects-overhead-v1)', shippedCadence, 'none'],
    ['oracle (knows the end)', oracleCadence, 'none'],
  ] as const) {
    for (const withEstimate of [false, true]) {
      for (const n of [100, 600]) {
        // The default overhead (as at N = 100), and a loaded box's (about 0.8–1.2 s, as at N = 600).
        for (const [overheadMs, jitterMs] of [
          [150, 100],
          [800, 400],
        ] as const) {
          const f = modelCadence(cadence, {
            n,
            withEstimate,
            seed: n,
            repeats: 20,
            overheadMs,
            jitterMs,
            correctOverhead,
          });
          console.log(
            `| ${name} | ${withEstimate ? 'yes (top-level)' : 'no (nested)'} | ${n} | ${overheadMs}–${overheadMs + jitterMs} | ` +
              `${f.requestsPerRun.toFixed(2)} (${f.floorPerRun.toFixed(2)}) | ` +
              `${s(f.latencyP50Ms)} / ${s(f.latencyP95Ms)} | ${s(f.gapP95Ms)} |`,
          );
        }
      }
    }
  }
}
