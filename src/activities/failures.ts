import { ApplicationFailure } from '@temporalio/common';
import { DEFAULT_RETRY_AFTER_MS, FloraError } from '../flora/errors';
import { FailureType } from '../domain/failures';
import { backoffMs, clampRetryAfter } from '../domain/retry-delays';

/** Details attached to every FLORA failure, for operators (never the API key). */
export interface FloraFailureDetails {
  status: number | undefined;
  code: string;
  requestId: string | undefined;
  route: string | undefined;
  fields: { field: string; message: string }[];
  /**
   * For creates: the activity attempt that got this answer. Above 1, an earlier attempt may have reached
   * FLORA and created (and billed) a run before this one was refused.
   */
  attempt?: number | undefined;
}

export interface FailureContext {
  /** The activity attempt that failed (1-based), for the backoff. @default 1 */
  attempt?: number | undefined;
  /**
   * The request was a create: when its outcome is unknown it is retried only after this long.
   * Undefined for every other request. See UNKNOWN_CREATE_RETRY_DELAY_MS.
   */
  unknownCreateRetryDelayMs?: number | undefined;
  /** Put `attempt` in the failure's details (creates: the workflow reads it). */
  recordAttempt?: boolean | undefined;
}

/**
 * The one mapping from FLORA failures to Temporal failures. Every retryable failure carries its own
 * `nextRetryDelay` (the retry policies' `maximumInterval` only has to cover the largest):
 * - 429: `retry-after` (5 s without one), within [1 s, 120 s];
 * - 503 with `retry-after`: the same;
 * - a create whose outcome is unknown (timeout, connection lost after sending): UNKNOWN_CREATE_RETRY_DELAY_MS,
 *   so the retry (same idempotency key) cannot overlap a first request FLORA is still processing;
 * - other 5xx, timeouts, connection errors, garbled bodies: 1 s doubling up to 30 s;
 * - 402: non-retryable, with what to do;
 * - every other 4xx: non-retryable.
 * The failure `type` is FLORA's code, so one type stands for one cause everywhere.
 */
export function toApplicationFailure(err: unknown, context: FailureContext = {}): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  if (!(err instanceof FloraError)) {
    // A bug of ours, not FLORA's: let Temporal retry it (and surface it) rather than guess.
    const message = err instanceof Error ? err.message : String(err);
    return ApplicationFailure.create({ message, type: FailureType.UnexpectedError, nonRetryable: false });
  }
  const details: FloraFailureDetails = {
    status: err.status,
    code: err.code,
    requestId: err.requestId,
    route: err.route,
    fields: err.fields,
    ...(context.recordAttempt && context.attempt !== undefined ? { attempt: context.attempt } : {}),
  };
  if (err.status === 402) {
    return ApplicationFailure.create({
      type: FailureType.InsufficientCredits,
      message: `FLORA has no credits left for this run: top up the workspace's balance, then start the run again (${err.describe()})`,
      nonRetryable: true,
      details: [details],
    });
  }
  if (!err.retryable) {
    return ApplicationFailure.create({
      type: err.code,
      message: err.describe(),
      nonRetryable: true,
      details: [details],
    });
  }
  const { delayMs, why } = retryDelay(err, context);
  return ApplicationFailure.create({
    type: err.code,
    message: `${why}; retrying in ${delayMs} ms (${err.describe()})`,
    nonRetryable: false,
    nextRetryDelay: delayMs,
    details: [details],
  });
}

function retryDelay(err: FloraError, context: FailureContext): { delayMs: number; why: string } {
  if (err.status === 429) {
    return {
      delayMs: clampRetryAfter(err.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS),
      why: 'FLORA rate limit reached',
    };
  }
  if (err.status === 503 && err.retryAfterMs !== undefined) {
    return { delayMs: clampRetryAfter(err.retryAfterMs), why: 'FLORA is unavailable and asked us to wait' };
  }
  if (err.outcomeUnknown && context.unknownCreateRetryDelayMs !== undefined) {
    return {
      delayMs: context.unknownCreateRetryDelayMs,
      why: 'FLORA did not answer the create and may still be processing it, so the retry (same idempotency key) waits until it must have finished',
    };
  }
  return { delayMs: backoffMs(context.attempt ?? 1), why: 'FLORA request failed' };
}
