/**
 * `runTechnique`: one FLORA technique run, durably. Validates before spending, creates with a stable
 * idempotency key, polls on durable timers, re-creates after transient run failures, survives worker
 * restarts, and keeps its history bounded with continue-as-new.
 */
import {
  FailureType,
  internalBug,
  invalidRequest,
  runFailed,
  TRANSIENT_RUN_ERRORS,
} from '../domain/failures';
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  defineQuery,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  metricMeter,
  setHandler,
  sleep,
  TemporalFailure,
  TimeoutFailure,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { ActivityPresets, LocalActivityPresets } from './activity-presets';
import {
  proxyFloraActivities,
  proxyFloraLocalActivities,
  useFloraActivityTaskQueue,
} from './flora-activities';
import { createOnce } from './adoption';
import { noEvidence, type BillingEvidence } from './billing';
import { classifyRunEnd, type Ended, type EndFacts, type RunEnd } from './run-end';
import { describeFailureChain } from '../domain/failure-chain';
import { prefixedActivityName } from '../domain/activity-names';
import { RetryState } from '@temporalio/common';
import type { TechniqueInfo } from '../domain/technique';
import { Patches } from './patches';
import { decideLeanRun, isLeanRun, patchedInRun } from './run-patches';
import { pollUntilDone } from './polling';
import { callbackUrlFor, listenForRunEvents } from './run-events';
import type { ExecutionContext, ExecutionScope } from './execution-context';
import { FloraRunIdKey, FloraTechniqueKey } from '../domain/search-attribute-keys';
import { childProgressSignal } from './signals';
import { Phase } from './types';
import type { ReportTo } from '../domain/run-request';
import type { RunTechniqueResult, RunTechniqueStatus, TechniqueRef } from './types';
import {
  continuedStateOf,
  type ContinuedState,
  type CreateRequest,
  type RunTechniqueWireInput,
} from './wire';
import { checkInputs, checkRequest, type RequestRoute, type ResolvedOptions } from '../domain/request-check';

const { getTechnique } = proxyFloraActivities(ActivityPresets.floraRead);
const localRead = proxyFloraLocalActivities(LocalActivityPresets.floraRead);
const { downloadRunOutputs } = proxyFloraActivities(ActivityPresets.download);

export const statusQuery = defineQuery<RunTechniqueStatus>('status');

/** Progress reports to a parent pipeline; `flush` resolves once the last one was delivered (or failed). */
interface Reporter {
  report: () => void;
  flush: () => Promise<void>;
}

/** Since `Patches.CoalescedChildProgress`: a child reports its progress at most this often. */
export const CHILD_PROGRESS_EVERY_MS = 10_000;

/**
 * For a pipeline's children: signals the parent so the pipeline's progress query can show the run.
 * Every signal is an event in the parent's history, so since `Patches.CoalescedChildProgress` a child
 * reports only a new FLORA run id (what the parent's money rules need: fail-fast keeps created runs) and
 * its progress at most every 10 s: one signal for a short run, one per 10 s for a long one, where
 * every phase and 10 % step cost up to a dozen. Before it: every change of phase, run id or 10 % step of progress. Only runs when `reportTo`
 * is set, which no history recorded before pipelines existed has.
 */
