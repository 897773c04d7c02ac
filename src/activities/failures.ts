import { ApplicationFailure } from '@temporalio/common';
import { FloraError } from '../flora/errors';
import { FailureType } from '../flora/failure-types';

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

/**
 * The one mapping from FLORA failures to Temporal failures:
 * - 429: retryable, `nextRetryDelay` = `retry-after` (5 s without one);
 * - 5xx, timeouts, connection errors, garbled bodies: retryable with the policy's backoff;
 * - 402: non-retryable, with what to do;
 * - every other 4xx: non-retryable.
 * The failure `type` is FLORA's code, so one type stands for one cause everywhere.
 */
export function toApplicationFailure(
  err: unknown,
  extra: Pick<FloraFailureDetails, 'attempt'> = {},
): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  if (!(err instanceof FloraError)) {
    // A bug of ours, not FLORA's: let Temporal retry it (and surface it) rather than guess.
    const message = err instanceof Error ? err.message : String(err);
    return ApplicationFailure.create({ message, type: 'unexpected_error', nonRetryable: false });
  }
  const details: FloraFailureDetails = {
    status: err.status,
    code: err.code,
    requestId: err.requestId,
    route: err.route,
    fields: err.fields,
    ...(extra.attempt !== undefined ? { attempt: extra.attempt } : {}),
  };
  if (err.status === 402) {
    return ApplicationFailure.create({
      type: FailureType.InsufficientCredits,
      message: `FLORA has no credits left for this run: top up the workspace's balance, then start the run again (${err.describe()})`,
      nonRetryable: true,
      details: [details],
    });
  }
  if (err.status === 429) {
    return ApplicationFailure.create({
      type: err.code,
      message: `FLORA rate limit reached; retrying in ${err.retryAfterMs ?? 0} ms (${err.describe()})`,
      nonRetryable: false,
      nextRetryDelay: err.retryAfterMs,
      details: [details],
    });
  }
  return ApplicationFailure.create({
    type: err.code,
    message: err.describe(),
    nonRetryable: !err.retryable,
    details: [details],
  });
}
