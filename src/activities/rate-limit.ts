/**
 * This worker's share of the fleet's FLORA request budget, for the requests Temporal's task-queue rate
 * limit cannot see: local activities (polls, by default) run inside workflow tasks, never through the
 * activity task queue. Every FLORA request this worker makes takes a slot, so N workers, each limited to
 * `FLORA_MAX_REQUESTS_PER_SECOND ÷ FLORA_WORKERS`, stay under the budget together (docs/operations.md).
 *
 * Slots are evenly spaced (no burst): FLORA's per-workspace limit is counted per second, and spacing keeps
 * every second under it. A request that would wait longer than `maxWaitMs` is not queued: it fails as
 * retryable `rate_limited` before anything is sent, naming the wait as its `nextRetryDelay`, so an
 * activity never spends its start-to-close timeout waiting and Temporal's retry does the waiting.
 *
 * The share adapts (AIMD): when more workers run than FLORA_WORKERS says (an autoscaler, a deploy's
 * overlap), FLORA answers 429. Each 429 halves this worker's rate (at most once per cooldown, since the
 * requests already sent answer 429 too) and pauses sending until its `retry-after`; the rate then grows
 * back linearly, by `recoveryPerSecond` of the starting share each second, up to that share and never
 * above it. N workers that each halve on 429 and creep back settle together under the workspace limit
 * without knowing N.
 */
import { localRateLimited } from '../domain/failures';

/** Longest wait for a slot inside an activity: well within the 30 s start-to-close with the 25 s HTTP timeout. */
export const MAX_SLOT_WAIT_MS = 4_000;

/** Each 429 multiplies the rate by this. */
export const RATE_CUT_FACTOR = 0.5;
/** Share of the starting rate regained per second after a cut: from half back to whole in 25 s. */
export const RATE_RECOVERY_PER_SECOND = 0.02;
/** The rate never falls below this share of the starting rate. */
export const MIN_RATE_SHARE = 1 / 64;

export class RequestRateLimiter {
  private nextFreeAtMs = Number.NEGATIVE_INFINITY;
  /** The rate right after the last cut, and when that was. */
  private cutRate: number;
  private lastCutAtMs = Number.NEGATIVE_INFINITY;
  private cooldownUntilMs = Number.NEGATIVE_INFINITY;
  /** 429s seen and cuts made, for logs and tests. */
  rateLimitedCount = 0;
  cuts = 0;

  constructor(
    /** Requests per second for this worker at the start, and its ceiling. */
    readonly perSecond: number,
    readonly maxWaitMs: number = MAX_SLOT_WAIT_MS,
    private readonly now: () => number = Date.now,
    private readonly recoveryPerSecond: number = RATE_RECOVERY_PER_SECOND,
  ) {
    if (!(perSecond > 0) || !Number.isFinite(perSecond))
      throw new RangeError(`expected a positive number of requests per second, got ${perSecond}`);
    this.cutRate = perSecond;
  }

  /** The rate now: the last cut's, plus the linear recovery since, capped at the starting rate. */
  currentPerSecond(nowMs: number = this.now()): number {
    if (this.cuts === 0) return this.perSecond;
    const sinceCutS = Math.max(0, nowMs - this.lastCutAtMs) / 1000;
    return Math.min(this.perSecond, this.cutRate + this.perSecond * this.recoveryPerSecond * sinceCutS);
  }

  /** Spacing between slots at the current rate. */
  get intervalMs(): number {
    return 1000 / this.currentPerSecond();
  }

  /**
   * FLORA answered 429: halve the rate (unless a cut was made within the cooldown: the requests sent
   * before it answer 429 too) and send nothing more until `retryAfterMs` has passed.
   */
  rateLimited(retryAfterMs: number | undefined): void {
    const now = this.now();
    this.rateLimitedCount += 1;
    const pauseMs = Math.max(0, retryAfterMs ?? 0);
    this.nextFreeAtMs = Math.max(this.nextFreeAtMs, now + pauseMs);
    if (now < this.cooldownUntilMs) return;
    const floor = this.perSecond * MIN_RATE_SHARE;
    this.cutRate = Math.max(floor, this.currentPerSecond(now) * RATE_CUT_FACTOR);
    this.lastCutAtMs = now;
    this.cuts += 1;
    // One cut per burst of 429s: at least 1 s, and at least the pause FLORA asked for.
    this.cooldownUntilMs = now + Math.max(1_000, pauseMs);
  }

  /** Reserves the next slot and returns the wait until it (ms); undefined when that is over `maxWaitMs`. */
  reserve(): number | undefined {
    const now = this.now();
    const at = Math.max(now, this.nextFreeAtMs);
    const waitMs = at - now;
    if (waitMs > this.maxWaitMs) return undefined;
    this.nextFreeAtMs = at + 1000 / this.currentPerSecond(now);
    return waitMs;
  }

  /** How long until a request could get a slot within `maxWaitMs` (for a refused request's retry). */
  retryInMs(): number {
    return Math.max(1_000, Math.ceil(this.nextFreeAtMs - this.now() - this.maxWaitMs));
  }

  /** Waits for a slot, or throws a retryable `rate_limited` failure when the wait would be too long. */
  async take(): Promise<void> {
    const waitMs = this.reserve();
    if (waitMs === undefined) throw localRateLimited(this.retryInMs());
    if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
  }
}