function progressReporter(reportTo: ReportTo | undefined, status: RunTechniqueStatus): Reporter {
  if (reportTo === undefined) return { report: () => {}, flush: () => Promise.resolve() };
  let last = '';
  let lastRunId: string | undefined;
  let lastAtMs = 0;
  let pending: Promise<void> = Promise.resolve();
  const report = (): void => {
    const key = `${status.phase}|${status.runId ?? ''}|${Math.floor(status.progress / 10)}`;
    if (key === last) return;
    // Asked at each report, so a run that straddles a deploy coalesces from its next report on.
    if (patchedInRun(Patches.CoalescedChildProgress)) {
      const newRun = status.runId !== undefined && status.runId !== lastRunId;
      if (!newRun && Date.now() - lastAtMs < CHILD_PROGRESS_EVERY_MS) return;
      if (status.runId === undefined) return; // nothing created yet: the parent shows the run as running
      lastRunId = status.runId;
      lastAtMs = Date.now();
    }
    last = key;
    const send = (): Promise<void> =>
      getExternalWorkflowHandle(reportTo.workflowId).signal(childProgressSignal, {
        step: reportTo.step,
        index: reportTo.index,
        phase: status.phase,
        runId: status.runId,
        progress: status.progress,
        polls: status.polls,
      });
    // A cancelled scope drops the signal, and the report that matters most is made there: the run id of
    // a create that finished while the child was being cancelled. It goes out from a non-cancellable scope.
    const rescue = CancellationScope.current().consideredCancelled && patchedInRun(Patches.CancelReportsRun);
    pending = (rescue ? CancellationScope.nonCancellable(send) : send()).catch(() => {
      // The pipeline may have ended first; progress is best effort, the result is what counts.
    });
  };
  return { report, flush: () => pending };
}

/** Search attributes are upserted only when the starter set some (so they are registered on this namespace). */
function searchable(): boolean {
  return workflowInfo().typedSearchAttributes.get(FloraTechniqueKey) !== undefined;
}

/** The idempotency key of run attempt `attempt` (1-based). */
export function idempotencyKeyFor(
  base: { custom?: string | undefined; firstExecutionRunId: string },
  attempt: number,
): string {
  if (base.custom !== undefined) return attempt === 1 ? base.custom : `${base.custom}-attempt-${attempt}`;
  return `${base.firstExecutionRunId}-${attempt}`;
}

export async function runTechnique(input: RunTechniqueWireInput): Promise<RunTechniqueResult> {
  const resume = continuedStateOf(input);
  const status: RunTechniqueStatus = {
    phase: resume ? Phase.Polling : Phase.Validating,
    technique: resume?.technique,
    runId: resume?.runId,
    runIds: resume ? [...resume.runIds] : [],
    attempt: resume?.attempt ?? 0,
    progress: resume?.progress ?? 0,
    polls: resume?.polls ?? 0,
    lastPollAt: undefined,
    runCost: resume?.runCost,
    chargedCost: 0,
    note: undefined,
    error: undefined,
  };
  setHandler(statusQuery, () => ({ ...status, runIds: [...status.runIds] }));
  // Before continue-as-new carried billing evidence, the runs carried had not failed: none is known failed.
  const billing: BillingEvidence = resume?.billing
    ? { createsInDoubt: resume.billing.createsInDoubt, failedRunIds: [...resume.billing.failedRunIds] }
    : noEvidence();
  const reporter = progressReporter(input.reportTo, status);

  const facts = (deadlineHit: boolean, deadlineMs: number): EndFacts => ({
    status,
    billing,
    deadlineHit,
    deadlineMs,
    requested: input.technique ?? input.techniqueId,
  });
  /** Does what the end decided: counts it, updates the status, returns the result or raises. */
  const finish = async (end: RunEnd, counted: boolean): Promise<RunTechniqueResult> => {
    if (end.kind === 'continued-as-new') throw end.raise;
    if (counted) countOutcome(end.outcome, end.technique, end.chargedUsd);
    if (end.kind === 'completed') return end.result;
    Object.assign(status, end.status);
    if (end.kind === 'cancelled' && input.reportTo !== undefined && patchedInRun(Patches.CancelReportsRun)) {
      // The parent learns the run id before it sees this child closed.
      await CancellationScope.nonCancellable(() => reporter.flush());
    }
    throw end.raise;
  };

  const checked = checkRequest(input);
  if (!checked.ok) {
    // Refused before it began: not counted in the metrics (as before).
    const refused: Ended = { kind: 'threw', error: invalidRequest(checked.problems) };
    return finish(classifyRunEnd(refused, facts(false, 0)), false);
  }
  const { route, options } = checked;
  // First thing after the (pure) request check, in the first workflow task, before any other patch check.
  decideLeanRun();
  useFloraActivityTaskQueue(options.activityTaskQueue);
  const deadlineAtMs = resume?.deadlineAtMs ?? Date.now() + options.deadlineMs;

  let deadlineHit = false;
  const work = new CancellationScope();
  const remaining = deadlineAtMs - Date.now();
  if (remaining > 0) {
    sleep(remaining)
      .then(() => {
        deadlineHit = true;
        work.cancel();
      })
      .catch(() => {
        // The workflow ended or was cancelled first.
      });
  } else {
    deadlineHit = true;
  }

  let ended: Ended;
  if (deadlineHit) {
    ended = { kind: 'deadline-passed' };
  } else {
    const scope: ExecutionScope = { input, options, deadlineAtMs, status, billing, report: reporter.report };
    try {
      ended = { kind: 'returned', result: await work.run(() => execute(scope, route)) };
    } catch (error) {
      ended = { kind: 'threw', error };
    }
  }
  return finish(classifyRunEnd(ended, facts(deadlineHit, options.deadlineMs)), true);
}

