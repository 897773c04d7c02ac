/**
 * How long to wait before another attempt at a FLORA request. The activities put these waits on their
 * failures as `nextRetryDelay`; Temporal's server clamps that value to the retry policy's
 * `maximumInterval`, so every FLORA activity preset uses `FLORA_MAX_RETRY_INTERVAL`, which covers all
 * of them. Pure constants and arithmetic: workflow code imports this module.
 */

/** Floor under any wait FLORA asks for: `retry-after: 0` must not turn into a tight loop of requests. */
export const MIN_RETRY_DELAY_MS = 1_000;

/**
 * Ceiling on a wait FLORA asks for (`retry-after` on 429 or 503; a 429 without one waits
 * `DEFAULT_RETRY_AFTER_MS`, 5 s, from flora/errors). Rate limits are counted per workspace
 * over windows of about a minute in practice, so two minutes covers a full window with margin, while a
 * wrong or hostile header (an hour, say) cannot stall a paid run. Cutting a longer wait short costs one
 * cheap request: FLORA answers another 429 with the time still left, and we wait again.
 */
export const MAX_RETRY_AFTER_MS = 120_000;

/** Backoff for 5xx, timeouts and connection failures: 1 s doubling, capped at FLORA's "about 30 s". */
export const BACKOFF_INITIAL_MS = 1_000;
export const BACKOFF_CAP_MS = 30_000;

/**
 * Wait before retrying a create whose outcome is unknown (no answer within the HTTP timeout, or a
 * connection lost after the request was sent). FLORA may still be processing that first request, and
 * two creates with one idempotency key that overlap may both run and both be billed (FLORA_API.md).
 * FLORA publishes no limit on how long it processes a request; HTTPS fronts commonly give up on an
 * origin after 60–100 s. Two minutes after our attempt gave up (at most FLORA_HTTP_TIMEOUT_MS, 25 s,
 * after it was sent), the first request has finished or been cut off, so the retry meets either a
 * cached key (a replay or a 409, both handled) or no run at all.
 */
export const UNKNOWN_CREATE_RETRY_DELAY_MS = 120_000;

/** The largest delay above, as the `maximumInterval` of every FLORA activity retry policy. */
export const FLORA_MAX_RETRY_INTERVAL_MS = Math.max(MAX_RETRY_AFTER_MS, UNKNOWN_CREATE_RETRY_DELAY_MS);

/** A wait FLORA asked for, within [MIN_RETRY_DELAY_MS, MAX_RETRY_AFTER_MS]. */
export function clampRetryAfter(ms: number): number {
  if (!Number.isFinite(ms)) return MAX_RETRY_AFTER_MS;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(MIN_RETRY_DELAY_MS, Math.round(ms)));
}

/** Exponential backoff for attempt n (1-based): 1 s, 2 s, 4 s, … up to 30 s. */
export function backoffMs(attempt: number): number {
  const n = Number.isFinite(attempt) && attempt >= 1 ? Math.floor(attempt) : 1;
  return Math.min(BACKOFF_CAP_MS, BACKOFF_INITIAL_MS * 2 ** Math.min(n - 1, 30));
}
