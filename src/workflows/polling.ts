/**
 * Polling one FLORA run until it is terminal, on durable timers, continuing as new when the history
 * grows long. Two poll answers are not final for a run this workflow knows exists:
 * - 404 `not_found` right after the create (FLORA's reads may lag its writes): retried for
 *   POLL_NOT_FOUND_GRACE_MS after the create, then once on the canonical route, then final;
 * - 401/403 (a wrong or revoked key on this worker, a permission glitch): retried until the deadline with
 *   a growing wait, the status query's `note` saying why, since another worker or a fixed key can still
 *   finish the run (failing would throw away a run that is going, and billed, at FLORA).
 */
import { FailureType, internalBug } from '../domain/failures';
import { continueAsNew, log, sleep, workflowInfo } from '@temporalio/workflow';
import type { RunSnapshot } from '../activities/types';
import { Patches } from './patches';
import { patchedInRun } from './run-patches';
import { observePollCycle, observeProgress, pollDelayMs, pollFailureType, pollOnce } from './poll-step';
import type { ExecutionContext } from './execution-context';
import { endInNextTask, waitBeforePoll } from './run-events';
import type { RunTechniqueResult } from './types';
import type { ContinuedState, RunTechniqueWireInput } from './wire';

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

export async function pollUntilDone(ctx: ExecutionContext): Promise<RunSnapshot> {
  const { options, status } = ctx;
  const runId = ctx.runId;
  if (runId === undefined) {
    throw internalBug('polling without a run id');
  }
  // Workflow time of the task that made the last successful poll: where the next cycle's overhead is measured from.
  let previousPollAtMs: number | undefined;
  for (;;) {
    let calledBack = false;
    if (!ctx.pollNow) {
      const waitMs = pollDelayMs(ctx);
      calledBack = await waitBeforePoll(ctx, waitMs);
      observePollCycle(ctx, previousPollAtMs, waitMs, calledBack);
    }
    ctx.pollNow = false;
    const pollAtMs = Date.now();
    let snapshot: RunSnapshot;
    try {
      snapshot = await pollOnce({ technique: ctx.pollTechnique, runId, pollUrl: ctx.pollUrl }, options);
    } catch (err) {
      // A failed poll's cycle (its retries, an auth back-off) is no plain one: the next is not measured.
      previousPollAtMs = undefined;
      if (!(await retryAfterPollFailure(err, ctx))) throw err;
      await continueIfLong(ctx);
      continue;
    }
    if (ctx.authFailures > 0 || !ctx.seenRun) status.note = undefined;
    ctx.seenRun = true;
    ctx.authFailures = 0;
    previousPollAtMs = pollAtMs;
    ctx.pollsThisAttempt += 1;
    status.polls += 1;
    status.lastPollAt = new Date().toISOString();
    status.progress = snapshot.progress;
    observeProgress(ctx, snapshot.progress);
    ctx.report();
    ctx.pollUrl = snapshot.pollUrl ?? ctx.pollUrl;
    if (snapshot.terminal) {
      if (!calledBack) await endInNextTask(ctx);
      return snapshot;
    }
    ctx.callbackUnconfirmed = calledBack;
    await continueIfLong(ctx);
  }
}

/**
 * Whether a failed poll is worth another one (after waiting, when needed). False: the failure is final.
 * Each rule is behind its patch, so histories recorded before it fail where they failed.
 */
async function retryAfterPollFailure(err: unknown, ctx: ExecutionContext): Promise<boolean> {
  const { options, status } = ctx;
  const type = pollFailureType(err);
  if (type === FailureType.NotFound) {
    if (!patchedInRun(Patches.PollNotFoundGrace)) return false;
    const sinceCreateMs = ctx.createdAtMs === undefined ? undefined : Date.now() - ctx.createdAtMs;
    if (!ctx.seenRun && sinceCreateMs !== undefined && sinceCreateMs < POLL_NOT_FOUND_GRACE_MS) {
      status.note =
        `FLORA does not show run ${ctx.runId} yet (404 ${Math.round(sinceCreateMs / 1000)} s after its create): ` +
        `retrying for up to ${POLL_NOT_FOUND_GRACE_MS / 1000} s after the create, as reads can lag writes.`;
      return true; // the loop waits its usual cadence first
    }
    if (!ctx.canonicalRetried) {
      ctx.canonicalRetried = true;
      ctx.pollUrl = undefined; // GET /techniques/{id}/runs/{run_id}, not the poll_url FLORA gave
      status.note = `FLORA answered 404 for run ${ctx.runId}: one last poll on the canonical route.`;
      return true;
    }
    return false;
  }
  if (type !== undefined && AUTH_FAILURES.includes(type)) {
    if (!patchedInRun(Patches.PollAuthRetry)) return false;
    ctx.authFailures += 1;
    const waitMs = Math.min(
      POLL_AUTH_RETRY_MAX_MS,
      options.pollMaxMs * 2 ** Math.min(ctx.authFailures - 1, 16),
    );
    status.note =
      `FLORA refused to show run ${ctx.runId} (${type}, ${ctx.authFailures} time${ctx.authFailures === 1 ? '' : 's'} in a row): ` +
      `this worker's FLORA_API_KEY may be wrong, revoked or lack access. The run exists at FLORA and is not ` +
      `lost: polling again in ${Math.round(waitMs / 1000)} s, until the deadline (fix the key, or let another worker take over).`;
    if (ctx.authFailures === 1)
      log.warn('FLORA refused a poll of an existing run; retrying', { runId: ctx.runId, type });
    await sleep(waitMs);
    ctx.pollNow = true;
    return true;
  }
  return false;
}

/** Continues as new once the history is long (or the server suggests it), carrying the run and counters. */
async function continueIfLong(ctx: ExecutionContext): Promise<void> {
  const { input, options, deadlineAtMs, status } = ctx;
  const info = workflowInfo();
  const runId = ctx.runId;
  if (runId === undefined) return;
  if (!info.continueAsNewSuggested && info.historyLength < options.maxHistoryEvents) return;
  const carried: ContinuedState = {
    technique: ctx.technique,
    pollTechnique: ctx.pollTechnique,
    runId,
    pollUrl: ctx.pollUrl,
    runIds: status.runIds,
    attempt: status.attempt,
    polls: status.polls,
    pollsThisAttempt: ctx.pollsThisAttempt,
    progress: status.progress,
    deadlineAtMs,
    runCost: ctx.runCost,
    keyBase: ctx.keyBase,
    create: ctx.create,
  };
  if (ctx.createdAtMs !== undefined || ctx.estimatedMs !== undefined)
    carried.cadence = { createdAtMs: ctx.createdAtMs, estimatedMs: ctx.estimatedMs };
  // Only when there is evidence to carry: histories recorded before it continued without the field.
  if (ctx.billing.createsInDoubt > 0 || ctx.billing.failedRunIds.length > 0) carried.billing = ctx.billing;
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
