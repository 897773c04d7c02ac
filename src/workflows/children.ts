/**
 * Calling flora-temporal's workflows as children of your own workflow. Workflow-safe: these helpers
 * import only types of our workflows and start them by their workflow type name, so a bundle that uses
 * them does not need to contain flora's workflow code (flora's worker may serve it on another task queue).
 */
import {
  executeChild,
  ParentClosePolicy,
  startChild,
  workflowInfo,
  type ChildWorkflowHandle,
  type ChildWorkflowOptions,
} from '@temporalio/workflow';
import type { RunPipelineInput, PipelineResult } from '../pipelines/types';
import type { RunTechniqueInput, RunTechniqueResult } from './types';

/** The workflow type names flora-temporal's worker registers. Stable: they are part of the public API. */
export const FloraWorkflowType = {
  runTechnique: 'runTechnique',
  runPipeline: 'runPipeline',
} as const;

/** A technique run, typed by its public input and result (what a child start needs). */
export type TechniqueRunWorkflow = (input: RunTechniqueInput) => Promise<RunTechniqueResult>;
/** A pipeline run, typed by its public input and result. */
export type PipelineWorkflow = (input: RunPipelineInput) => Promise<PipelineResult>;

export interface FloraChildOptions extends Omit<ChildWorkflowOptions, 'args' | 'workflowId'> {
  /**
   * Names this child within its parent: the child's workflow id is `<parent workflow id>/<key>`. Use the
   * same key on every replay (a literal, a loop index, a step name), and a different key per child.
   */
  key: string;
  /** Task queue of the worker serving flora's workflows. @default the parent's task queue */
  taskQueue?: string;
}

/** The child workflow id a key gives: `<parent workflow id>/<key>` (how `runPipeline` names its steps). */
export function floraChildWorkflowId(key: string): string {
  if (typeof key !== 'string' || key.length === 0) throw new TypeError('a flora child needs a non-empty key');
  return `${workflowInfo().workflowId}/${key}`;
}

/**
 * What the helpers pass to `startChild`. `parentClosePolicy` is REQUEST_CANCEL (Temporal's default is
 * TERMINATE): when the parent closes, the child goes through its cancellation path, which lets a FLORA
 * create already in flight finish and records its run id, instead of being killed mid-request.
 */
function childOptions(options: FloraChildOptions): ChildWorkflowOptions {
  const { key, ...rest } = options;
  return {
    parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
    ...rest,
    workflowId: floraChildWorkflowId(key),
  };
}

/** Starts a `runTechnique` child and waits for its result (a failure is a `ChildWorkflowFailure`). */
export function executeTechniqueRun(
  input: RunTechniqueInput,
  options: FloraChildOptions,
): Promise<RunTechniqueResult> {
  return executeChild<TechniqueRunWorkflow>(FloraWorkflowType.runTechnique, {
    ...childOptions(options),
    args: [input],
  });
}

/** Starts a `runTechnique` child; the handle's `result()` is the run's result. */
export function startTechniqueRun(
  input: RunTechniqueInput,
  options: FloraChildOptions,
): Promise<ChildWorkflowHandle<TechniqueRunWorkflow>> {
  return startChild<TechniqueRunWorkflow>(FloraWorkflowType.runTechnique, {
    ...childOptions(options),
    args: [input],
  });
}

/**
 * Starts a `runPipeline` child and waits for its result. Its steps are children of the pipeline, started
 * on the pipeline's task queue (so the worker serving `runPipeline` must serve `runTechnique` too).
 */
export function executePipeline(
  input: RunPipelineInput,
  options: FloraChildOptions,
): Promise<PipelineResult> {
  return executeChild<PipelineWorkflow>(FloraWorkflowType.runPipeline, {
    ...childOptions(options),
    args: [input],
  });
}

/** Starts a `runPipeline` child; signal it (`raiseBudgetSignal`) or wait for `result()` through the handle. */
export function startPipeline(
  input: RunPipelineInput,
  options: FloraChildOptions,
): Promise<ChildWorkflowHandle<PipelineWorkflow>> {
  return startChild<PipelineWorkflow>(FloraWorkflowType.runPipeline, {
    ...childOptions(options),
    args: [input],
  });
}