/**
 * `flora_runs` by outcome and technique, and `flora_charged_micro_usd` (counters are integers). Workflow
 * metrics are not emitted during replay, so each run counts once.
 */
function countOutcome(outcome: string, technique: string, chargedUsd: number): void {
  metricMeter
    .createCounter('flora_runs', 'runs', 'runTechnique workflows by outcome')
    .add(1, { outcome, technique });
  if (chargedUsd > 0) {
    metricMeter
      .createCounter('flora_charged_micro_usd', 'micro-USD', 'USD charged by FLORA, in millionths')
      .add(Math.round(chargedUsd * 1e6), { technique });
  }
}

async function execute(scope: ExecutionScope, route: RequestRoute): Promise<RunTechniqueResult> {
  const { input, options, status, billing } = scope;
  const resume = continuedStateOf(input);
  const ctx: ExecutionContext = resume ? restore(scope, resume) : await prepare(scope, route);
  listenForRunEvents(ctx);

  for (;;) {
    if (ctx.runId === undefined) {
      status.attempt += 1;
      status.progress = 0;
      ctx.pollsThisAttempt = 0;
      if (options.attachRunId !== undefined && status.attempt === 1) {
        ctx.runId = options.attachRunId;
        ctx.pollNow = true;
        log.info('Attaching to an existing FLORA run', { runId: ctx.runId });
      } else {
        if (ctx.create === undefined) throw internalBug('no create request without attachRunId');
        status.phase = Phase.Creating;
        ctx.report();
        const create = ctx.create;
        const key = idempotencyKeyFor(ctx.keyBase, status.attempt);
        // A create in flight is never abandoned: cancelling (or the deadline) mid-create would leave a
        // paid run nobody knows about. The cancellation takes effect at the next timer instead, with the
        // run id in the status.
        const created = await CancellationScope.nonCancellable(() => createOnce(ctx, create, key));
        ctx.runId = created.runId;
        ctx.pollUrl = created.pollUrl;
        ctx.pollNow = false;
        ctx.createdAtMs = Date.now();
        ctx.estimatedMs =
          created.estimatedSeconds === undefined ? undefined : Math.round(created.estimatedSeconds * 1000);
      }
      ctx.progressSamples = [];
      ctx.endPollAimed = false;
      ctx.seenRun = false;
      ctx.canonicalRetried = false;
      ctx.authFailures = 0;
      status.runId = ctx.runId;
      status.runIds.push(ctx.runId);
      ctx.report();
      if (patchedInRun(Patches.MemoAndSearchAttributes) && searchable()) {
        upsertSearchAttributes([{ key: FloraRunIdKey, value: [...status.runIds] }]);
      }
    }

    status.phase = Phase.Polling;
    const final = await pollUntilDone(ctx);
    if (final.status === 'completed') {
      status.phase = Phase.Completed;
      status.progress = 100;
      const charged = final.chargedCost ?? ctx.runCost;
      status.chargedCost += charged;
      if (patchedInRun(Patches.MemoAndSearchAttributes))
        upsertMemo({ chargedUsd: status.chargedCost, runId: final.runId });
      const outputs = final.outputs.map((o) => ({ outputId: o.outputId, type: o.type, url: o.url }));
      // Input-driven: histories of runs without downloadTo replay exactly as before.
      let downloads;
      let downloadError;
      if (options.downloadTo !== undefined) {
        status.phase = Phase.Downloading;
        const subdir = options.downloadTo;
        // The run is complete and paid for: a deadline or cancel now must not throw its outputs away.
        try {
          downloads = await CancellationScope.nonCancellable(() => downloadRunOutputs({ outputs, subdir }));
        } catch (err) {
          // Nor must a failed download: the result (with its outputs, while their URLs last) is returned.
          if (!patchedInRun(Patches.DownloadKeepsResult)) throw err;
          downloadError = describeFailureChain(err);
          status.note = `The run completed, but saving its outputs failed: ${downloadError.type}: ${downloadError.message}`;
          log.warn('Saving the outputs of a completed run failed; returning the result without them', {
            runId: final.runId,
            ...downloadError,
          });
        }
        status.phase = Phase.Completed;
      }
      const result: RunTechniqueResult = {
        workflowId: workflowInfo().workflowId,
        status: 'completed',
        runId: final.runId,
        technique: ctx.technique,
        outputs,
        chargedCost: charged,
        progress: 100,
        polls: status.polls,
        attempts: status.attempt,
      };
      if (downloads !== undefined) result.downloads = downloads;
      if (downloadError !== undefined) result.downloadError = downloadError;
      return result;
    }

    const code = final.errorCode ?? FailureType.RunFailed;
    const message = final.errorMessage ?? `FLORA run ${final.runId} failed without a message`;
    status.chargedCost += final.chargedCost ?? 0;
    // FLORA charges nothing for a failed run.
    billing.failedRunIds.push(final.runId);
    const canRetry = TRANSIENT_RUN_ERRORS.includes(code) && ctx.create !== undefined;
    if (canRetry && status.attempt < options.maxRunAttempts) {
      log.warn('FLORA run failed with a transient error; creating a fresh run', {
        runId: final.runId,
        errorCode: code,
        attempt: status.attempt,
      });
      ctx.runId = undefined;
      ctx.pollUrl = undefined;
      if (patchedInRun(Patches.RecreateBackoff)) {
        // Not at once: the model just timed out or failed, and a fleet should not retry in lockstep.
        const waitMs = recreateDelayMs(options.recreateDelayMs, Math.random());
        status.note = `FLORA run ${final.runId} failed with ${code}; creating a fresh run in ${Math.round(waitMs / 1000)} s.`;
        await sleep(waitMs);
        status.note = undefined;
      }
      continue;
    }
    throw runFailed({
      runId: final.runId,
      runIds: status.runIds,
      techniqueName: ctx.technique.name,
      errorCode: code,
      errorMessage: message,
      attempts: status.attempt,
      attemptsExhausted: canRetry,
    });
  }
}

