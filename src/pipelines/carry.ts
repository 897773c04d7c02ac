/**
 * Folding a step's ended runs into the sum an execution hands the next when it continues as new. Pure.
 */
import { PipelineLimits } from './limits';
import { failureOf } from './summary';
import type { StepRunProgress } from './types';
import type { EarlierRuns } from './wire';

export function noEarlierRuns(keepOutputs: boolean): EarlierRuns {
  return {
    count: 0,
    completed: 0,
    failed: 0,
    cancelled: 0,
    reservedUsd: 0,
    chargedUsd: 0,
    polls: 0,
    downloadErrors: 0,
    failures: [],
    ...(keepOutputs ? { outputs: [] } : {}),
  };
}

function ended(run: StepRunProgress): boolean {
  return run.phase === 'completed' || run.phase === 'failed' || run.phase === 'cancelled';
}

/**
 * The runs that ended, from the first on (runs start in index order, so the ended ones are a prefix),
 * added to `earlier`. Returns undefined when an ended run follows one that did not end: such a state
 * cannot be carried without losing a run, so the execution goes on instead.
 */
export function foldEndedRuns(
  earlier: EarlierRuns,
  runs: readonly StepRunProgress[],
  keepOutputs: boolean,
): { earlier: EarlierRuns; rest: StepRunProgress[] } | undefined {
  let n = 0;
  while (n < runs.length && ended(runs[n] as StepRunProgress)) n += 1;
  const rest = runs.slice(n);
  if (rest.some(ended)) return undefined;
  const next: EarlierRuns = {
    ...earlier,
    failures: [...earlier.failures],
    ...(keepOutputs ? { outputs: [...(earlier.outputs ?? [])] } : {}),
  };
  if (!keepOutputs) delete next.outputs;
  for (const run of runs.slice(0, n)) {
    next.count += 1;
    if (run.phase === 'completed') next.completed += 1;
    else if (run.phase === 'failed') next.failed += 1;
    else next.cancelled += 1;
    next.reservedUsd += run.reservedUsd;
    next.chargedUsd += run.chargedUsd;
    next.polls += run.polls;
    if (run.downloadError !== undefined) next.downloadErrors += 1;
    if (run.reused !== undefined) next.reusedUsd = (next.reusedUsd ?? 0) + run.reused.chargedUsd;
    const failure = failureOf(run);
    if (failure && next.failures.length < PipelineLimits.failuresListed) next.failures.push(failure);
    next.outputs?.push(run.outputs);
  }
  return { earlier: next, rest };
}
