/**
 * What the progress query and the result say about each step, bounded in size: a pipeline of a few runs
 * lists every run; a larger one (or one that continued as new) gives counts, the first failures and the
 * child workflow ids, and leaves per-run detail to the children. At 5,000 runs the result stays a few
 * KB, far under Temporal's 2 MB payload limit. Pure.
 */
import { PipelineLimits } from './limits';
import type {
  RunCounts,
  RunFailure,
  StepResult,
  StepRunProgress,
  StepSummary,
  PipelineProgress,
} from './types';
import type { StepState } from './wire';

export function runCountsOf(step: StepState): RunCounts {
  const e = step.earlier;
  const counts: RunCounts = {
    total: (e?.count ?? 0) + step.runs.length,
    pending: 0,
    running: 0,
    completed: e?.completed ?? 0,
    failed: e?.failed ?? 0,
    cancelled: e?.cancelled ?? 0,
  };
  for (const run of step.runs) counts[run.phase] += 1;
  return counts;
}

export function failureOf(run: StepRunProgress): RunFailure | undefined {
  if (run.phase !== 'failed' && run.phase !== 'cancelled') return undefined;
  return {
    index: run.index,
    workflowId: run.workflowId,
    runId: run.runId,
    phase: run.phase,
    error: run.error,
  };
}

/** The first failures: earlier executions' first, then this one's, in run order. */
export function failuresOf(step: StepState, limit: number = PipelineLimits.failuresListed): RunFailure[] {
  const out = (step.earlier?.failures ?? []).slice(0, limit);
  for (const run of step.runs) {
    if (out.length >= limit) break;
    const failure = failureOf(run);
    if (failure) out.push(failure);
  }
  return out;
}

/** Every run is listed only in a small pipeline that never continued as new. */
export function listsEveryRun(steps: readonly StepState[]): boolean {
  let runs = 0;
  for (const step of steps) {
    if (step.earlier !== undefined) return false;
    runs += step.runs.length;
  }
  return runs <= PipelineLimits.detailedRuns;
}

function summaryOf(step: StepState, pipelineId: string, listed: StepSummary['runsListed']): StepSummary {
  const counts = runCountsOf(step);
  return {
    counts,
    failures: failuresOf(step),
    runsListed: listed,
    childWorkflowIds: `${pipelineId}/${step.id}/{0..${Math.max(0, counts.total - 1)}}`,
  };
}

/** The progress query's steps: every run, or only the running ones (at most `concurrency`). */
export function progressSteps(steps: readonly StepState[], pipelineId: string): PipelineProgress['steps'] {
  const all = listsEveryRun(steps);
  return steps.map((s) => {
    const { earlier: _internal, ...step } = s;
    return {
      ...step,
      runs: (all ? step.runs : step.runs.filter((r) => r.phase === 'running')).map((r) => ({ ...r })),
      ...summaryOf(s, pipelineId, all ? 'all' : 'running'),
    };
  });
}

/** The result's step: every run and output, or (a larger pipeline) the summary only. */
export function resultStep(
  step: StepState,
  all: boolean,
  pipelineId: string,
): Pick<StepResult, 'outputs' | 'runs'> & StepSummary {
  return {
    outputs: all ? step.runs.flatMap((r) => r.outputs) : [],
    runs: all ? step.runs : [],
    ...summaryOf(step, pipelineId, all ? 'all' : 'none'),
  };
}
