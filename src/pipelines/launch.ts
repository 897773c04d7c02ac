/**
 * Starting one run of a step: its inputs resolved from earlier steps' outputs, its price reserved, and
 * the child's input built (target, options, idempotency key, schema, where to report). Pure.
 */

import { resolveInputs } from './plan';
import type { Rules } from './rules';
import type { Launch, PipelineIds, RunError } from './scheduler-types';
import type { StepGraph } from './step-graph';
import { PipelineFailureType, type StepRunProgress } from './types';
import type { ChildRunInput, StepState } from './wire';

/** A child's idempotency key: the pipeline's first execution, the step and the run's index. */
export function childIdempotencyKey(firstExecutionRunId: string, stepId: string, index: number): string {
  return `${firstExecutionRunId}-${stepId}-${index}`;
}

export type LaunchOutcome =
  | { kind: 'launched'; launch: Launch }
  /** An input could not be resolved: the run failed (and its step settled) before any child started. */
  | { kind: 'unresolved'; error: RunError }
  | { kind: 'unplanned' };

/** Reserves the run's price and builds the child's input; a run whose inputs cannot be resolved fails here. */
export function launchRun(
  graph: StepGraph,
  step: StepState,
  run: StepRunProgress,
  now: string,
  ids: PipelineIds,
  rules: Rules,
): LaunchOutcome {
  const p = graph.planned(step.id);
  if (p === undefined) return { kind: 'unplanned' };
  const resolved = resolveInputs(p, run.item, graph.outputsOf);
  run.startedAt = now;
  if (!resolved.ok) {
    const error = { type: PipelineFailureType.StepFailed, message: resolved.problem };
    run.phase = 'failed';
    run.error = error;
    run.finishedAt = run.startedAt;
    graph.settle(step, now);
    return { kind: 'unresolved', error };
  }
  run.phase = 'running';
  run.reservedUsd = step.runCost;
  const input: ChildRunInput = {
    ...p.target,
    inputs: resolved.inputs,
    options: {
      ...p.options,
      // One directory per run, so outputs with the same id from different steps never collide.
      ...(p.options.downloadTo !== undefined
        ? { downloadTo: `${p.options.downloadTo}/${step.id}-${run.index}` }
        : {}),
      // A child's own default key comes from its own first execution, which a reset of the pipeline
      // replaces: the same step would be created (and billed) again. This key survives resets.
      ...(rules.childKeysFromPipeline()
        ? { idempotencyKey: childIdempotencyKey(ids.firstExecutionRunId, step.id, run.index) }
        : {}),
    },
    schema: p.technique,
    reportTo: { workflowId: ids.workflowId, step: step.id, index: run.index },
  };
  return { kind: 'launched', launch: { step, run, planned: p, input } };
}
