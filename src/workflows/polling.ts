/**
 * Polling one FLORA run until it is terminal, on durable timers, continuing as new when the history
 * grows long. Two poll answers are not final for a run this workflow knows exists:
 * - 404 `not_found` right after the create (FLORA's reads may lag its writes): retried for
 *   POLL_NOT_FOUND_GRACE_MS after the create, then once on the canonical route, then final;
 * - 401/403 (a wrong or revoked key on this worker, a permission glitch): retried until the deadline with
 *   a growing wait, the status query's `note` saying why, since another worker or a fixed key can still
 *   finish the run (failing would throw away a run that is going, and billed, at FLORA).
 */
import { internalBug } from '../domain/failures';
import { continueAsNew, log, patched, sleep, workflowInfo } from '@temporalio/workflow';
import type { RunSnapshot } from '../activities/types';
import { FailureType } from '../flora/failure-types';
import { Patches } from './patches';
import { observeProgress, pollDelayMs, pollFailureType, pollOnce } from './poll-step';
import type { Loop } from './run-loop';
import { waitBeforePoll } from './run-events';
import type { RunTechniqueResult, RunTechniqueStatus } from './types';
import type { ContinuedState, RunTechniqueWireInput } from './wire';
import type { ResolvedOptions } from '../domain/request-check';

/**
 * How long after its create a run FLORA answers 404 for is taken for read-after-write lag rather than
 * gone. FLORA documents no lag; a minute covers replica lag with room to spare.
 */
export const POLL_NOT_FOUND_GRACE_MS = 60_000;
/** Longest wait between polls while FLORA refuses this worker's key (401/403). */
export const POLL_AUTH_RETRY_MAX_MS = 60_000;
const AUTH_FAILURES: readonly string[] = [
  FailureType.Unauthorized,
  FailureType.InvalidApiKey,
  FailureType.Forbidden,
];

type RunWorkflow = (input: RunTechniqueWireInput) => Promise<RunTechniqueResult>;

export async function pollUntilDone(
  input: RunTechniqueWireInput,
  loop: Loop,
  options: ResolvedOptions,
  deadlineAtMs: number,
  status: RunTechniqueStatus,
): Promise<RunSnapshot> {
  const runId = loop.runId;
  if (runId === undefined) {
    throw internalBug('polling without a run id');
  }
  for (;;) {
    if (!loop.pollNow) {
      await waitBeforePoll(loop, pollDelayMs(loop, options));
    }
    loop.pollNow = false;
    let snapshot: RunSnapshot;
    try {
      snapshot = await pollOnce({ technique: loop.pollTechnique, runId, pollUrl: loop.pollUrl }, options);
    } catch (err) {
      if (!(await retryAfterPollFailure(err, loop, options, status))) throw err;
      await continueIfLong(input, loop, options, deadlineAtMs, status);
      continue;
    }
    if (loop.authFailures > 0 || !loop.seenRun) status.note = undefined;
    loop.seenRun = true;
    loop.authFailures = 0;
    loop.pollsThisAttempt += 1;
    status.polls += 1;
    status.lastPollAt = new Date().toISOString();
    status.progress = snapshot.progress;
    observeProgress(loop, snapshot.progress);
    loop.report();
    loop.pollUrl = snapshot.pollUrl ?? loop.pollUrl;
    if (snapshot.terminal) return snapshot;
    await continueIfLong(input, loop, options, deadlineAtMs, status);
  }
}

/**
 * Whether a failed poll is worth another one (after waiting, when needed). False: the failure is final.
 * Each rule is behind its patch, so histories recorded before it fail where they failed.
 */
async function retryAfterPollFailure(
  err: unknown,
  loop: Loop,
  options: ResolvedOptions,
  status: RunTechniqueStatus,
): Promise<boolean> {
  const type = pollFailureType(err);
  if (type === FailureType.NotFound) {
    if (!patched(Patches.PollNotFoundGrace)) return false;
    const sinceCreateMs = loop.createdAtMs === undefined ? undefined : Date.now() - loop.createdAtMs;
    if (!loop.seenRun && sinceCreateMs !== undefined && sinceCreateMs < POLL_NOT_FOUND_GRACE_MS) {
      status.note =
        `FLORA does not show run ${loop.runId} yet (404 ${Math.round(sinceCreateMs / 1000)} s after its create): ` +
        `retrying for up to ${POLL_NOT_FOUND_GRACE_MS / 1000} s after the create, as reads can lag writes.`;
      return true; // the loop waits its usual cadence first
    }
    if (!loop.canonicalRetried) {
      loop.canonicalRetried = true;
      loop.pollUrl = undefined; // GET /techniques/{id}/runs/{run_id}, not the poll_url FLORA gave
      status.note = `FLORA answered 404 for run ${loop.runId}: one last poll on the canonical route.`;
      return true;
    }
    return false;
  }
  if (type !== undefined && AUTH_FAILURES.includes(type)) {
    if (!patched(Patches.PollAuthRetry)) return false;
    loop.authFailures += 1;
    const waitMs = Math.min(
      POLL_AUTH_RETRY_MAX_MS,
      options.pollMaxMs * 2 ** Math.min(loop.authFailures - 1, 16),
    );
    status.note =
      `FLORA refused to show run ${loop.runId} (${type}, ${loop.authFailures} time${loop.authFailures === 1 ? '' : 's'} in a row): ` +
      `this worker's FLORA_API_KEY may be wrong, revoked or lack access. The run exists at FLORA and is not ` +
      `lost: polling again in ${Math.round(waitMs / 1000)} s, until the deadline (fix the key, or let another worker take over).`;
    if (loop.authFailures === 1)
      log.warn('FLORA refused a poll of an existing run; retrying', { runId: loop.runId, type });
    await sleep(waitMs);
    loop.pollNow = true;
    return true;
  }
  return false;
}

/** Continues as new once the history is long (or the server suggests it), carrying the run and counters. */
async function continueIfLong(
  input: RunTechniqueWireInput,
  loop: Loop,
  options: ResolvedOptions,
  deadlineAtMs: number,
  status: RunTechniqueStatus,
): Promise<void> {
  const info = workflowInfo();
  const runId = loop.runId;
  if (runId === undefined) return;
  if (!info.continueAsNewSuggested && info.historyLength < options.maxHistoryEvents) return;
  const carried: ContinuedState = {
    technique: loop.technique,
    pollTechnique: loop.pollTechnique,
    runId,
    pollUrl: loop.pollUrl,
    runIds: status.runIds,
    attempt: status.attempt,
    polls: status.polls,
    pollsThisAttempt: loop.pollsThisAttempt,
    progress: status.progress,
    deadlineAtMs,
    runCost: loop.runCost,
    keyBase: loop.keyBase,
    create: loop.create,
    continuedTimes: loop.continuedTimes + 1,
  };
  if (loop.createdAtMs !== undefined || loop.estimatedMs !== undefined)
    carried.cadence = { createdAtMs: loop.createdAtMs, estimatedMs: loop.estimatedMs };
  // Only when there is evidence to carry: histories recorded before it continued without the field.
  if (loop.billing.createsInDoubt > 0 || loop.billing.failedRunIds.length > 0) carried.billing = loop.billing;
  log.info('Continuing as new to keep the history bounded', {
    historyLength: info.historyLength,
    runId,
    polls: status.polls,
  });
  // Written under both names: a worker from before the rename (during a rolling deploy) reads `resume`.
  // The continue-as-new command is matched by its type on replay, not its payload, so histories
  // recorded before the rename replay (test/replay.test.ts).
  await continueAsNew<RunWorkflow>({ ...input, continued: carried, resume: carried });
}
