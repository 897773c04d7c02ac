/**
 * `runPipeline`: FLORA techniques composed into a DAG. Every step (every forEach element) is a child
 * `runTechnique` with a deterministic id (`<pipeline id>/<step>/<index>`), so a restarted pipeline never
 * duplicates a step. The spec, the schemas, the edges' types and the budget are checked before anything
 * is created.
 */
import {
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowFailure,
  ParentClosePolicy,
  condition,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setHandler,
  startChild,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type { FloraActivities } from '../activities';
import type { TechniqueInfo } from '../activities/types';
import {
  planPipeline,
  resolveInputs,
  roundUsd,
  techniqueKeys,
  type PipelinePlan,
  type PlannedStep,
} from '../pipelines/plan';
import {
  describeSpecProblems,
  parsePipelineSpec,
  type PipelineSpec,
  type SpecProblem,
} from '../pipelines/spec';
import type {
  Ledger,
  PipelinePhase,
  PipelineResult,
  RunPipelineInput,
  StepProgress,
  StepResult,
  StepRunProgress,
} from '../pipelines/types';
import { FailureType } from '../flora/failure-types';
import { ActivityPresets } from './activity-presets';
import { describeFailureChain } from './failure-chain';
import { Patches } from './patches';
import { runTechnique } from './run-technique';
import { FloraPipelineKey, FloraTechniqueKey } from './search-attributes';
import { childProgressSignal, progressQuery, raiseBudgetSignal } from './signals';
import type { RunTechniqueResult } from './types';

const { getTechnique } = proxyActivities<FloraActivities>(ActivityPresets.floraRead);

export const PipelineFailureType = {
  InvalidPipeline: 'invalid_pipeline',
  BudgetExceeded: 'budget_exceeded',
  StepFailed: 'step_failed',
} as const;

/** Failures after which no FLORA run of that child can be billed: failed runs, and requests refused before a create. */
const NOT_BILLED_FAILURES: ReadonlySet<string> = new Set<string>([
  FailureType.ModelTimeout,
  FailureType.InternalError,
  FailureType.SafetyBlocked,
  FailureType.InputUnreachable,
  FailureType.RunFailed,
  FailureType.InvalidRequest,
  FailureType.InputValidationError,
  FailureType.InvalidJson,
  FailureType.Unauthorized,
  FailureType.InvalidApiKey,
  FailureType.InsufficientCredits,
  FailureType.Forbidden,
  FailureType.NotFound,
  FailureType.IdempotencyConflict,
  PipelineFailureType.StepFailed,
]);

/** Money is compared with a small tolerance: 0.1 + 0.2 must fit a 0.3 budget. */
const EPSILON_USD = 1e-9;

function invalid(problems: SpecProblem[]): ApplicationFailure {
  return ApplicationFailure.create({
    type: PipelineFailureType.InvalidPipeline,
    message: `Invalid pipeline, nothing was created: ${describeSpecProblems(problems)}`,
    nonRetryable: true,
    details: [{ problems }],
  });
}

/** A child's failure as the pipeline reports it: `cancelled`, or its innermost ApplicationFailure. */
function failureOf(err: unknown): { type: string; message: string } {
  if (isCancellation(err)) return { type: 'cancelled', message: 'the run was cancelled' };
  return describeFailureChain(err);
}

export async function runPipeline(input: RunPipelineInput): Promise<PipelineResult> {
  const info = workflowInfo();
  const startedAtMs = Date.now();
  const state = {
    phase: 'validating' as PipelinePhase,
    note: undefined as string | undefined,
    budgetUsd: undefined as number | undefined,
    plannedCostUsd: undefined as number | undefined,
    name: typeof input?.spec?.name === 'string' ? input.spec.name : '(unnamed)',
    steps: [] as StepProgress[],
  };
  /** Bumped on every change the scheduler must look at. */
  let version = 0;
  const bump = () => {
    version += 1;
  };

  const ledger = (): Ledger => {
    const steps: Ledger['steps'] = {};
    let reservedUsd = 0;
    let chargedUsd = 0;
    for (const step of state.steps) {
      const reserved = step.runs.reduce((sum, r) => sum + r.reservedUsd, 0);
      const charged = step.runs.reduce((sum, r) => sum + r.chargedUsd, 0);
      steps[step.id] = {
        reservedUsd: roundUsd(reserved),
        chargedUsd: roundUsd(charged),
        runs: step.runs.length,
      };
      reservedUsd += reserved;
      chargedUsd += charged;
    }
    return {
      budgetUsd: state.budgetUsd,
      reservedUsd: roundUsd(reservedUsd),
      chargedUsd: roundUsd(chargedUsd),
      plannedCostUsd: state.plannedCostUsd,
      steps,
    };
  };
  const percent = (): number => {
    if (state.steps.length === 0) return 0;
    const done = (phase: string) =>
      phase === 'completed' || phase === 'failed' || phase === 'skipped' || phase === 'cancelled';
    const total = state.steps.reduce((sum, step) => {
      if (done(step.phase)) return sum + 100;
      if (step.runs.length === 0) return sum;
      return sum + step.runs.reduce((s, r) => s + (done(r.phase) ? 100 : r.progress), 0) / step.runs.length;
    }, 0);
    return Math.round(total / state.steps.length);
  };
  setHandler(progressQuery, () => ({
    workflowId: info.workflowId,
    name: state.name,
    phase: state.phase,
    percent: percent(),
    steps: state.steps.map((s) => ({ ...s, runs: s.runs.map((r) => ({ ...r })) })),
    ledger: ledger(),
    note: state.note,
  }));
  setHandler(childProgressSignal, (p) => {
    const run = state.steps.find((s) => s.id === p.step)?.runs[p.index];
    if (!run) return;
    // The run id matters in any phase: a cancelled child's FLORA run keeps going and must stay known.
    run.runId = p.runId ?? run.runId;
    if (run.phase !== 'running') return;
    run.detail = p.phase;
    run.progress = Math.max(run.progress, p.progress);
    run.polls = Math.max(run.polls, p.polls);
  });
  setHandler(raiseBudgetSignal, (usd) => {
    if (typeof usd !== 'number' || !Number.isFinite(usd) || usd < 0) {
      log.warn('raiseBudget ignored: expected a non-negative number of USD', { usd });
      return;
    }
    state.budgetUsd = usd;
    log.info('Budget raised', { budgetUsd: usd });
    bump();
  });

  const fail = (failure: ApplicationFailure): never => {
    state.phase = 'failed';
    state.note = failure.message;
    throw failure;
  };

  // 1. The spec, then every schema once, then the plan: all before anything is created.
  const parsed = parsePipelineSpec(input?.spec);
  if (!parsed.ok) return fail(invalid(parsed.problems));
  const spec: PipelineSpec = parsed.spec;
  state.name = spec.name;
  state.budgetUsd = spec.budgetUsd;
  const keys = techniqueKeys(spec);
  const fetched = await Promise.all(keys.map((key) => getTechnique(key)));
  const schemas: Record<string, TechniqueInfo> = Object.fromEntries(
    keys.map((key, i) => [key, fetched[i] as TechniqueInfo]),
  );
  const planned = planPipeline(spec, schemas);
  if (!planned.ok) return fail(invalid(planned.problems));
  const plan: PipelinePlan = planned.plan;
  if (patched(Patches.MemoAndSearchAttributes))
    upsertMemo({
      pipeline: spec.name,
      budgetUsd: spec.budgetUsd ?? null,
      plannedCostUsd: plan.plannedCostUsd ?? null,
    });
  // Children carry the technique and pipeline as search attributes when the pipeline was started with
  // them (so they are registered on this namespace).
  const searchable = info.typedSearchAttributes.get(FloraPipelineKey) !== undefined;
  state.plannedCostUsd = plan.plannedCostUsd;
  state.steps = plan.order.map((id) => {
    const step = plan.steps.find((s) => s.id === id) as PlannedStep;
    return {
      id,
      technique: {
        slug: step.technique.slug,
        techniqueId: step.technique.techniqueId,
        name: step.technique.name,
      },
      runCost: step.technique.runCost,
      phase: 'pending',
      dependsOn: step.dependsOn,
      runs: [],
      skippedReason: undefined,
      startedAt: undefined,
      finishedAt: undefined,
    };
  });
  const stepState = (id: string) => state.steps.find((s) => s.id === id) as StepProgress;
  const plannedStep = (id: string) => plan.steps.find((s) => s.id === id) as PlannedStep;
  const budgetLeft = () => {
    if (state.budgetUsd === undefined) return Infinity;
    const { chargedUsd, reservedUsd } = ledger();
    return state.budgetUsd - chargedUsd - reservedUsd;
  };

  // 2. The whole price, when it is known, against the budget.
  if (
    plan.plannedCostUsd !== undefined &&
    state.budgetUsd !== undefined &&
    plan.plannedCostUsd > state.budgetUsd + EPSILON_USD
  ) {
    const over = `The plan costs $${plan.plannedCostUsd} for ${plan.plannedRuns} runs, above budgetUsd ($${state.budgetUsd})`;
    if (spec.onBudgetExceeded === 'fail') {
      fail(
        ApplicationFailure.create({
          type: PipelineFailureType.BudgetExceeded,
          message: `${over}; nothing was created`,
          nonRetryable: true,
          details: [{ ledger: ledger() }],
        }),
      );
    }
    state.phase = 'waiting-budget';
    state.note = `${over}: waiting for the raiseBudget signal`;
    await condition(
      () => state.budgetUsd !== undefined && (plan.plannedCostUsd ?? 0) <= state.budgetUsd + EPSILON_USD,
    );
    state.note = undefined;
  }

  // 3. Run the DAG.
  state.phase = 'running';
  const children = new CancellationScope();
  const inFlight = new Map<string, Promise<void>>();
  let firstFailure: { step: string; index: number; error: { type: string; message: string } } | undefined;
  let budgetFailure: string | undefined;
  const outputsOf = (stepId: string) => stepState(stepId).runs.map((r) => r.outputs);

  const settleStep = (step: StepProgress) => {
    if (step.runs.some((r) => r.phase === 'pending' || r.phase === 'running')) return;
    if (step.phase !== 'running' && step.phase !== 'waiting-budget') return;
    step.phase = step.runs.some((r) => r.phase === 'failed')
      ? 'failed'
      : step.runs.some((r) => r.phase === 'cancelled')
        ? 'cancelled'
        : 'completed';
    step.finishedAt = new Date().toISOString();
  };

  const expand = (step: StepProgress) => {
    const p = plannedStep(step.id);
    let items: (string | undefined)[];
    if (p.fanOut.kind === 'list') items = p.fanOut.items;
    else if (p.fanOut.kind === 'step')
      items = outputsOf(p.fanOut.fromStep)
        .flat()
        .map((o) => o.url);
    else items = [undefined];
    step.runs = items.map((item, index) => ({
      index,
      item,
      workflowId: `${info.workflowId}/${step.id}/${index}`,
      phase: 'pending',
      detail: undefined,
      runId: undefined,
      progress: 0,
      polls: 0,
      reservedUsd: 0,
      chargedUsd: 0,
      outputs: [],
      error: undefined,
      startedAt: undefined,
      finishedAt: undefined,
    }));
    step.phase = 'running';
    step.startedAt = new Date().toISOString();
    if (step.runs.length === 0) settleStep(step); // forEach over a step with no outputs: nothing to do
  };

  const launch = (step: StepProgress, run: StepRunProgress) => {
    const p = plannedStep(step.id);
    const resolved = resolveInputs(p, run.item, outputsOf);
    run.startedAt = new Date().toISOString();
    if (!resolved.ok) {
      run.phase = 'failed';
      run.error = { type: PipelineFailureType.StepFailed, message: resolved.problem };
      run.finishedAt = run.startedAt;
      firstFailure ??= { step: step.id, index: run.index, error: run.error };
      settleStep(step);
      bump();
      return;
    }
    run.phase = 'running';
    run.reservedUsd = step.runCost;
    const promise = children
      .run(async () => {
        const child = await startChild(runTechnique, {
          workflowId: run.workflowId,
          args: [
            {
              ...p.target,
              inputs: resolved.inputs,
              options: {
                ...p.options,
                // One directory per run, so outputs with the same id from different steps never collide.
                ...(p.options.downloadTo !== undefined
                  ? { downloadTo: `${p.options.downloadTo}/${step.id}-${run.index}` }
                  : {}),
              },
              schema: p.technique,
              reportTo: { workflowId: info.workflowId, step: step.id, index: run.index },
            },
          ],
          parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
          ...(searchable
            ? {
                typedSearchAttributes: [
                  { key: FloraTechniqueKey, value: step.technique.slug ?? step.technique.techniqueId },
                  { key: FloraPipelineKey, value: spec.name },
                ],
              }
            : {}),
          memo: { pipeline: spec.name, step: step.id, index: run.index },
        });
        return child.result();
      })
      .then(
        (result: RunTechniqueResult) => {
          run.phase = 'completed';
          run.runId = result.runId;
          run.progress = 100;
          run.polls = result.polls;
          run.outputs = result.outputs;
          run.chargedUsd = result.chargedCost;
          run.reservedUsd = 0;
        },
        (err: unknown) => {
          const cancelled =
            isCancellation(err) || (err instanceof ChildWorkflowFailure && isCancellation(err.cause));
          run.phase = cancelled ? 'cancelled' : 'failed';
          run.error = failureOf(err);
          // Only a failure that proves nothing was billed frees the reservation: a FLORA run that ended
          // `failed` (not charged) or a request refused before any create. A deadline, a lost create or a
          // cancellation leaves a run going at FLORA, so its price stays reserved.
          if (!cancelled && NOT_BILLED_FAILURES.has(run.error.type)) run.reservedUsd = 0;
          // The run completed and was charged; only saving its outputs failed.
          if (!cancelled && run.error.type.startsWith('download_')) {
            run.chargedUsd = run.reservedUsd;
            run.reservedUsd = 0;
          }
          if (!cancelled) firstFailure ??= { step: step.id, index: run.index, error: run.error };
        },
      )
      .finally(() => {
        run.finishedAt = new Date().toISOString();
        inFlight.delete(run.workflowId);
        settleStep(step);
        bump();
      });
    inFlight.set(run.workflowId, promise);
  };

  /** Steps whose dependencies failed (or were skipped or cancelled) are skipped, transitively. */
  const skipBlocked = () => {
    let changed = true;
    while (changed) {
      changed = false;
      for (const step of state.steps) {
        if (step.phase !== 'pending') continue;
        const blocker = step.dependsOn
          .map(stepState)
          .find((d) => d.phase === 'failed' || d.phase === 'skipped' || d.phase === 'cancelled');
        if (blocker) {
          step.phase = 'skipped';
          step.skippedReason = `depends on step "${blocker.id}", which ${blocker.phase === 'skipped' ? 'was skipped' : blocker.phase}`;
          changed = true;
        }
      }
    }
  };

  try {
    for (;;) {
      const seen = version;
      if (firstFailure && spec.onStepFailure === 'fail-fast') break;
      skipBlocked();
      for (const step of state.steps) {
        if (step.phase === 'pending' && step.dependsOn.every((d) => stepState(d).phase === 'completed'))
          expand(step);
      }
      // Launch what is ready, in plan order, while there is room and money.
      let blockedByBudget: { step: StepProgress; cost: number } | undefined;
      for (const step of state.steps) {
        if (step.phase !== 'running' && step.phase !== 'waiting-budget') continue;
        for (const run of step.runs) {
          if (run.phase !== 'pending' || inFlight.size >= spec.concurrency) continue;
          if (step.runCost > budgetLeft() + EPSILON_USD) {
            blockedByBudget ??= { step, cost: step.runCost };
            step.phase = 'waiting-budget';
            continue;
          }
          if (step.phase === 'waiting-budget') step.phase = 'running';
          launch(step, run);
        }
      }
      if (blockedByBudget) {
        const l = ledger();
        const why =
          `step "${blockedByBudget.step.id}" needs $${blockedByBudget.cost} per run, but budgetUsd $${state.budgetUsd} ` +
          `has $${roundUsd(Math.max(0, budgetLeft()))} left (charged $${l.chargedUsd}, reserved $${l.reservedUsd})`;
        if (spec.onBudgetExceeded === 'fail') {
          budgetFailure = why;
          break;
        }
        state.phase = 'waiting-budget';
        state.note = `${why}: waiting for the raiseBudget signal`;
      } else {
        state.phase = 'running';
        state.note = undefined;
      }
      const pending = state.steps.some(
        (s) => s.phase === 'pending' || s.phase === 'running' || s.phase === 'waiting-budget',
      );
      if (!pending && inFlight.size === 0) break;
      await condition(() => version !== seen);
    }

    if (firstFailure && spec.onStepFailure === 'fail-fast') {
      children.cancel();
      state.note = `step "${firstFailure.step}" failed: cancelling running steps`;
    }
    // Runs already started are paid for: wait for them (or for their cancellation) to settle.
    await CancellationScope.nonCancellable(() => Promise.all([...inFlight.values()]));
    for (const step of state.steps) {
      if (step.phase === 'pending' || step.phase === 'waiting-budget') {
        step.phase = 'skipped';
        step.skippedReason ??= budgetFailure
          ? 'the budget ran out'
          : firstFailure
            ? `the pipeline stopped after step "${firstFailure.step}" failed`
            : 'not reached';
      }
    }
  } catch (err) {
    if (isCancellation(err)) {
      state.phase = 'cancelled';
      state.note =
        'Cancelled: running steps were cancelled; their FLORA runs keep going at FLORA (it has no cancel).';
      await CancellationScope.nonCancellable(() => Promise.all([...inFlight.values()]));
      for (const step of state.steps)
        if (step.phase === 'pending' || step.phase === 'waiting-budget') step.phase = 'cancelled';
    }
    throw err;
  }

  if (budgetFailure) {
    fail(
      ApplicationFailure.create({
        type: PipelineFailureType.BudgetExceeded,
        message: `Budget reached: ${budgetFailure}. Runs already started finished; nothing more was created.`,
        nonRetryable: true,
        details: [{ ledger: ledger(), steps: resultSteps() }],
      }),
    );
  }
  if (firstFailure && spec.onStepFailure === 'fail-fast') {
    fail(
      ApplicationFailure.create({
        type: firstFailure.error.type,
        message: `Step "${firstFailure.step}" (run ${firstFailure.index}) failed: ${firstFailure.error.message}`,
        nonRetryable: true,
        details: [
          { step: firstFailure.step, index: firstFailure.index, ledger: ledger(), steps: resultSteps() },
        ],
      }),
    );
  }

  function resultSteps(): Record<string, StepResult> {
    return Object.fromEntries(
      state.steps.map((s) => {
        const started = s.startedAt ? Date.parse(s.startedAt) : undefined;
        const finished = s.finishedAt ? Date.parse(s.finishedAt) : undefined;
        const status: StepResult['status'] =
          s.phase === 'completed' || s.phase === 'failed' || s.phase === 'cancelled' ? s.phase : 'skipped';
        return [
          s.id,
          {
            status,
            technique: s.technique,
            outputs: s.runs.flatMap((r) => r.outputs),
            runs: s.runs,
            skippedReason: s.skippedReason,
            durationMs: started !== undefined && finished !== undefined ? finished - started : undefined,
          },
        ];
      }),
    );
  }

  const steps = resultSteps();
  if (patched(Patches.MemoAndSearchAttributes)) upsertMemo({ chargedUsd: ledger().chargedUsd });
  const skipped = state.steps
    .filter((s) => s.phase === 'skipped')
    .map((s) => ({ step: s.id, reason: s.skippedReason ?? 'skipped' }));
  const partial = state.steps.some((s) => s.phase !== 'completed');
  state.phase = partial ? 'partial' : 'completed';
  const finishedAtMs = Date.now();
  return {
    workflowId: info.workflowId,
    name: spec.name,
    status: partial ? 'partial' : 'completed',
    steps,
    ledger: ledger(),
    timings: {
      startedAt: new Date(startedAtMs).toISOString(),
      finishedAt: new Date(finishedAtMs).toISOString(),
      durationMs: finishedAtMs - startedAtMs,
    },
    skipped,
  };
}