function restore(scope: ExecutionScope, resume: ContinuedState): ExecutionContext {
  return {
    ...scope,
    createdAtMs: resume.cadence?.createdAtMs,
    estimatedMs: resume.cadence?.estimatedMs,
    progressSamples: [],
    // Continue-as-new happens after a poll that showed the run.
    seenRun: true,
    canonicalRetried: false,
    authFailures: 0,
    technique: resume.technique,
    pollTechnique: resume.pollTechnique,
    runCost: resume.runCost,
    create: resume.create,
    keyBase: { custom: resume.keyBase.custom, firstExecutionRunId: resume.keyBase.firstExecutionRunId },
    runId: resume.runId,
    pollUrl: resume.pollUrl,
    pollsThisAttempt: resume.pollsThisAttempt,
    pollNow: false,
  };
}

async function prepare(scope: ExecutionScope, route: RequestRoute): Promise<ExecutionContext> {
  const { input, options, status } = scope;
  status.phase = Phase.Validating;
  // Behaviour keyed on a new input field: histories recorded before it have no `schema` and replay as before.
  const schema =
    input.schema ??
    (await readTechnique(route.route === 'nested' ? route.technique : route.techniqueId, options));
  const technique: TechniqueRef = {
    slug: route.route === 'nested' ? route.technique : schema.slug,
    techniqueId: schema.techniqueId,
    name: schema.name,
  };
  status.technique = technique;
  status.runCost = schema.runCost;
  if (patchedInRun(Patches.MemoAndSearchAttributes)) {
    upsertMemo({ technique: technique.name, techniqueId: technique.techniqueId, runCostUsd: schema.runCost });
  }
  let create: CreateRequest | undefined;
  if (options.attachRunId === undefined) {
    const checked = checkInputs(schema, route, input.inputs, options);
    if (!checked.ok) throw invalidRequest(checked.problems);
    create = checked.create;
    // Fixed here, once: the URL is part of the create body, so every retry and re-create sends the same one.
    if (create.route === 'nested' && options.callbackUrl !== undefined)
      create.callbackUrl = callbackUrlFor(options.callbackUrl, workflowInfo().workflowId);
  }
  return {
    ...scope,
    technique,
    pollTechnique: route.route === 'nested' ? route.technique : schema.techniqueId,
    runCost: schema.runCost,
    create,
    keyBase: { custom: options.idempotencyKey, firstExecutionRunId: workflowInfo().firstExecutionRunId },
    runId: undefined,
    pollUrl: undefined,
    pollsThisAttempt: 0,
    pollNow: false,
    createdAtMs: undefined,
    seenRun: false,
    canonicalRetried: false,
    authFailures: 0,
    estimatedMs: undefined,
    progressSamples: [],
  };
}

