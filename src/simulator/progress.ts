/**
 * Progress curves. Real models do not report progress linearly: some sit at a few percent while
 * a queue drains, some jump in chunks, some rush to 90 % and crawl the rest, and FLORA's
 * `estimated_seconds` is only an estimate. A poll-cadence predictor must be tested against that,
 * not against a straight line it could fit perfectly.
 *
 * A curve is a list of knots: cumulative progress fractions at equally spaced points of the running
 * phase, starting at 0 and ending at 1, never decreasing. The state at any instant is still a pure
 * function of the time since creation (see lifecycle.ts).
 */
import type { Prng } from './random';

export type ProgressModel = 'linear' | 'noisy';

/** Knots per curve: enough for stalls and bursts, few enough to stay cheap to store per run. */
const KNOTS = 8;

/** A random monotone curve: a random overall shape (front- or back-loaded), stalls and bursts. */
export function noisyCurve(prng: Prng): number[] {
  // Shape exponent in [0.5, 2]: below 1 front-loaded, above 1 back-loaded.
  const shape = 0.5 * 4 ** prng.next();
  const weights: number[] = [];
  for (let i = 0; i < KNOTS; i += 1) {
    const base = ((i + 1) / KNOTS) ** shape - (i / KNOTS) ** shape;
    // One segment in four stalls (no progress); the others are scaled by a factor in [0.3, 2.3).
    const stall = prng.next() < 0.25;
    weights.push(stall ? 0 : base * (0.3 + 2 * prng.next()));
  }
  const total = weights.reduce((a, b) => a + b, 0) || 1;
  const knots = [0];
  let sum = 0;
  for (const w of weights) {
    sum += w;
    knots.push(Math.min(1, sum / total));
  }
  knots[KNOTS] = 1;
  return knots;
}

/** Progress in [0, 1] at `fraction` (0..1) of the running phase, interpolated between knots. */
export function curveAt(knots: readonly number[], fraction: number): number {
  const segments = knots.length - 1;
  if (segments <= 0) return fraction;
  const x = Math.min(1, Math.max(0, fraction)) * segments;
  const i = Math.min(segments - 1, Math.floor(x));
  const lo = knots[i] ?? 0;
  const hi = knots[i + 1] ?? 1;
  return lo + (hi - lo) * (x - i);
}

/** FLORA's estimate of a run's length: the true length times a factor in [0.6, 1.6). */
export function noisyEstimateMs(prng: Prng, durationMs: number): number {
  return Math.round(durationMs * (0.6 + prng.next()));
}
