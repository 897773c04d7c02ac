import type { ActivityOptions } from '@temporalio/common';

/**
 * Named activity option presets, defined once. Every FLORA request has an HTTP timeout (at most 25 s)
 * shorter than `startToCloseTimeout` (30 s), so a stale attempt is dead before its retry starts and two
 * creates with one idempotency key never run at once.
 *
 * The HTTP layer never retries; these policies are the only retries. Non-retryable failures (4xx) are
 * marked so by the activities themselves, and a 429 carries its own `nextRetryDelay`.
 */
export const ActivityPresets = {
  /** Schema and run-history reads: nothing is spent yet, so give up after a few minutes of outage. */
  floraRead: {
    startToCloseTimeout: '30s',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 12 },
  },
  /**
   * Creates are safe to retry because every attempt carries the same idempotency key, but only while
   * FLORA remembers the key (2 h per its OpenAPI spec): retries stop after 90 minutes, and the workflow
   * then fails with the key so an operator can look the run up instead of risking a second one.
   */
  floraCreate: {
    startToCloseTimeout: '30s',
    scheduleToCloseTimeout: '90m',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
  },
  /** Polls retry through outages until the workflow's deadline: the run goes on at FLORA regardless. */
  floraPoll: {
    startToCloseTimeout: '30s',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
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
