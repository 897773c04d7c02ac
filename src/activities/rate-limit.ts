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
 */
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../flora/failure-types';

/** Longest wait for a slot inside an activity: well within the 30 s start-to-close with the 25 s HTTP timeout. */
export const MAX_SLOT_WAIT_MS = 4_000;

export class RequestRateLimiter {
  private nextFreeAtMs = Number.NEGATIVE_INFINITY;
  readonly intervalMs: number;

  constructor(
    /** Requests per second for this worker. */
    readonly perSecond: number,
    readonly maxWaitMs: number = MAX_SLOT_WAIT_MS,
    private readonly now: () => number = Date.now,
  ) {
    if (!(perSecond > 0) || !Number.isFinite(perSecond))
      throw new RangeError(`expected a positive number of requests per second, got ${perSecond}`);
    this.intervalMs = 1000 / perSecond;
  }

  /** Reserves the next slot and returns the wait until it (ms); undefined when that is over `maxWaitMs`. */
  reserve(): number | undefined {
    const now = this.now();
    const at = Math.max(now, this.nextFreeAtMs);
    const waitMs = at - now;
    if (waitMs > this.maxWaitMs) return undefined;
    this.nextFreeAtMs = at + this.intervalMs;
    return waitMs;
  }

  /** How long until a request could get a slot within `maxWaitMs` (for a refused request's retry). */
  retryInMs(): number {
    return Math.max(1_000, Math.ceil(this.nextFreeAtMs - this.now() - this.maxWaitMs));
  }

  /** Waits for a slot, or throws a retryable `rate_limited` failure when the wait would be too long. */
  async take(): Promise<void> {
    const waitMs = this.reserve();
    if (waitMs === undefined) {
      const retryMs = this.retryInMs();
      throw ApplicationFailure.create({
        type: FailureType.RateLimited,
        message: `this worker's share of FLORA_MAX_REQUESTS_PER_SECOND is used up; retrying in ${retryMs} ms (nothing was sent)`,
        nonRetryable: false,
        nextRetryDelay: retryMs,
      });
    }
    if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
  }
}
