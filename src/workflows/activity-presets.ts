import type { ActivityOptions, LocalActivityOptions } from '@temporalio/common';
import { FLORA_MAX_RETRY_INTERVAL_MS } from '../domain/retry-delays';

/**
 * Named activity option presets, defined once.
 *
 * The HTTP layer never retries; these policies are the only retries. Non-retryable failures (4xx) are
 * marked so by the activities themselves, and every retryable FLORA failure carries its own
 * `nextRetryDelay` (src/domain/retry-delays.ts): `retry-after` on a 429 or 503 (1 s to 2 min), two
 * minutes after a create whose outcome is unknown, else 1 s doubling to 30 s. The server clamps
 * `nextRetryDelay` to `maximumInterval`, so every FLORA preset sets it to the largest of those
 * delays; the policy's own backoff then only applies when an attempt dies without an answer (its
 * worker crashed and `startToCloseTimeout` ran out).
 *
 * Every FLORA request has an HTTP timeout (at most 25 s) shorter than `startToCloseTimeout` (30 s),
 * so a worker never retries a request it is still making. That alone does not stop a retry from
 * overlapping a first create FLORA is still processing: the create activity is never aborted (not by
 * cancellation, not by a worker's shutdown, whose grace time outlasts the HTTP timeout), and a create
 * that got no answer is retried only after UNKNOWN_CREATE_RETRY_DELAY_MS.
 */
export const ActivityPresets = {
  /** Schema and run-history reads: nothing is spent yet, so give up after a few minutes of outage. */
  floraRead: {
    startToCloseTimeout: '30s',
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: FLORA_MAX_RETRY_INTERVAL_MS,
      maximumAttempts: 12,
    },
  },
  /**
   * Creates are safe to retry because every attempt carries the same idempotency key, but only while
   * FLORA remembers the key (2 h per its OpenAPI spec): retries stop after 90 minutes, and the workflow
   * then fails with the key so an operator can look the run up instead of risking a second one.
   */
  floraCreate: {
    startToCloseTimeout: '30s',
    scheduleToCloseTimeout: '90m',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: FLORA_MAX_RETRY_INTERVAL_MS },
  },
  /** Polls retry through outages until the workflow's deadline: the run goes on at FLORA regardless. */
  floraPoll: {
    startToCloseTimeout: '30s',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: FLORA_MAX_RETRY_INTERVAL_MS },
  },
  /**
   * Saving outputs: many files, possibly large; retried a few times, since output URLs expire. The
   * activity heartbeats every 2 s and per chunk, so a worker that dies mid-download is detected after
   * `heartbeatTimeout` and the download retried on another worker, not after 30 minutes.
   */
  download: {
    startToCloseTimeout: '30m',
    heartbeatTimeout: '15s',
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 5 },
  },
} as const satisfies Record<string, ActivityOptions>;

/**
 * The poll as a local activity (the default since `flora-poll-local-activity-v1`): run by the worker that
 * holds the workflow task the timer woke, so a poll costs one workflow task and a marker instead of an
 * activity task and a second workflow task. Same retries as `floraPoll` (the run goes on at FLORA, so
 * polls retry until the deadline), same `nextRetryDelay` per failure (`retry-after`). A retry due within
 * `localRetryThreshold` runs in the worker while the workflow task stays open; a longer one (an outage's
 * backoff, a long `retry-after`) waits on a durable timer, so the task is released and a query, a signal
 * or the deadline is handled meanwhile.
 */
export const LocalActivityPresets = {
  /**
   * The schema read as a local activity (since `flora-lean-run-v1`, in the first workflow task): the same
   * timeout and retries as `floraRead` (it gives up after 12 attempts, the workflow then fails with the
   * read's failure); retries due within `localRetryThreshold` run in the worker, longer ones on a timer.
   */
  floraRead: {
    startToCloseTimeout: ActivityPresets.floraRead.startToCloseTimeout,
    localRetryThreshold: '10s',
    retry: ActivityPresets.floraRead.retry,
  },
  floraPoll: {
    startToCloseTimeout: ActivityPresets.floraPoll.startToCloseTimeout,
    localRetryThreshold: '10s',
    retry: ActivityPresets.floraPoll.retry,
  },
} as const satisfies Record<string, LocalActivityOptions>;
