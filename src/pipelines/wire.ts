/**
 * What `runPipeline` accepts on the wire beyond its public input, the state one execution hands the next
 * when it continues as new, and the step state the workflow keeps. Internal: no package entry point
 * exports these (test/unit/public-api.test.ts); only flora's client and runPipeline itself set them.
 */
import type { OutputRef, ReportTo } from '../domain/run-request';
import type { TechniqueInfo } from '../domain/technique';
import type { RunTechniqueInput } from '../domain/run-request';
import type { RunFailure, RunPipelineInput, StepPhase, StepProgress, StepRunProgress } from './types';

/**
 * What runPipeline passes each child `runTechnique`: the public input plus where to report progress and
 * the schema it already fetched (the part of `runTechnique`'s wire input a pipeline sets).
 */
export interface ChildRunInput extends RunTechniqueInput {
  reportTo: ReportTo;
  schema: TechniqueInfo;
}

/**
 * What the `runPipeline` workflow accepts on the wire: the public input plus fields only flora's client
 * sets. Not exported from the package.
 */
export interface RunPipelineWireInput extends RunPipelineInput {
  /** Set by `startPipeline(spec, { resume: true })`: completed runs of an earlier execution to take, not create. */
  reuse?: PipelineReuse;
  /** Set by runPipeline itself when it continues as new (never by callers): what earlier executions did. */
  continued?: ContinuedPipeline;
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

/**
 * What one execution of runPipeline hands the next when it continues as new between batches (no child
 * in flight): each step's phase and its ended runs summed, the budget, and the schemas, so the next
 * execution plans with the same prices and launches only the runs that never started, under the same
 * child ids and idempotency keys.
 */
export interface ContinuedPipeline {
  /** The first execution's run id: children's idempotency keys come from it in every execution. */
  firstExecutionRunId: string;
  startedAtMs: number;
  /** Executions before this one. */
  executions: number;
  budgetUsd: number | undefined;
  raisedUsd: number | undefined;
  /** The schemas the first execution fetched, by technique key. */
  schemas: Record<string, TechniqueInfo>;
  steps: ContinuedStep[];
  firstFailure: { step: string; index: number; error: { type: string; message: string } } | undefined;
}

export interface ContinuedStep {
  id: string;
  phase: StepPhase;
  /** The step's runs once it expanded (0 before). */
  total: number;
  earlier: EarlierRuns;
  skippedReason: string | undefined;
  startedAt: string | undefined;
  finishedAt: string | undefined;
  /**
   * Runs past `earlier.count` that ended after one that never started (a resume took them out of order),
   * as they ended: the next execution puts them back at their index. Absent when there are none.
   */
  endedAfterGap?: StepRunProgress[];
}

/** Runs `[0, count)` of a step, which ended in earlier executions of the pipeline, summed. */
export interface EarlierRuns {
  count: number;
  completed: number;
  failed: number;
  cancelled: number;
  /** Kept reservations: runs that ended without proof that nothing was billed. */
  reservedUsd: number;
  chargedUsd: number;
  polls: number;
  downloadErrors: number;
  /** What runs taken from an earlier pipeline (resume) had cost there. */
  reusedUsd?: number;
  /** The first `PipelineLimits.failuresListed` failures. */
  failures: RunFailure[];
  /** Their outputs, run by run: carried only when a later step reads this step's outputs. */
  outputs?: OutputRef[][];
}

/** A step as the workflow keeps it: its progress plus what earlier executions did (queries show `counts`). */
export interface StepState extends StepProgress {
  /** The runs that ended in earlier executions (continue-as-new). */
  earlier?: EarlierRuns;
}
