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
