/**
 * The pipeline's observable state (what the progress query shows) and the rules for what signals do to
 * it. Pure: the workflow owns one `PipelineState` and the scheduler keeps it current.
 */
import { ledgerOf, percentOf } from './ledger';
import type { ChildProgress, PipelinePhase, PipelineProgress, StepProgress } from './types';

/** What the progress query shows; the scheduler keeps it current. */
export interface PipelineState {
  name: string;
  phase: PipelinePhase;
  note: string | undefined;
  budgetUsd: number | undefined;
  plannedCostUsd: number | undefined;
  steps: StepProgress[];
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
    steps: state.steps.map((s) => ({ ...s, runs: s.runs.map((r) => ({ ...r })) })),
    ledger: ledgerOf(state.steps, state.budgetUsd, state.plannedCostUsd),
    note: state.note,
  };
}

/** A child's progress signal. The run id matters in any phase: a cancelled child's FLORA run keeps going. */
export function applyChildProgress(state: PipelineState, p: ChildProgress): void {
  const run = state.steps.find((s) => s.id === p.step)?.runs[p.index];
  if (!run) return;
  run.runId = p.runId ?? run.runId;
  if (run.phase !== 'running') return;
  run.detail = p.phase;
  run.progress = Math.max(run.progress, p.progress);
  run.polls = Math.max(run.polls, p.polls);
}

/** The raiseBudget signal: any non-negative number of USD; false (and no change) for anything else. */
export function applyBudgetSignal(state: PipelineState, usd: unknown): boolean {
  if (typeof usd !== 'number' || !Number.isFinite(usd) || usd < 0) return false;
  state.budgetUsd = usd;
  return true;
}
