/**
 * `runTechnique`: one FLORA technique run, durably. Validates before spending, creates with a stable
 * idempotency key, polls on durable timers, re-creates after transient run failures, survives worker
 * restarts, and keeps its history bounded with continue-as-new.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  ContinueAsNew,
  continueAsNew,
  defineQuery,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  metricMeter,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { FloraActivities } from '../activities';
import type { RunSnapshot } from '../activities/types';
import { FailureType, TRANSIENT_RUN_ERRORS } from '../flora/failure-types';
import { ActivityPresets } from './activity-presets';
import { describeFailureChain } from './failure-chain';
import { FloraRunIdKey, FloraTechniqueKey } from './search-attributes';
import { childProgressSignal } from './signals';
import { nextPollDelayMs } from './cadence';
import { Patches } from './patches';
import { Phase } from './types';
import type { ReportTo } from '../pipelines/types';
import type {
  ResumeCreate,
  ResumeState,
  RunTechniqueInput,
  RunTechniqueResult,
  RunTechniqueStatus,
  TechniqueRef,
} from './types';
import {
  checkInputs,
  checkRequest,
  describeProblems,
  type Problem,
  type RequestRoute,
  type ResolvedOptions,
} from './validation';

const { getTechnique, findRecentRuns } = proxyActivities<FloraActivities>(ActivityPresets.floraRead);
const { createRun } = proxyActivities<FloraActivities>(ActivityPresets.floraCreate);
const { pollRunOnce } = proxyActivities<FloraActivities>(ActivityPresets.floraPoll);
const { downloadRunOutputs } = proxyActivities<FloraActivities>(ActivityPresets.download);

export const statusQuery = defineQuery<RunTechniqueStatus>('status');

/** Worker and FLORA clocks may disagree: runs created this long before the first create attempt still count. */
export const ADOPTION_CLOCK_SKEW_MS = 30_000;
/** Pages of `/technique-runs` read when looking for a run whose create response was lost. */
const ADOPTION_MAX_PAGES = 10;

function invalid(problems: Problem[]): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureType.InvalidRequest,
    message: `Invalid run request, nothing was created: ${describeProblems(problems)}`,
    nonRetryable: true,
    details: [{ problems }],
  });
}

/**
 * For a pipeline's children: signals the parent when the phase, the run id or the progress (in steps of
 * 10 %) changes, so the pipeline's progress query can show it. At most a few dozen signals per run.
 * Only runs when `reportTo` is set, which no history recorded before pipelines existed has.
 */
function progressReporter(reportTo: ReportTo | undefined, status: RunTechniqueStatus): () => void {
  if (reportTo === undefined) return () => {};
  let last = '';
  return () => {
    const key = `${status.phase}|${status.runId ?? ''}|${Math.floor(status.progress / 10)}`;
    if (key === last) return;
    last = key;
    getExternalWorkflowHandle(reportTo.workflowId)
      .signal(childProgressSignal, {
        step: reportTo.step,
        index: reportTo.index,
        phase: status.phase,
        runId: status.runId,
        progress: status.progress,
        polls: status.polls,
      })
      .catch(() => {
        // The pipeline may have ended first; progress is best effort, the result is what counts.
      });
  };
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

export async function runTechnique(input: RunTechniqueInput): Promise<RunTechniqueResult> {
  const resume = input.resume;
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

  const checked = checkRequest(input);
  if (!checked.ok) {
    const failure = invalid(checked.problems);
    markFailed(status, failure);
    throw failure;
  }
  const { route, options } = checked;
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

  try {
    if (deadlineHit) throw deadlineFailure(status, options);
    const result = await work.run(() => execute(input, route, options, deadlineAtMs, status));
    countOutcome('completed', result.technique.slug ?? result.technique.techniqueId, result.chargedCost);
    return result;
  } catch (err) {
    if (!(err instanceof ContinueAsNew)) {
      const technique =
        status.technique?.slug ?? status.technique?.techniqueId ?? input.technique ?? input.techniqueId ?? '';
      const outcome = isCancellation(err)
        ? deadlineHit
          ? FailureType.DeadlineExceeded
          : 'cancelled'
        : describeFailureChain(err).type;
      countOutcome(outcome, technique, 0);
    }
    if (deadlineHit && isCancellation(err)) {
      const failure = deadlineFailure(status, options);
      markFailed(status, failure);
      throw failure;
    }
    if (isCancellation(err)) {
      status.phase = Phase.Cancelled;
      status.note =
        status.runId === undefined
          ? 'Cancelled before any FLORA run was created.'
          : `Cancelled. FLORA has no cancel: run ${status.runId} keeps going at FLORA and is billed if it completes.`;
      throw err;
    }
    if (err instanceof Error && !(err instanceof ContinueAsNew)) markFailed(status, err);
    throw err;
  }
}

/** A broken invariant: fail the workflow (a plain Error would retry the workflow task forever). */
function bug(what: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'internal_bug',
    message: `flora-temporal bug: ${what}`,
    nonRetryable: true,
  });
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

