/**
 * What the pipeline scheduler takes and decides, as types: a child's end, the runs to launch, what to
 * cancel, how the pipeline fails, and a resume's reuse offers. Pure types.
 */
import type { EndEvidence } from './billing';
import type { PlannedStep } from './plan';
import type { StepRunProgress } from './types';
import type { ChildRunInput, ReusedRunInput, StepState } from './wire';
import type { OutputRef } from '../domain/run-request';

/** A step a resume offers runs for, ready to take them (its dependencies completed): the workflow checks them. */
export interface ReuseOffer {
  step: StepState;
  runs: ReusedRunInput[];
}

/** What the output check found, per offered run (same order as `ReuseOffer.runs`). */
export interface ReuseCheck {
  /** Outputs whose URL did not answer, and why. */
  expired: { outputId: string; url: string; problem: string }[];
  /** Outputs whose URL could not be checked (no answer): taken anyway, and noted. */
  unchecked?: { outputId: string; url: string; problem: string }[];
  /** Saved copies the worker has. */
  localFiles: { outputId: string; file: string }[];
}

/** The pipeline's workflow id and its first execution's run id (stable across resets and continue-as-new). */
export interface PipelineIds {
  workflowId: string;
  firstExecutionRunId: string;
}

export interface RunError {
  type: string;
  message: string;
}

/** How a child ended, as the workflow learned it. */
export type ChildOutcome =
  | {
      kind: 'completed';
      runId: string;
      polls: number;
      outputs: OutputRef[];
      chargedCost: number;
      /** The run completed (and was charged) but saving its outputs failed. */
      downloadError?: RunError | undefined;
    }
  | { kind: 'failed'; error: RunError; evidence: EndEvidence }
  | { kind: 'cancelled'; error: RunError; evidence: EndEvidence };

/** What to cancel when the loop stops. */
export type StopCancel =
  | { kind: 'none' }
  | { kind: 'all' }
  /** Only these runs: FLORA has runs for the others, which finish and keep their outputs. */
  | { kind: 'unpaid'; runs: StepRunProgress[] };

/** One child to start now. */
export interface Launch {
  step: StepState;
  run: StepRunProgress;
  planned: PlannedStep;
  /** The child's input, with its inputs resolved from earlier steps' outputs. */
  input: ChildRunInput;
}

export type StopReason = 'fail-fast' | 'budget' | 'done';

/** One pass of the scheduler: children to start (in this order), and whether the loop ends after them. */
export interface Pass {
  launches: Launch[];
  /** A run failed before it could start (an input could not be resolved): look again at once. */
  changed: boolean;
  stop: StopReason | undefined;
}

/** A failure to end the pipeline with: the workflow turns it into a non-retryable ApplicationFailure. */
export interface PipelineFailure {
  type: string;
  message: string;
  details: unknown[];
}

export type UpfrontBudget = { kind: 'ok' } | { kind: 'fail'; failure: PipelineFailure } | { kind: 'wait' };

/** The first run that failed (it decides a fail-fast pipeline's failure). */
export interface FirstFailure {
  step: string;
  index: number;
  error: RunError;
}
