/**
 * `runPipeline`: FLORA techniques composed into a DAG. Every step (every forEach element) is a child
 * `runTechnique` with a deterministic id (`<pipeline id>/<step>/<index>`), so a restarted pipeline never
 * duplicates a step. The spec, the schemas, the edges' types and the budget are checked before anything
 * is created. The scheduling and billing rules live in the pure `PipelineScheduler`; this file keeps
 * only the Temporal calls: activities, children, signals, conditions, cancellation.
 */
import { invalidPipeline, pipelineFailure } from '../domain/failures';
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  patched,
  upsertMemo,
  workflowInfo,
  type ApplicationFailure,
} from '@temporalio/workflow';
import { Batch, nextExecutionInput, runsPerExecutionOf, schemasOf } from '../pipelines/batches';
import { fetchSchemasAndPlan } from '../pipelines/fetch-plan';
import { planPipeline } from '../pipelines/plan';
import { NO_ANSWER, outputsToCheck, reuseChecks } from '../pipelines/reuse-check';
import {
  PipelineFailureType,
  PipelineScheduler,
  type ReuseCheck,
  type ReuseOffer,
  type Rules,
} from '../pipelines/scheduler';
import { applyContinuedBudget, applySpecBudget, initialState, markFailed } from '../pipelines/state';
import { parsePipelineSpec } from '../pipelines/spec';
import { parseReuse } from '../pipelines/reuse';
import type { PipelineResult } from '../pipelines/types';
import type { RunPipelineWireInput } from '../pipelines/wire';
import { ActivityPresets } from './activity-presets';
import { Patches } from './patches';
import { proxyFloraActivities, useFloraActivityTaskQueue } from './flora-activities';
import { FloraPipelineKey } from '../domain/search-attribute-keys';
import { PipelineChildren } from './pipeline-children';
import { handleProgressAndSignals, handleRaiseBudgetUpdate } from './pipeline-handlers';

export { PipelineFailureType };

const { getTechnique, checkOutputs } = proxyFloraActivities(ActivityPresets.floraRead);

/** Each rule that changed after runPipeline shipped, asked at the moment it decides. */
const RULES: Rules = {
  childKeysFromPipeline: () => patched(Patches.PipelineChildKeys),
  freeOnlyOnProof: () => patched(Patches.PipelineFreeOnProof),
  failBudgetOnlyWhenShort: () => patched(Patches.PipelineBudgetFailWhenShort),
  keepPaidWork: () => patched(Patches.PipelineKeepPaidWork),
  reuseFromResume: () => patched(Patches.PipelineResume),
};
/** Large pipelines continue as new between batches (histories from before run in one execution). */
const inBatches = () => patched(Patches.PipelineBatches);
/** A resume's ended runs after a gap are carried as they are (histories from before refused the carry). */
const carryGaps = () => patched(Patches.PipelineCarryGaps);

const nowIso = () => new Date().toISOString();

/**
 * Whether the offered runs' outputs still answer (FLORA's URLs expire) and which saved copies the worker
 * has, in one activity call (see reuse-check.ts for what the answer means). When the check itself cannot
 * be made, the runs are taken unchecked: their outputs were paid for, and a dead URL shows up in the step
 * that reads it.
 */
async function checkReused(offers: ReuseOffer[]): Promise<ReuseCheck[][]> {
  let answer = NO_ANSWER;
  try {
    answer = await checkOutputs(outputsToCheck(offers));
  } catch (err) {
    if (isCancellation(err)) throw err;
    log.warn('Could not check the reused outputs; taking them unchecked', { error: String(err) });
  }
  return reuseChecks(offers, answer);
}