function markFailed(status: RunTechniqueStatus, err: Error): void {
  status.phase = Phase.Failed;
  status.error = describeFailureChain(err);
}

function deadlineFailure(status: RunTechniqueStatus, options: ResolvedOptions): ApplicationFailure {
  const run = status.runId
    ? `FLORA run ${status.runId} was still ${status.phase === Phase.Polling ? `running (${status.progress}%)` : status.phase}; it keeps going at FLORA and can be resumed with options.attachRunId`
    : 'no FLORA run had been created';
  return ApplicationFailure.create({
    type: FailureType.DeadlineExceeded,
    message: `Deadline of ${options.deadlineMs} ms passed: ${run}`,
    nonRetryable: true,
    details: [{ runId: status.runId, runIds: status.runIds, progress: status.progress, polls: status.polls }],
  });
}

interface Loop {
  technique: TechniqueRef;
  pollTechnique: string;
  runCost: number;
  create: ResumeCreate | undefined;
  keyBase: { custom: string | undefined; firstExecutionRunId: string };
  runId: string | undefined;
  pollUrl: string | undefined;
  pollsThisAttempt: number;
  /** The first poll of an attached run happens at once; every other poll waits first. */
  pollNow: boolean;
  continuedTimes: number;
  /** Tells a parent pipeline about progress; a no-op for a run started on its own. */
  report: () => void;
}

async function execute(
  input: RunTechniqueInput,
  route: RequestRoute,
  options: ResolvedOptions,
  deadlineAtMs: number,
  status: RunTechniqueStatus,
): Promise<RunTechniqueResult> {
  const resume = input.resume;
  const report = progressReporter(input.reportTo, status);
  const loop = resume ? restore(resume, report) : await prepare(input, route, options, status, report);

  for (;;) {
    if (loop.runId === undefined) {
      status.attempt += 1;
      status.progress = 0;
      loop.pollsThisAttempt = 0;
      if (options.attachRunId !== undefined && status.attempt === 1) {
        loop.runId = options.attachRunId;
        loop.pollNow = true;
        log.info('Attaching to an existing FLORA run', { runId: loop.runId });
      } else {
        if (loop.create === undefined) throw bug('no create request without attachRunId');
        status.phase = Phase.Creating;
        loop.report();
        const create = loop.create;
        const key = idempotencyKeyFor(loop.keyBase, status.attempt);
        // A create in flight is never abandoned: cancelling (or the deadline) mid-create would leave a
        // paid run nobody knows about. The cancellation takes effect at the next timer instead, with the
        // run id in the status.
        const created = await CancellationScope.nonCancellable(() => createOnce(loop, create, key, status));
        loop.runId = created.runId;
        loop.pollUrl = created.pollUrl;
        loop.pollNow = false;
      }
      status.runId = loop.runId;
      status.runIds.push(loop.runId);
      loop.report();
      if (patched(Patches.MemoAndSearchAttributes) && searchable()) {
        upsertSearchAttributes([{ key: FloraRunIdKey, value: [...status.runIds] }]);
      }
    }

    status.phase = Phase.Polling;
    const final = await pollUntilDone(input, loop, options, deadlineAtMs, status);
    if (final.status === 'completed') {
      status.phase = Phase.Completed;
      status.progress = 100;
      const charged = final.chargedCost ?? loop.runCost;
      status.chargedCost += charged;
      if (patched(Patches.MemoAndSearchAttributes))
        upsertMemo({ chargedUsd: status.chargedCost, runId: final.runId });
      const outputs = final.outputs.map((o) => ({ outputId: o.outputId, type: o.type, url: o.url }));
      // Input-driven: histories of runs without downloadTo replay exactly as before.
      let downloads;
      if (options.downloadTo !== undefined) {
        status.phase = Phase.Downloading;
        const subdir = options.downloadTo;
        // The run is complete and paid for: a deadline or cancel now must not throw its outputs away.
        downloads = await CancellationScope.nonCancellable(() => downloadRunOutputs({ outputs, subdir }));
        status.phase = Phase.Completed;
      }
      const result: RunTechniqueResult = {
        workflowId: workflowInfo().workflowId,
        status: 'completed',
        runId: final.runId,
        technique: loop.technique,
        outputs,
        chargedCost: charged,
        progress: 100,
        polls: status.polls,
        attempts: status.attempt,
      };
      if (downloads !== undefined) result.downloads = downloads;
      return result;
    }

    const code = final.errorCode ?? FailureType.RunFailed;
    const message = final.errorMessage ?? `FLORA run ${final.runId} failed without a message`;
    status.chargedCost += final.chargedCost ?? 0;
    const canRetry = TRANSIENT_RUN_ERRORS.includes(code) && loop.create !== undefined;
    if (canRetry && status.attempt < options.maxRunAttempts) {
      log.warn('FLORA run failed with a transient error; creating a fresh run', {
        runId: final.runId,
        errorCode: code,
        attempt: status.attempt,
      });
      loop.runId = undefined;
      loop.pollUrl = undefined;
      continue;
    }
    const exhausted = canRetry ? ` after ${status.attempt} run attempts (options.maxRunAttempts)` : '';
    throw ApplicationFailure.create({
      type: code,
      message: `FLORA run ${final.runId} of ${loop.technique.name} failed${exhausted}: ${code}: ${message}`,
      nonRetryable: true,
      details: [
        {
          runId: final.runId,
          runIds: status.runIds,
          errorCode: code,
          errorMessage: message,
          attempts: status.attempt,
        },
      ],
    });
  }
}

