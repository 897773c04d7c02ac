/**
 * What one execution of a pipeline hands the next when it continues as new: each step's ended runs
 * folded into a sum, and the steps restored from it. Pure.
 */
import { PipelineLimits } from './limits';
import { failureOf } from './summary';
import type { StepRunProgress } from './types';
import type { FirstFailure } from './scheduler-types';
import type { StepGraph } from './step-graph';
import type { ContinuedPipeline, ContinuedStep, EarlierRuns } from './wire';

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
 * The runs that ended, from the first on, added to `earlier`, and the runs after them (`rest`). Runs start
 * in index order, so ended runs after one that did not end come only from a resume (runs taken from an
 * earlier execution out of order): `endedAfterGap` lists them, for the carry to hand on as they are.
 */
export function foldEndedRuns(
  earlier: EarlierRuns,
  runs: readonly StepRunProgress[],
  keepOutputs: boolean,
): { earlier: EarlierRuns; rest: StepRunProgress[]; endedAfterGap: StepRunProgress[] } {
  let n = 0;
  while (n < runs.length && ended(runs[n] as StepRunProgress)) n += 1;
  const rest = runs.slice(n);
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
  return { earlier: next, rest, endedAfterGap: rest.filter(ended) };
}

/**
 * The state the next execution starts from, once no run is in flight: each step's ended runs summed
 * (with their outputs while a later step reads them). Ended runs after one that never started (a resume
 * took them) are handed on as they are (`ContinuedStep.endedAfterGap`) when `carryGaps` says so
 * (`patched(...)`, asked only then: before it such a state was refused). Undefined when it cannot be
 * carried (a run in flight, or a gap the rule refuses).
 */
export function carrySteps(
  graph: StepGraph,
  firstFailure: FirstFailure | undefined,
  carryGaps: () => boolean,
): Pick<ContinuedPipeline, 'steps' | 'firstFailure'> | undefined {
  if (graph.steps.some((step) => step.runs.some((r) => r.phase === 'running'))) return undefined;
  const steps: ContinuedStep[] = [];
  let gaps = false;
  for (const step of graph.steps) {
    const keep = graph.outputsNeeded(step.id);
    const folded = foldEndedRuns(step.earlier ?? noEarlierRuns(keep), step.runs, keep);
    if (folded.endedAfterGap.length > 0) gaps = true;
    steps.push({
      id: step.id,
      phase: step.phase,
      total: (step.earlier?.count ?? 0) + step.runs.length,
      earlier: folded.earlier,
      skippedReason: step.skippedReason,
      startedAt: step.startedAt,
      finishedAt: step.finishedAt,
      ...(folded.endedAfterGap.length > 0 ? { endedAfterGap: folded.endedAfterGap } : {}),
    });
  }
  if (gaps && !carryGaps()) return undefined;
  return { steps, firstFailure };
}

/**
 * An execution continued as new: each step as the last one left it. Runs that had ended are in
 * `earlier`, or (after a gap) back at their index as they ended; the others are pending again under the
 * same indexes (so the same child ids and keys).
 */
export function restoreSteps(graph: StepGraph, carried: readonly ContinuedStep[], now: string): void {
  for (const c of carried) {
    const step = graph.progress(c.id);
    if (step === undefined) continue;
    step.phase = c.phase;
    step.skippedReason = c.skippedReason;
    step.startedAt = c.startedAt;
    step.finishedAt = c.finishedAt;
    step.earlier = c.earlier;
    step.runs =
      c.phase === 'running' || c.phase === 'waiting-budget'
        ? graph.runsFrom(step, c.earlier.count).slice(0, c.total - c.earlier.count)
        : [];
    for (const run of c.endedAfterGap ?? []) {
      const at = step.runs.findIndex((r) => r.index === run.index);
      if (at >= 0) step.runs[at] = run;
    }
    graph.settle(step, now);
  }
}
