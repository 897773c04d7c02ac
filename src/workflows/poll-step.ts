/**
 * One poll of the current FLORA run, as a local activity (the default since `flora-poll-local-activity-v1`)
 * or as a regular activity (`options.pollMode: 'activity'`, runs with `options.activityTaskQueue`, and every
 * execution recorded before the patch).
 *
 * Local: the timer fires, one workflow task runs the poll in the worker and, with its result, starts the
 * next timer: ~6 history events and 1 workflow task per poll. Regular: the timer's workflow task schedules
 * an activity, a worker runs it from the task queue, a second workflow task starts the next timer: ~11
 * events and 2 workflow tasks. The trade-offs (rate limit, where the request is made) are in
 * docs/workflows.md and docs/operations.md. Failures reach the loop as the same ActivityFailure either way.
 */
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import type { PollRunRequest, RunSnapshot } from '../activities/types';
import { ActivityPresets, LocalActivityPresets } from './activity-presets';
import { proxyFloraActivities, proxyFloraLocalActivities } from './flora-activities';
import {
  fallbackPollDelayMs,
  MAX_PROGRESS_SAMPLES,
  nextPollDelayMs,
  predictivePollDelayMs,
  predictRemainingMs,
  sparseFallbackPollDelayMs,
  type PredictiveCadenceInput,
} from './cadence';
import {
  cappedWaitMs,
  correctedWaitMs,
  cycleOverheadSampleMs,
  observeCycleOverhead,
  overheadCorrectionMs,
} from './cycle-overhead';
import { Patches } from './patches';
import { patchedInRun } from './run-patches';
import { wakesOnCallback } from './run-events';
import type { ExecutionContext } from './execution-context';
import type { ResolvedOptions } from '../domain/request-check';

const regular = proxyFloraActivities(ActivityPresets.floraPoll);
const local = proxyFloraLocalActivities(LocalActivityPresets.floraPoll);

/**
 * The type of the ApplicationFailure a poll failed with, if it did: wrapped in an ActivityFailure for a
 * regular activity, bare for a local activity (as the SDK delivers local activity failures).
 */
export function pollFailureType(err: unknown): string | undefined {
  if (err instanceof ActivityFailure)
    return err.cause instanceof ApplicationFailure ? (err.cause.type ?? undefined) : undefined;
  return err instanceof ApplicationFailure ? (err.type ?? undefined) : undefined;
}

/**
 * Whether this poll runs as a local activity. Never with `pollMode: 'activity'`, nor, since
 * `flora-polls-on-activity-task-queue-v1`, when the run names an `activityTaskQueue`: a local activity runs
 * in the workflow worker, which in that set-up may have no FLORA client. Each patch is checked only when
 * the options leave the choice to it, so runs without those options keep their command sequence.
 */
export function pollsLocally(options: ResolvedOptions): boolean {
  if (options.pollMode === 'activity') return false;
  if (options.activityTaskQueue !== undefined && patchedInRun(Patches.PollsOnActivityQueue)) return false;
  return patchedInRun(Patches.LocalPoll);
}

export function pollOnce(req: PollRunRequest, options: ResolvedOptions): Promise<RunSnapshot> {
  return pollsLocally(options) ? local.pollRunOnce(req) : regular.pollRunOnce(req);
}

/**
 * The wait before the next poll. Executions recorded before `flora-predictive-cadence-v1` keep the growing
 * cadence; all draw one `Math.random()` (the workflow's seeded one) per wait. A run FLORA calls back about
 * polls as a fallback only, since `flora-webhook-fallback-cadence-v1`, and sparsely (up to
 * `options.fallbackPollMaxMs` apart) since `flora-webhook-sparse-fallback-v1`.
 */
