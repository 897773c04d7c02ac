/** Public types of the `runPipeline` workflow: input, result, progress query, signals. Pure. */
import type { OutputRef } from '../domain/run-request';
import type { PipelineSpecInput } from './spec';

export { PipelineFailureType } from '../domain/failures';

/** What a caller passes to `runPipeline`. The public input type. */
export interface RunPipelineInput {
  spec: PipelineSpecInput;
  /**
   * Child runs one execution starts before it continues as new, once none of its runs is in flight.
   * @default PipelineLimits.runsPerExecution (500). Lower it only to exercise the mechanism (tests).
   */
  runsPerExecution?: number;
}

/** A run that failed or was cancelled, as summaries list it (its child workflow has the whole story). */
export interface RunFailure {
  index: number;
  workflowId: string;
  runId: string | undefined;
  phase: 'failed' | 'cancelled';
  error: { type: string; message: string } | undefined;
}

/** How many of a step's runs are in each phase, counting the runs of earlier executions. */
export interface RunCounts {
  total: number;
  pending: number;
  running: number;
  completed: number;
  failed: number;
  cancelled: number;
}

/**
 * The summary fields of a step in the progress query and the result. `runsListed` says what `runs`
 * holds: `all` runs (a pipeline of at most PipelineLimits.detailedRuns runs that never continued as
 * new), only the `running` ones (progress of a larger pipeline), or `none` (result of a larger one:
 * per-run detail, outputs included, is in the child workflows `childWorkflowIds` names).
 */
export interface StepSummary {
  counts?: RunCounts;
  /** The first PipelineLimits.failuresListed failed or cancelled runs. */
  failures?: RunFailure[];
  runsListed?: 'all' | 'running' | 'none';
  /** `<pipeline workflow id>/<step>/{0..n-1}`: the children holding each run's detail. */
  childWorkflowIds?: string;
}

/** On a run taken from an earlier execution: where from, what it cost there, and what a check found. */
export interface ReusedFrom {
  workflowId: string;
  workflowRunId: string;
  /** Charged when it ran in the earlier execution; not charged (nor counted against the budget) again. */
  chargedUsd: number;
  /** Outputs whose URL no longer answered when the resumed execution checked it (FLORA's URLs expire). */
  expired?: { outputId: string; url: string; problem: string }[];
  /** Outputs whose URL gave no answer at all when checked (which may be the worker's network): taken anyway. */
  unchecked?: { outputId: string; url: string; problem: string }[];
  /** The earlier execution's saved copies of the outputs, relative to the worker's download root. */
  localFiles?: { outputId: string; file: string }[];
}

export type PipelinePhase =
  'validating' | 'running' | 'waiting-budget' | 'completed' | 'partial' | 'failed' | 'cancelled';

export type StepPhase =
  'pending' | 'running' | 'waiting-budget' | 'completed' | 'failed' | 'skipped' | 'cancelled';
export type RunPhase = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface StepRunProgress {
  index: number;
  /** The forEach element, when the step fans out. */
  item: string | undefined;
  workflowId: string;
  phase: RunPhase;
  /** The child workflow's own phase (validating, creating, polling, ...). */
  detail: string | undefined;
  runId: string | undefined;
  progress: number;
  polls: number;
  reservedUsd: number;
  chargedUsd: number;
  outputs: OutputRef[];
  error: { type: string; message: string } | undefined;
  /** The run completed and was charged, but saving its outputs on the worker failed. */
  downloadError?: { type: string; message: string };
  /** Taken from an earlier execution (a resume): nothing was created or charged for it in this one. */
  reused?: ReusedFrom;
  /** A resume offered this run from an earlier execution but it ran again: why (an expired output, say). */
  notReused?: string;
  startedAt: string | undefined;
  finishedAt: string | undefined;
}

export interface StepProgress {
  id: string;
  technique: { slug: string | undefined; techniqueId: string; name: string };
  runCost: number;
  phase: StepPhase;
  dependsOn: string[];
  /** This execution's runs (indexes from `earlier.count` on); all of them in a single execution. */
  runs: StepRunProgress[];
  skippedReason: string | undefined;
  startedAt: string | undefined;
  finishedAt: string | undefined;
}

export interface LedgerStep {
  reservedUsd: number;
  chargedUsd: number;
  runs: number;
  /** Charged in the earlier execution for the runs a resume took from it (not charged again). Only when some were. */
  reusedUsd?: number;
}

export interface Ledger {
  budgetUsd: number | undefined;
  /** Reserved for runs in flight (their price), released when they end. */
  reservedUsd: number;
  /** What FLORA charged for finished runs (`charged_cost`). */
  chargedUsd: number;
  /**
   * A resumed pipeline: what the runs it took from the earlier execution cost there. Shown, not charged
   * again and not counted against `budgetUsd`. Only when some run was reused.
   */
  reusedUsd?: number;
  /** The plan's price when known before anything ran. */
  plannedCostUsd: number | undefined;
  steps: Record<string, LedgerStep>;
}

export interface PipelineProgress {
  workflowId: string;
  name: string;
  phase: PipelinePhase;
  /** 0–100: finished steps count fully, running steps by their runs' FLORA progress. */
  percent: number;
  steps: (StepProgress & StepSummary)[];
  ledger: Ledger;
  note: string | undefined;
}

export interface StepResult extends StepSummary {
  status: 'completed' | 'failed' | 'skipped' | 'cancelled';
  technique: { slug: string | undefined; techniqueId: string; name: string };
  /** All outputs of the step's runs, in run order (none when `runsListed` is `none`: see the children). */
  outputs: OutputRef[];
  runs: StepRunProgress[];
  skippedReason: string | undefined;
  durationMs: number | undefined;
}

export interface PipelineResult {
  workflowId: string;
  name: string;
  /** `partial` when `onStepFailure: "continue"` let some steps fail or be skipped. */
  status: 'completed' | 'partial';
  steps: Record<string, StepResult>;
  ledger: Ledger;
  timings: { startedAt: string; finishedAt: string; durationMs: number };
  skipped: { step: string; reason: string }[];
  /** Executions of the workflow: 1 + the times it continued as new between batches. */
  executions?: number;
}

/** Sent by a child `runTechnique` to its pipeline when its phase, run id or progress moves. */
export interface ChildProgress {
  step: string;
  index: number;
  phase: string;
  runId: string | undefined;
  progress: number;
  polls: number;
}
