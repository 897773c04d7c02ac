/**
 * The pipeline's money and progress arithmetic over its steps' runs: the ledger (reserved and charged
 * USD per step), what is left of the budget, and the overall percentage. Pure.
 */
import { roundUsd } from './plan';
import type { Ledger, StepPhase, RunPhase } from './types';
import type { StepState } from './wire';

/** Money is compared with a small tolerance: 0.1 + 0.2 must fit a 0.3 budget. */
export const EPSILON_USD = 1e-9;

export function ledgerOf(
  steps: readonly StepState[],
  budgetUsd: number | undefined,
  plannedCostUsd: number | undefined,
): Ledger {
  const perStep: Ledger['steps'] = {};
  let reservedUsd = 0;
  let chargedUsd = 0;
  let reusedUsd: number | undefined;
  for (const step of steps) {
    // Runs that ended in earlier executions (before continue-as-new) count through their sums.
    const reserved = step.runs.reduce((sum, r) => sum + r.reservedUsd, step.earlier?.reservedUsd ?? 0);
    const charged = step.runs.reduce((sum, r) => sum + r.chargedUsd, step.earlier?.chargedUsd ?? 0);
    const reusedRuns = step.runs.filter((r) => r.reused !== undefined);
    const reused = reusedRuns.reduce(
      (sum, r) => sum + (r.reused?.chargedUsd ?? 0),
      step.earlier?.reusedUsd ?? 0,
    );
    // Reused runs folded into `earlier` by a continue-as-new count as much as this execution's.
    const anyReused = reusedRuns.length > 0 || step.earlier?.reusedUsd !== undefined;
    perStep[step.id] = {
      reservedUsd: roundUsd(reserved),
      chargedUsd: roundUsd(charged),
      runs: step.runs.length + (step.earlier?.count ?? 0),
      ...(anyReused ? { reusedUsd: roundUsd(reused) } : {}),
    };
    reservedUsd += reserved;
    chargedUsd += charged;
    if (anyReused) reusedUsd = (reusedUsd ?? 0) + reused;
  }
  return {
    budgetUsd,
    reservedUsd: roundUsd(reservedUsd),
    chargedUsd: roundUsd(chargedUsd),
    ...(reusedUsd !== undefined ? { reusedUsd: roundUsd(reusedUsd) } : {}),
    plannedCostUsd,
    steps: perStep,
  };
}

/** USD the budget still allows (charged and reserved both count); Infinity without a budget. */
export function budgetLeftUsd(steps: readonly StepState[], budgetUsd: number | undefined): number {
  if (budgetUsd === undefined) return Infinity;
  const { chargedUsd, reservedUsd } = ledgerOf(steps, budgetUsd, undefined);
  return budgetUsd - chargedUsd - reservedUsd;
}

function finished(phase: StepPhase | RunPhase): boolean {
  return phase === 'completed' || phase === 'failed' || phase === 'skipped' || phase === 'cancelled';
}

/** 0–100: finished steps count fully, running steps by their runs' FLORA progress. */
export function percentOf(steps: readonly StepState[]): number {
  if (steps.length === 0) return 0;
  const total = steps.reduce((sum, step) => {
    if (finished(step.phase)) return sum + 100;
    const earlier = step.earlier?.count ?? 0;
    const runs = step.runs.length + earlier;
    if (runs === 0) return sum;
    return sum + step.runs.reduce((s, r) => s + (finished(r.phase) ? 100 : r.progress), earlier * 100) / runs;
  }, 0);
  return Math.round(total / steps.length);
}