function restore(resume: ResumeState, report: () => void): Loop {
  return {
    report,
    technique: resume.technique,
    pollTechnique: resume.pollTechnique,
    runCost: resume.runCost,
    create: resume.create,
    keyBase: { custom: resume.keyBase.custom, firstExecutionRunId: resume.keyBase.firstExecutionRunId },
    runId: resume.runId,
    pollUrl: resume.pollUrl,
    pollsThisAttempt: resume.pollsThisAttempt,
    pollNow: false,
    continuedTimes: resume.continuedTimes,
  };
}

async function prepare(
  input: RunTechniqueInput,
  route: RequestRoute,
  options: ResolvedOptions,
  status: RunTechniqueStatus,
  report: () => void,
): Promise<Loop> {
  status.phase = Phase.Validating;
  // Behaviour keyed on a new input field: histories recorded before it have no `schema` and replay as before.
  const schema =
    input.schema ?? (await getTechnique(route.route === 'nested' ? route.technique : route.techniqueId));
  const technique: TechniqueRef = {
    slug: route.route === 'nested' ? route.technique : schema.slug,
    techniqueId: schema.techniqueId,
    name: schema.name,
  };
  status.technique = technique;
  status.runCost = schema.runCost;
  if (patched(Patches.MemoAndSearchAttributes)) {
    upsertMemo({ technique: technique.name, techniqueId: technique.techniqueId, runCostUsd: schema.runCost });
  }
  let create: ResumeCreate | undefined;
  if (options.attachRunId === undefined) {
    const checked = checkInputs(schema, route, input.inputs, options);
    if (!checked.ok) throw invalid(checked.problems);
    create = checked.create;
  }
  return {
    technique,
    pollTechnique: route.route === 'nested' ? route.technique : schema.techniqueId,
    runCost: schema.runCost,
    create,
    keyBase: { custom: options.idempotencyKey, firstExecutionRunId: workflowInfo().firstExecutionRunId },
    runId: undefined,
    pollUrl: undefined,
    pollsThisAttempt: 0,
    pollNow: false,
    continuedTimes: 0,
    report,
  };
}

/**
 * Creates one run. A lost response is recovered by the idempotency key: FLORA either replays the original
 * run (200) or answers 409, after which the run is looked up in `/technique-runs` and adopted when exactly
 * one candidate fits. Anything else fails loudly with the key and the candidates, never with a second run.
 */
