/**
 * How long to wait before the next poll. Pure and deterministic given `random`, which in a workflow is
 * the SDK's seeded `Math.random`.
 *
 * The first polls come quickly (most runs report progress early), then the interval grows by a quarter
 * per poll towards `pollMaxMs`; ±10 % jitter keeps a fleet of workflows from polling in lockstep. The
 * result is always within [pollMinMs, pollMaxMs].
 */
export interface CadenceInput {
  pollMinMs: number;
  pollMaxMs: number;
  /** Polls made so far in this run attempt. */
  polls: number;
  /** A number in [0, 1). */
  random: number;
}

export const CADENCE_GROWTH = 1.25;
export const CADENCE_JITTER = 0.1;

export function nextPollDelayMs({ pollMinMs, pollMaxMs, polls, random }: CadenceInput): number {
  const min = Math.max(0, Math.min(pollMinMs, pollMaxMs));
  const max = Math.max(pollMinMs, pollMaxMs);
  const steps = Math.max(0, Math.min(polls, 64));
  const base = Math.min(max, min * CADENCE_GROWTH ** steps);
  const r = Number.isFinite(random) ? Math.min(Math.max(random, 0), 1) : 0.5;
  const jittered = base * (1 - CADENCE_JITTER + 2 * CADENCE_JITTER * r);
  return Math.round(Math.min(max, Math.max(min, jittered)));
}

/** What the predictive cadence knows about the current run. All times are workflow time, in ms. */
export interface PredictiveCadenceInput {
  pollMinMs: number;
  pollMaxMs: number;
  /** Polls made so far in this run attempt. */
  polls: number;
  /** A number in [0, 1): the workflow's seeded `Math.random()`. */
  random: number;
  /** Workflow time now. */
  nowMs: number;
  /** When this workflow's create returned the run; undefined for an attached run. */
  createdAtMs: number | undefined;
  /** FLORA's `estimated_seconds` × 1000, from the create (the top-level route only). */
  estimatedMs: number | undefined;
  /** Progress (0–100) seen by the polls of this run, oldest first, with the time of each. */
  samples: readonly ProgressSample[];
}

export interface ProgressSample {
  atMs: number;
  progress: number;
}

/** Share of [min, max] the delay may drop below max while far from the end (spreads a fleet's polls). */
export const FAR_JITTER = 0.15;
/** Landed this long after the predicted end, so the poll finds the run done rather than just before. */
export const LANDING_MARGIN_MS = 300;
/** Samples kept for the progress rate: the first one with progress and the latest few. */
export const MAX_PROGRESS_SAMPLES = 6;

/**
 * Time left until the run ends, as predicted from the progress rate and FLORA's estimate; undefined when
 * there is nothing to predict from. Progress is trusted more as it grows (early progress says little about
 * a run's shape; late progress says a lot); the estimate fills in before progress moves.
 */
export function predictRemainingMs(input: PredictiveCadenceInput): number | undefined {
  const { nowMs, createdAtMs, estimatedMs, samples } = input;
  const last = samples[samples.length - 1];
  const fromEstimate =
    estimatedMs !== undefined && createdAtMs !== undefined && Number.isFinite(estimatedMs) && estimatedMs > 0
      ? estimatedMs - (nowMs - createdAtMs)
      : undefined;
  let fromProgress: number | undefined;
  if (last !== undefined && last.progress >= 100) fromProgress = 0;
  else if (last !== undefined && last.progress > 0) {
    // The rate since the run started (the create), or since the first sample for an attached run.
    const first = samples.find((s) => s.progress < last.progress);
    const origin = createdAtMs !== undefined ? { atMs: createdAtMs, progress: 0 } : first;
    if (origin !== undefined && last.atMs > origin.atMs && last.progress > origin.progress) {
      const rate = (last.progress - origin.progress) / (last.atMs - origin.atMs);
      fromProgress = (100 - last.progress) / rate - (nowMs - last.atMs);
    }
  }
  if (fromProgress === undefined) return fromEstimate;
  if (fromEstimate === undefined) return fromProgress;
  const trust = Math.min(1, (last?.progress ?? 0) / 50);
  return trust * fromProgress + (1 - trust) * fromEstimate;
}

/**
 * The wait before the next poll: near `pollMaxMs` while the run is far from its predicted end, timed to
 * land just after that end when it is within reach, `pollMinMs` once the end is due (for a while: a
 * prediction overdue by much is a wrong one, and the cadence goes back to near max until new progress
 * re-predicts). Without a prediction (no estimate, no progress yet) it starts at the minimum and grows
 * like the legacy cadence. Always within [pollMinMs, pollMaxMs]; jitter keeps a fleet out of lockstep
 * without piling delays up at exactly `pollMaxMs`.
 */
export function predictivePollDelayMs(input: PredictiveCadenceInput): number {
  const min = Math.max(0, Math.min(input.pollMinMs, input.pollMaxMs));
  const max = Math.max(input.pollMinMs, input.pollMaxMs);
  const r = Number.isFinite(input.random) ? Math.min(Math.max(input.random, 0), 1) : 0.5;
  const clamp = (ms: number) => Math.round(Math.min(max, Math.max(min, ms)));
  const far = () => clamp(max - FAR_JITTER * (max - min) * r);
  const near = () => clamp(min + 0.05 * (max - min) * r);
  const remaining = predictRemainingMs(input);
  if (remaining === undefined) {
    const steps = Math.max(0, Math.min(input.polls, 64));
    const base = Math.min(max, min * CADENCE_GROWTH ** steps);
    return clamp(base - FAR_JITTER * (base - min) * r);
  }
  if (remaining <= 0) {
    const sinceCreate = input.createdAtMs === undefined ? 0 : input.nowMs - input.createdAtMs;
    const stale = -remaining > Math.max(2 * max, 0.25 * sinceCreate);
    return stale ? far() : near();
  }
  const target = remaining + LANDING_MARGIN_MS;
  if (target <= max) return clamp(target + 0.05 * (max - min) * (r - 0.5));
  // Leave a last wait of at least `min` to land on the end with: far from it, wait near max.
  if (target - max < min) return clamp(target - min);
  return far();
}

