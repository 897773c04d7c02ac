/**
 * The overhead of one poll cycle, measured by the workflow and subtracted from the next wait
 * (`flora-cadence-corrects-overhead-v1`). Pure and deterministic: every time is workflow time (the start of
 * the current workflow task, from the history), so a replay computes the same estimate.
 *
 * A cycle: a poll in the task a timer woke, the wait asked for, the timer, the server dispatching the next
 * task, that task starting. The gap FLORA sees between two polls is the wait plus that overhead, which
 * grows with load (dispatch latency, the poll's own HTTP time, completing the task before the timer
 * starts). With the regular-activity poll the cycle holds two tasks; the same measure covers it.
 *
 * Estimator: a smoothed mean plus a smoothed mean deviation, as TCP's retransmission timer (RFC 6298)
 * tracks a round trip, with gains of 1/4 (a run has a dozen cycles, not thousands) and one deviation
 * rather than four (the far jitter already leaves up to 15 % of [min, max] below the ceiling, and each
 * ms of over-estimate is a poll earlier than needed). Under-estimating lets gaps pass pollMaxMs; over-
 * estimating polls a little early, the cheaper error, so the deviation term leans towards it. A sample
 * counts at most `pollMaxMs − pollMinMs` (more could not be subtracted anyway): a wild one (a worker
 * crash, a long GC) moves the estimate by at most a quarter of that and decays by a quarter per cycle.
 */

export interface CycleOverhead {
  /** Smoothed overhead, ms. */
  meanMs: number;
  /** Smoothed mean absolute deviation of the samples from `meanMs`, ms. */
  deviationMs: number;
  /** Samples taken. */
  samples: number;
}

export interface CadenceBounds {
  pollMinMs: number;
  pollMaxMs: number;
}

/** Weight of a new sample in the mean and in the deviation. */
export const OVERHEAD_GAIN = 0.25;

/** The most one sample, or the correction, can count: the room between pollMinMs and pollMaxMs. */
export function overheadCapMs({ pollMinMs, pollMaxMs }: CadenceBounds): number {
  return Math.max(0, Math.abs(pollMaxMs - pollMinMs));
}

/**
 * The cycle's overhead as the task it woke measures it: the time between the two polls' tasks, less the
 * wait asked for. Undefined when it is not a plain timer cycle (no previous poll in this execution, a
 * callback woke the wait) or the times make no sense.
 */
export function cycleOverheadSampleMs(input: {
  /** Workflow time of the task that made the previous poll; undefined after a failure, at an execution's start. */
  previousPollAtMs: number | undefined;
  /** Workflow time of the task the wait ended in. */
  wokeAtMs: number;
  /** The wait asked for. */
  waitedMs: number;
  /** The wait ended on a callback, not on its timer. */
  calledBack: boolean;
}): number | undefined {
  const { previousPollAtMs, wokeAtMs, waitedMs, calledBack } = input;
  if (calledBack || previousPollAtMs === undefined) return undefined;
  const sample = wokeAtMs - previousPollAtMs - waitedMs;
  return Number.isFinite(sample) ? sample : undefined;
}

/** The estimate after one more sample; each sample is first clamped to [0, overheadCapMs]. */
export function observeCycleOverhead(
  previous: CycleOverhead | undefined,
  sampleMs: number,
  bounds: CadenceBounds,
): CycleOverhead {
  const sample = Math.min(overheadCapMs(bounds), Math.max(0, Number.isFinite(sampleMs) ? sampleMs : 0));
  if (previous === undefined || previous.samples <= 0) {
    // The first sample: its half as the deviation, as RFC 6298 starts, erring towards polling early.
    return { meanMs: sample, deviationMs: sample / 2, samples: 1 };
  }
  const deviationMs =
    (1 - OVERHEAD_GAIN) * previous.deviationMs + OVERHEAD_GAIN * Math.abs(sample - previous.meanMs);
  const meanMs = (1 - OVERHEAD_GAIN) * previous.meanMs + OVERHEAD_GAIN * sample;
  return { meanMs, deviationMs, samples: previous.samples + 1 };
}

/** What to take off the next wait: mean plus one deviation, within [0, overheadCapMs], whole ms. */
export function overheadCorrectionMs(estimate: CycleOverhead | undefined, bounds: CadenceBounds): number {
  if (estimate === undefined || estimate.samples <= 0) return 0;
  const ms = estimate.meanMs + estimate.deviationMs;
  if (!Number.isFinite(ms)) return 0;
  return Math.round(Math.min(overheadCapMs(bounds), Math.max(0, ms)));
}

/**
 * The wait that makes the gap between polls (wait + overhead) what the cadence aimed the wait at, far
 * waits and landing waits alike; never below pollMinMs nor above pollMaxMs.
 */
export function correctedWaitMs(aimedWaitMs: number, correctionMs: number, bounds: CadenceBounds): number {
  const min = Math.max(0, Math.min(bounds.pollMinMs, bounds.pollMaxMs));
  const max = Math.max(bounds.pollMinMs, bounds.pollMaxMs);
  const correction = Number.isFinite(correctionMs) ? Math.max(0, correctionMs) : 0;
  return Math.round(Math.min(max, Math.max(min, aimedWaitMs - correction)));
}

/**
 * The wait that keeps the gap between polls (wait + overhead) within pollMaxMs, and otherwise the wait as
 * aimed (`flora-cadence-caps-overhead-v1`): the correction only caps a wait longer than pollMaxMs less it,
 * never shortens one already short enough. A far wait (jittered below max) keeps its jitter's spread
 * instead of losing the overhead as well, which polled earlier than needed. Within [pollMinMs, pollMaxMs].
 */
export function cappedWaitMs(aimedWaitMs: number, correctionMs: number, bounds: CadenceBounds): number {
  const max = Math.max(bounds.pollMinMs, bounds.pollMaxMs);
  const correction = Number.isFinite(correctionMs) ? Math.max(0, correctionMs) : 0;
  return correctedWaitMs(Math.min(aimedWaitMs, max - correction), 0, bounds);
}