async function createOnce(
  loop: Loop,
  create: ResumeCreate,
  idempotencyKey: string,
  status: RunTechniqueStatus,
): Promise<{ runId: string; pollUrl: string | undefined }> {
  let res;
  try {
    res = await createRun({ ...create, idempotencyKey });
  } catch (err) {
    if (
      err instanceof ActivityFailure &&
      !(err.cause instanceof ApplicationFailure && err.cause.nonRetryable)
    ) {
      // Retries ran out (a long FLORA outage): an attempt may have created a run we never heard of.
      throw ApplicationFailure.create({
        type: FailureType.IdempotencyUnresolved,
        message:
          `FLORA did not confirm the create with idempotency key ${idempotencyKey} before retries ran out ` +
          `(${err.cause?.message ?? err.message}); a run may exist. Look for it in /technique-runs and start again with options.attachRunId.`,
        nonRetryable: true,
        details: [{ idempotencyKey, candidateRunIds: [] }],
        cause: err,
      });
    }
    throw err;
  }
  if (res.kind === 'created') {
    log.info('FLORA run created', { runId: res.runId, replayed: res.replayed, idempotencyKey });
    return { runId: res.runId, pollUrl: res.pollUrl };
  }
  const since = res.firstAttemptAtMs - ADOPTION_CLOCK_SKEW_MS;
  const candidates: { runId: string; status: string }[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < ADOPTION_MAX_PAGES; page++) {
    let found;
    try {
      found = await findRecentRuns({
        techniqueId: loop.technique.techniqueId,
        createdSinceMs: since,
        cursor,
      });
    } catch (err) {
      throw ApplicationFailure.create({
        type: FailureType.IdempotencyUnresolved,
        message:
          `FLORA answered 409 for idempotency key ${idempotencyKey}, so a run was already created, but looking it up ` +
          `in /technique-runs failed (${err instanceof Error ? err.message : String(err)}). Nothing new was created. ` +
          `Find the run and start again with options.attachRunId.`,
        nonRetryable: true,
        details: [{ idempotencyKey, candidateRunIds: candidates.map((c) => c.runId) }],
        cause: err instanceof Error ? err : undefined,
      });
    }
    const self = workflowInfo().workflowId;
    for (const candidate of found.candidates) {
      // Our own earlier runs, and runs another workflow owns (a sibling in a pipeline, say), are not it.
      if (status.runIds.includes(candidate.runId)) continue;
      if (candidate.claimedBy !== undefined && candidate.claimedBy !== self) continue;
      candidates.push(candidate);
    }
    if (found.nextCursor === undefined) break;
    cursor = found.nextCursor;
  }
  const only = candidates.length === 1 ? candidates[0] : undefined;
  if (only !== undefined) {
    log.warn(
      'Create answered 409 idempotency_duplicate; adopted the one run created since the first attempt',
      {
        runId: only.runId,
        idempotencyKey,
      },
    );
    return { runId: only.runId, pollUrl: undefined };
  }
  const ids = candidates.map((c) => c.runId);
  throw ApplicationFailure.create({
    type: FailureType.IdempotencyUnresolved,
    message:
      `FLORA answered 409 idempotency_duplicate for idempotency key ${idempotencyKey}, so a run was already created, ` +
      `but ${ids.length === 0 ? 'no run' : `${ids.length} runs (${ids.join(', ')})`} of ${loop.technique.name} created since ` +
      `${new Date(since).toISOString()} could be it. Nothing new was created. Start again with options.attachRunId set to the right run id.`,
    nonRetryable: true,
    details: [{ idempotencyKey, candidateRunIds: ids }],
  });
}

async function pollUntilDone(
  input: RunTechniqueInput,
  loop: Loop,
  options: ResolvedOptions,
  deadlineAtMs: number,
  status: RunTechniqueStatus,
): Promise<RunSnapshot> {
  const runId = loop.runId;
  if (runId === undefined) throw bug('polling without a run id');
  for (;;) {
    if (!loop.pollNow) {
      await sleep(
        nextPollDelayMs({
          pollMinMs: options.pollMinMs,
          pollMaxMs: options.pollMaxMs,
          polls: loop.pollsThisAttempt,
          random: Math.random(),
        }),
      );
    }
    loop.pollNow = false;
    const snapshot = await pollRunOnce({ technique: loop.pollTechnique, runId, pollUrl: loop.pollUrl });
    loop.pollsThisAttempt += 1;
    status.polls += 1;
    status.lastPollAt = new Date().toISOString();
    status.progress = snapshot.progress;
    loop.report();
    loop.pollUrl = snapshot.pollUrl ?? loop.pollUrl;
    if (snapshot.terminal) return snapshot;

    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength >= options.maxHistoryEvents) {
      const carried: ResumeState = {
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
      log.info('Continuing as new to keep the history bounded', {
        historyLength: info.historyLength,
        runId,
        polls: status.polls,
      });
      await continueAsNew<typeof runTechnique>({ ...input, resume: carried });
    }
  }
}
