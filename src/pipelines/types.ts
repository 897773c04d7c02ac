/** Public types of the `runPipeline` workflow: input, result, progress query, signals. Pure. */
import type { OutputRef, ReportTo } from '../domain/run-request';

export type { ReportTo };
import type { PipelineSpecInput } from './spec';

export { PipelineFailureType } from '../domain/failures';

/** What a caller passes to `runPipeline`. The public input type. */
export interface RunPipelineInput {
  spec: PipelineSpecInput;
}

/**
 * What the `runPipeline` workflow accepts on the wire: the public input plus fields only flora's client
 * sets. Not exported from the package.
 */
export interface RunPipelineWireInput extends RunPipelineInput {
  /** Set by `startPipeline(spec, { resume: true })`: completed runs of an earlier execution to take, not create. */
  reuse?: PipelineReuse;
}

/** Runs an earlier execution of the same workflow id paid for, which a resumed execution takes as they are. */
export interface PipelineReuse {
  /** The execution they are taken from. */
  from: { workflowId: string; runId: string };
  /** Per step id: the runs to take, by their index in the step. */
  steps: Record<string, ReusedRunInput[]>;
}

export interface ReusedRunInput {
  index: number;
  /** The FLORA run. */
  runId: string;
  outputs: OutputRef[];
  /** What FLORA charged for it (shown in the ledger as reused, not charged again). */
  chargedUsd: number;
  /** Files the earlier execution saved for it (`downloadTo`), relative to the worker's download root. */
  localFiles?: { outputId: string; file: string }[];
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
  steps: StepProgress[];
  ledger: Ledger;
  note: string | undefined;
}

export interface StepResult {
  status: 'completed' | 'failed' | 'skipped' | 'cancelled';
  technique: { slug: string | undefined; techniqueId: string; name: string };
  /** All outputs of the step's runs, in run order. */
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
