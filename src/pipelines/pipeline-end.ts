/**
 * How the pipeline ends once the scheduler's loop stopped: what to cancel, which steps were never
 * reached (and why), whether it fails (budget, or a step under fail-fast), and its result. Pure.
 */
import type { Rules } from './rules';
import type { FirstFailure, PipelineFailure, StopCancel } from './scheduler-types';
import type { PipelineSpec } from './spec';
import type { PipelineState } from './state';
import { listsEveryRun, resultStep } from './summary';
import { PipelineFailureType, type Ledger, type PipelineResult, type StepResult } from './types';

/** Why the loop stopped, as the scheduler recorded it. */
export interface StopFacts {
  state: PipelineState;
  spec: PipelineSpec;
  rules: Rules;
  firstFailure: FirstFailure | undefined;
  /** Why the budget stopped the pipeline (`onBudgetExceeded: "fail"`). */
  budgetFailure: string | undefined;
}

/**
 * What to cancel. fail-fast after a failure cancels the children still running; since
 * `Patches.PipelineKeepPaidWork` only those without a FLORA run (FLORA has no cancel, so cancelling a
 * created run saves nothing and throws its outputs away).
 */
export function cancelOnStop({ state, spec, rules, firstFailure: first }: StopFacts): StopCancel {
  if (!first || spec.onStepFailure !== 'fail-fast') return { kind: 'none' };
  if (!rules.keepPaidWork()) {
    state.note = `step "${first.step}" failed: cancelling running steps`;
    return { kind: 'all' };
  }
  const running = state.steps.flatMap((s) => s.runs.filter((r) => r.phase === 'running'));
  const unpaid = running.filter((r) => r.runId === undefined);
  state.note =
    `step "${first.step}" failed: cancelling ${unpaid.length} run(s) not yet created at FLORA; ` +
    `${running.length - unpaid.length} run(s) FLORA already has finish and keep their outputs`;
  return { kind: 'unpaid', runs: unpaid };
}

/** Once every started child ended: steps never reached are skipped, saying why. */
export function skipUnreached({ state, firstFailure, budgetFailure }: StopFacts): void {
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
}

/** The pipeline itself was cancelled. */
export function cancelling(state: PipelineState): void {
  state.phase = 'cancelled';
  state.note =
    'Cancelled: running steps were cancelled; their FLORA runs keep going at FLORA (it has no cancel).';
}

/** Once the cancelled children ended: steps never started are cancelled too. */
export function cancelUnstarted(state: PipelineState): void {
  for (const step of state.steps)
    if (step.phase === 'pending' || step.phase === 'waiting-budget') step.phase = 'cancelled';
}

/** How the pipeline fails, if it does: the budget ran out (`fail`), or a step failed (`fail-fast`). */
export function pipelineFailureOf(
  { spec, firstFailure: first, budgetFailure }: StopFacts,
  ledger: Ledger,
  steps: () => Record<string, StepResult>,
): PipelineFailure | undefined {
  if (budgetFailure) {
    return {
      type: PipelineFailureType.BudgetExceeded,
      message: `Budget reached: ${budgetFailure}. Runs already started finished; nothing more was created.`,
      details: [{ ledger, steps: steps() }],
    };
  }
  if (first && spec.onStepFailure === 'fail-fast') {
    return {
      type: first.error.type,
      message: `Step "${first.step}" (run ${first.index}) failed: ${first.error.message}`,
      details: [{ step: first.step, index: first.index, ledger, steps: steps() }],
    };
  }
  return undefined;
}

/** Each step's result: status, technique, runs (or their summary), why it was skipped, how long it took. */
export function resultSteps(state: PipelineState, workflowId: string): Record<string, StepResult> {
  const all = listsEveryRun(state.steps);
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
          ...resultStep(s, all, workflowId),
          skippedReason: s.skippedReason,
          durationMs: started !== undefined && finished !== undefined ? finished - started : undefined,
        },
      ];
    }),
  );
}

/** The pipeline's result; the phase becomes `completed`, or `partial` when a step did not complete. */
export function resultOf(
  state: PipelineState,
  head: { workflowId: string; name: string; ledger: Ledger },
  steps: Record<string, StepResult>,
  startedAtMs: number,
  finishedAtMs: number,
  executions: number,
): PipelineResult {
  const skipped = state.steps
    .filter((s) => s.phase === 'skipped')
    .map((s) => ({ step: s.id, reason: s.skippedReason ?? 'skipped' }));
  const partial = state.steps.some((s) => s.phase !== 'completed');
  state.phase = partial ? 'partial' : 'completed';
  return {
    workflowId: head.workflowId,
    name: head.name,
    status: partial ? 'partial' : 'completed',
    steps,
    ledger: head.ledger,
    timings: {
      startedAt: new Date(startedAtMs).toISOString(),
      finishedAt: new Date(finishedAtMs).toISOString(),
      durationMs: finishedAtMs - startedAtMs,
    },
    skipped,
    ...(executions > 1 ? { executions } : {}),
  };
}