export async function runPipeline(input: RunPipelineWireInput): Promise<PipelineResult> {
  const info = workflowInfo();
  /** Set when an earlier execution continued as new between batches. */
  const continued = input?.continued;
  const startedAtMs = continued?.startedAtMs ?? Date.now();
  const state = initialState(input?.spec?.name);
  /** Bumped on every change the scheduler must look at. */
  let version = 0;
  const bump = () => {
    version += 1;
  };
  handleProgressAndSignals(state, info.workflowId, bump);
  const fail = (failure: ApplicationFailure): never => {
    markFailed(state, failure.message);
    throw failure;
  };

  // 1. The spec, then every schema once, then the plan: all before anything is created.
  const parsed = parsePipelineSpec(input?.spec);
  if (!parsed.ok) return fail(invalidPipeline(parsed.problems));
  const spec = parsed.spec;
  useFloraActivityTaskQueue(spec.options?.activityTaskQueue);
  state.name = spec.name;
  applySpecBudget(state, spec.budgetUsd);
  if (continued) applyContinuedBudget(state, continued.budgetUsd, continued.raisedUsd);
  handleRaiseBudgetUpdate(state, info.workflowId, bump);
  // A continued execution plans with the schemas (and prices) the first one fetched.
  const planned = continued
    ? planPipeline(spec, continued.schemas)
    : await fetchSchemasAndPlan(spec, (key) => getTechnique(key));
  if (!planned.ok) return fail(invalidPipeline(planned.problems));
  const plan = planned.plan;
  if (patched(Patches.MemoAndSearchAttributes))
    upsertMemo({
      pipeline: spec.name,
      budgetUsd: spec.budgetUsd ?? null,
      plannedCostUsd: plan.plannedCostUsd ?? null,
    });
  // Children carry the technique and pipeline as search attributes when the pipeline was started with
  // them (so they are registered on this namespace).
  const searchable = info.typedSearchAttributes.get(FloraPipelineKey) !== undefined;
  // Children's keys come from the first execution's run id in every execution (no re-bill after a
  // continue-as-new or a reset).
  const ids = {
    workflowId: info.workflowId,
    firstExecutionRunId: continued?.firstExecutionRunId ?? info.firstExecutionRunId,
  };
  const scheduler = new PipelineScheduler(state, spec, plan, ids, RULES, parseReuse(input?.reuse));

  // 2. The whole price, when it is known, against the budget (once: a continued execution passed it).
  if (continued) {
    scheduler.restore(continued, nowIso());
  } else {
    const upfront = scheduler.upfrontBudget();
    if (upfront.kind === 'fail') fail(pipelineFailure(upfront.failure));
    if (upfront.kind === 'wait') await condition(() => scheduler.budgetCoversPlan());
  }
  scheduler.startRunning();

  // 3. Run the DAG, in batches (see batches.ts).
  const children = new PipelineChildren(scheduler, { name: spec.name, searchable }, bump);
  const batch = new Batch(runsPerExecutionOf(input));
  try {
    for (;;) {
      const seen = version;
      // A resume: steps now ready whose runs an earlier execution paid for are taken, not created.
      // Taking a step can make the next one ready: look again until nothing more is offered.
      for (let offers = scheduler.reuseOffers(); offers.length > 0; offers = scheduler.reuseOffers()) {
        if (RULES.reuseFromResume()) scheduler.takeReuse(offers, await checkReused(offers), nowIso());
        else scheduler.declineReuse(offers);
      }
      const launching = batch.launching(workflowInfo(), inBatches);
      const pass = scheduler.next(children.size, nowIso(), launching);
      for (const launch of pass.launches) children.start(launch);
      batch.counted(pass.launches.length);
      if (pass.changed) bump();
      if (pass.stop !== undefined) break;
      if (batch.dueToContinue(children.size)) {
        // A raiseBudget update in progress finishes first, so the next execution carries its budget.
        await condition(allHandlersFinished);
        const next = nextExecutionInput(input, scheduler.carry(carryGaps), {
          firstExecutionRunId: ids.firstExecutionRunId,
          startedAtMs,
          executions: (continued?.executions ?? 0) + 1,
          budgetUsd: state.budgetUsd,
          raisedUsd: state.raisedUsd,
          schemas: schemasOf(plan),
        });
        if (next !== undefined) await continueAsNew<typeof runPipeline>(next);
        log.warn(
          'The pipeline state is too large to carry: this execution goes on without continuing as new',
        );
        batch.refuseCarry();
        continue;
      }
      await condition(() => version !== seen);
    }
    children.cancel(scheduler.cancelOnStop());
    await children.settle();
    scheduler.skipUnreached();
  } catch (err) {
    if (isCancellation(err)) {
      scheduler.cancelling();
      await children.settle();
      scheduler.cancelUnstarted();
    }
    throw err;
  }

  const failure = scheduler.failure();
  if (failure) fail(pipelineFailure(failure));
  const steps = scheduler.resultSteps();
  if (patched(Patches.MemoAndSearchAttributes)) upsertMemo({ chargedUsd: scheduler.ledger().chargedUsd });
  return scheduler.result(steps, startedAtMs, Date.now(), (continued?.executions ?? 0) + 1);
}