export function pollDelayMs(ctx: ExecutionContext): number {
  const { options } = ctx;
  const random = Math.random();
  const aimed = aimedPollDelayMs(ctx, random);
  // Runs FLORA calls back about poll as a sparse fallback, their waits past pollMaxMs: not corrected.
  if (!wakesOnCallback(ctx)) return correctedForOverhead(ctx, aimed);
  // Checked after the cadence's own patch, as the callback's was before: older histories keep their markers' order.
  if (!patchedInRun(Patches.WebhookFallbackCadence)) return aimed;
  const soon = ctx.callbackUnconfirmed === true;
  // Asked only of callback runs: every other run's command sequence stays as it was.
  if (!patchedInRun(Patches.WebhookSparseFallback))
    return fallbackPollDelayMs({ pollMinMs: options.pollMinMs, pollMaxMs: options.pollMaxMs, random, soon });
  const next = sparseFallbackPollDelayMs({
    pollMinMs: options.pollMinMs,
    pollMaxMs: options.pollMaxMs,
    fallbackPollMaxMs: options.fallbackPollMaxMs,
    random,
    soon,
    remainingMs: predictRemainingMs(cadenceInput(ctx, random)),
    endAimed: ctx.endPollAimed === true,
  });
  if (next.aimed) ctx.endPollAimed = true;
  return next.delayMs;
}

function cadenceInput(ctx: ExecutionContext, random: number): PredictiveCadenceInput {
  const { options } = ctx;
  return {
    pollMinMs: options.pollMinMs,
    pollMaxMs: options.pollMaxMs,
    polls: ctx.pollsThisAttempt,
    random,
    nowMs: Date.now(),
    createdAtMs: ctx.createdAtMs,
    estimatedMs: ctx.estimatedMs,
    samples: ctx.progressSamples,
  };
}

/**
 * The aimed wait less the measured cycle overhead (`flora-cadence-corrects-overhead-v1`), so the gap
 * between polls is what the cadence aimed at; since `flora-cadence-caps-overhead-v1`, the aimed wait capped
 * at pollMaxMs less the overhead, so the gap stays within pollMaxMs without shortening the other waits. The patch is checked only once there is a correction to
 * make (after the execution's first plain timer cycle); the estimate itself is workflow state, no command.
 */
function correctedForOverhead(ctx: ExecutionContext, aimedMs: number): number {
  const bounds = { pollMinMs: ctx.options.pollMinMs, pollMaxMs: ctx.options.pollMaxMs };
  const correction = overheadCorrectionMs(ctx.cycleOverhead, bounds);
  if (correction <= 0 || !patchedInRun(Patches.CadenceCorrectsOverhead)) return aimedMs;
  // Since flora-cadence-caps-overhead-v1 the correction only caps a wait at pollMaxMs less it; asked only
  // here, where the older correction applies, so every other path keeps its command sequence.
  if (patchedInRun(Patches.CadenceCapsOverhead)) return cappedWaitMs(aimedMs, correction, bounds);
  return correctedWaitMs(aimedMs, correction, bounds);
}

/**
 * Takes the cycle that just ended into the overhead estimate, when it was a plain timer cycle: called in
 * the task the wait ended in, with the workflow time of the previous poll's task (undefined when there was
 * none in this execution, or it failed) and the wait asked for.
 */
export function observePollCycle(
  ctx: ExecutionContext,
  previousPollAtMs: number | undefined,
  waitedMs: number,
  calledBack: boolean,
): void {
  const sample = cycleOverheadSampleMs({ previousPollAtMs, wokeAtMs: Date.now(), waitedMs, calledBack });
  if (sample === undefined) return;
  const bounds = { pollMinMs: ctx.options.pollMinMs, pollMaxMs: ctx.options.pollMaxMs };
  ctx.cycleOverhead = observeCycleOverhead(ctx.cycleOverhead, sample, bounds);
}

function aimedPollDelayMs(ctx: ExecutionContext, random: number): number {
  const { options } = ctx;
  if (!patchedInRun(Patches.PredictiveCadence)) {
    return nextPollDelayMs({
      pollMinMs: options.pollMinMs,
      pollMaxMs: options.pollMaxMs,
      polls: ctx.pollsThisAttempt,
      random,
    });
  }
  return predictivePollDelayMs(cadenceInput(ctx, random));
}

/** Keeps what a poll showed for the cadence: the first sample and the latest few. */
export function observeProgress(ctx: ExecutionContext, progress: number): void {
  const samples = ctx.progressSamples;
  samples.push({ atMs: Date.now(), progress });
  if (samples.length > MAX_PROGRESS_SAMPLES) samples.splice(1, samples.length - MAX_PROGRESS_SAMPLES);
}
