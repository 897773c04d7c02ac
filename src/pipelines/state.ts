/**
 * The pipeline's observable state (what the progress query shows) and the rules for what signals do to
 * it. Pure: the workflow owns one `PipelineState` and the scheduler keeps it current.
 */
import { EPSILON_USD, ledgerOf, percentOf } from './ledger';
import { progressSteps } from './summary';
import type { ChildProgress, PipelinePhase, PipelineProgress } from './types';
import type { StepState } from './wire';

/** What the progress query shows; the scheduler keeps it current. */
export interface PipelineState {
  name: string;
  phase: PipelinePhase;
  note: string | undefined;
  budgetUsd: number | undefined;
  /** The highest raise received (since `Patches.PipelineRaiseBudgetNeverLowers`), also one sent with the start. */
  raisedUsd?: number;
  plannedCostUsd: number | undefined;
  steps: StepState[];
}

export function initialState(name: unknown): PipelineState {
  return {
    phase: 'validating',
    note: undefined,
    budgetUsd: undefined,
    plannedCostUsd: undefined,
    name: typeof name === 'string' ? name : '(unnamed)',
    steps: [],
  };
}

export function markFailed(state: PipelineState, message: string): void {
  state.phase = 'failed';
  state.note = message;
}

export function progressOf(state: PipelineState, workflowId: string): PipelineProgress {
  return {
    workflowId,
    name: state.name,
    phase: state.phase,
    percent: percentOf(state.steps),
    steps: progressSteps(state.steps, workflowId),
    ledger: ledgerOf(state.steps, state.budgetUsd, state.plannedCostUsd),
    note: state.note,
  };
}

/** A child's progress signal. The run id matters in any phase: a cancelled child's FLORA run keeps going. */
export function applyChildProgress(state: PipelineState, p: ChildProgress): void {
  const step = state.steps.find((s) => s.id === p.step);
  // This execution's runs start after those of earlier executions (continue-as-new).
  const run = step?.runs[p.index - (step.earlier?.count ?? 0)];
  if (!run || run.index !== p.index) return;
  run.runId = p.runId ?? run.runId;
  if (run.phase !== 'running') return;
  run.detail = p.phase;
  run.progress = Math.max(run.progress, p.progress);
  run.polls = Math.max(run.polls, p.polls);
}

function isUsd(usd: unknown): usd is number {
  return typeof usd === 'number' && Number.isFinite(usd) && usd >= 0;
}

/**
 * The raiseBudget signal. Returns why it was ignored, or undefined when it was applied. `neverLower`
 * (since `Patches.PipelineRaiseBudgetNeverLowers`): a raise only ever raises, and one that arrives before
 * the spec's budget is applied (sent with the start) is kept, not overwritten. Before it, any
 * non-negative number set the budget.
 */
export function applyBudgetSignal(
  state: PipelineState,
  usd: unknown,
  neverLower: boolean,
): string | undefined {
  if (!isUsd(usd)) return 'expected a non-negative number of USD';
  if (!neverLower) {
    state.budgetUsd = usd;
    return undefined;
  }
  state.raisedUsd = Math.max(state.raisedUsd ?? usd, usd);
  if (state.budgetUsd === undefined) {
    // Sent with the start: the spec's budget is not applied yet, and applySpecBudget keeps this raise.
    if (state.phase === 'validating') return undefined;
    return 'the pipeline has no budgetUsd, so there is no limit to raise';
  }
  if (usd < state.budgetUsd) return `a raise never lowers the budget ($${usd} is below $${state.budgetUsd})`;
  state.budgetUsd = usd;
  return undefined;
}

/** The spec's budget, raised by any raise that arrived first (none can arrive first without the patch). */
export function applySpecBudget(state: PipelineState, budgetUsd: number | undefined): void {
  state.budgetUsd = budgetUsd === undefined ? undefined : Math.max(budgetUsd, state.raisedUsd ?? budgetUsd);
}

/** The raiseBudget update's validator: why `usd` is refused, or undefined. */
export function checkBudgetRaise(state: PipelineState, usd: unknown): string | undefined {
  if (!isUsd(usd)) return `raiseBudget expects a finite number of USD >= 0, got ${String(usd)}`;
  if (state.budgetUsd === undefined)
    return 'raiseBudget: the pipeline has no budgetUsd, so there is no limit to raise';
  if (usd < state.budgetUsd - EPSILON_USD)
    return `raiseBudget cannot lower the budget: $${usd} is below the current budgetUsd $${state.budgetUsd}`;
  return undefined;
}

/** The raiseBudget update, once validated. */
export function raiseBudgetTo(state: PipelineState, usd: number): void {
  state.raisedUsd = Math.max(state.raisedUsd ?? usd, usd);
  state.budgetUsd = Math.max(state.budgetUsd ?? usd, usd);
}

/** An execution continued as new: the budget (and raises) the last one had, never lower than the spec's. */
export function applyContinuedBudget(
  state: PipelineState,
  budgetUsd: number | undefined,
  raisedUsd: number | undefined,
): void {
  if (raisedUsd !== undefined) state.raisedUsd = Math.max(state.raisedUsd ?? raisedUsd, raisedUsd);
  if (budgetUsd !== undefined) state.budgetUsd = Math.max(state.budgetUsd ?? budgetUsd, budgetUsd);
}