/**
 * The schema read. Since `Patches.LeanRun` a local activity, run in the first workflow task (a read-only,
 * idempotent GET: one marker instead of an activity's three events and a second workflow task), unless the
 * run's FLORA requests belong on a task queue: `activityTaskQueue` (the workflow worker then makes no FLORA
 * request) or `pollMode: 'activity'` (the queue's rate limit covers them). Same retries either way.
 */
async function readTechnique(ref: string, options: ResolvedOptions): Promise<TechniqueInfo> {
  const local = isLeanRun() && options.activityTaskQueue === undefined && options.pollMode !== 'activity';
  if (!local) return getTechnique(ref);
  try {
    return await localRead.getTechnique(ref);
  } catch (err) {
    throw asActivityFailure(err, prefixedActivityName('getTechnique'));
  }
}

/**
 * The SDK delivers a local activity's failure bare (the ApplicationFailure or TimeoutFailure itself); a
 * regular activity's comes wrapped in an ActivityFailure. Wrapped the same way here, so a failed schema read
 * fails the run with the same chain whichever way it ran (callers look for the ActivityFailure).
 */
function asActivityFailure(err: unknown, activityType: string): unknown {
  if (!(err instanceof TemporalFailure) || err instanceof ActivityFailure || isCancellation(err)) return err;
  const retryState =
    err instanceof TimeoutFailure
      ? RetryState.TIMEOUT
      : err instanceof ApplicationFailure && err.nonRetryable
        ? RetryState.NON_RETRYABLE_FAILURE
        : RetryState.MAXIMUM_ATTEMPTS_REACHED;
  return new ActivityFailure('Activity task failed', activityType, undefined, retryState, undefined, err);
}

/** The wait before re-creating after a transient run failure: uniform in [base, 3 × base]. */
export function recreateDelayMs(baseMs: number, random: number): number {
  const r = Number.isFinite(random) ? Math.min(Math.max(random, 0), 1) : 0.5;
  return Math.round(baseMs * (1 + 2 * r));
}