/**
 * The wait before the next poll of a run FLORA will call back about (`flora-webhook-fallback-cadence-v1`).
 * The callback says when the run ends, so polling only covers a lost callback: near `pollMaxMs`, jittered
 * down by up to FAR_JITTER of [min, max], never aimed at the predicted end, where a poll would only race
 * the callback (and, landing mid-poll, the callback used to cost a second poll). `soon`: the callback woke
 * the last poll and it did not show the end yet (FLORA's reads may lag), so the next comes near `pollMinMs`.
 */
export function fallbackPollDelayMs(input: {
  pollMinMs: number;
  pollMaxMs: number;
  random: number;
  soon: boolean;
}): number {
  const min = Math.max(0, Math.min(input.pollMinMs, input.pollMaxMs));
  const max = Math.max(input.pollMinMs, input.pollMaxMs);
  const r = Number.isFinite(input.random) ? Math.min(Math.max(input.random, 0), 1) : 0.5;
  const ms = input.soon ? min + 0.05 * (max - min) * r : max - FAR_JITTER * (max - min) * r;
  return Math.round(Math.min(max, Math.max(min, ms)));
}

/**
 * Default longest wait between two fallback polls of a run FLORA calls back about
 * (`options.fallbackPollMaxMs`). FLORA retries a delivery up to 3 times, so a callback is lost only when
 * the receiver stays unreachable across all four attempts (down, misrouted): a case for an operator, not
 * a blip. Polling then only bounds how late such a run is seen: 30 s keeps that bound well inside the
 * length of a typical generative run, costs a sixth of the default cadence's requests and history, and
 * lets a run of up to half a minute end on the callback alone (create, one confirming poll).
 */
export const DEFAULT_FALLBACK_POLL_MAX_MS = 30_000;
/**
 * A poll aimed at the predicted end of a callback run lands this long after it: a working callback (its
 * first attempt comes as the run ends) arrives first and wakes the wait instead, so the aimed poll is
 * spent only when the callback is lost or the prediction was early. 5 s: a lost callback is then seen
 * about as late as the plain cadence's `pollMaxMs` (5 s by default) would have seen it.
 */
export const CALLBACK_END_MARGIN_MS = 5_000;

export interface SparseFallbackInput {
  pollMinMs: number;
  pollMaxMs: number;
  /** `options.fallbackPollMaxMs`; undefined: DEFAULT_FALLBACK_POLL_MAX_MS. Never below `pollMaxMs`. */
  fallbackPollMaxMs: number | undefined;
  /** A number in [0, 1): the workflow's seeded `Math.random()`. */
  random: number;
  /** The last poll was woken by a callback and did not show the end: poll again near `pollMinMs`. */
  soon: boolean;
  /** The predicted time left (predictRemainingMs); undefined when nothing predicts. */
  remainingMs: number | undefined;
  /** A wait of the current run was already aimed at its predicted end. */
  endAimed: boolean;
}

/**
 * The wait before the next poll of a run FLORA calls back about (`flora-webhook-sparse-fallback-v1`):
 * polling only covers a lost callback, so it is sparse. Near `fallbackPollMaxMs` (jittered down by up to
 * FAR_JITTER of the way to `pollMaxMs`, so a fleet spreads out), except:
 * - `soon` (a callback's poll did not confirm the end): near `pollMinMs`, as before;
 * - once per run, when a prediction puts the end plus CALLBACK_END_MARGIN_MS before that, the wait lands
 *   there (`aimed`), so a lost callback is caught early. Only once: a run that overruns its prediction
 *   would otherwise be polled at the plain cadence's pace, which is what the callback is meant to save.
 * Always within [pollMinMs, max(fallbackPollMaxMs, pollMaxMs)].
 */
export function sparseFallbackPollDelayMs(input: SparseFallbackInput): { delayMs: number; aimed: boolean } {
  const min = Math.max(0, Math.min(input.pollMinMs, input.pollMaxMs));
  const max = Math.max(input.pollMinMs, input.pollMaxMs);
  const requested = input.fallbackPollMaxMs ?? DEFAULT_FALLBACK_POLL_MAX_MS;
  const cap = Math.max(max, Number.isFinite(requested) ? requested : DEFAULT_FALLBACK_POLL_MAX_MS);
  const r = Number.isFinite(input.random) ? Math.min(Math.max(input.random, 0), 1) : 0.5;
  const clamp = (ms: number) => Math.round(Math.min(cap, Math.max(min, ms)));
  if (input.soon) return { delayMs: clamp(min + 0.05 * (max - min) * r), aimed: false };
  const far = cap - FAR_JITTER * (cap - max) * r;
  const remaining = input.remainingMs;
  if (!input.endAimed && remaining !== undefined && Number.isFinite(remaining) && remaining > 0) {
    const target = remaining + CALLBACK_END_MARGIN_MS;
    if (target < far) return { delayMs: clamp(target), aimed: true };
  }
  return { delayMs: clamp(far), aimed: false };
}
