/**
 * Large pipelines run in batches (docs/pipelines.md, "Large pipelines"). Each child costs the pipeline's
 * history about a dozen events, and Temporal terminates a workflow at 51,200: after `runsPerExecution`
 * runs (or `PipelineLimits.historyEventsPerExecution` events, or when Temporal suggests it) an execution
 * launches nothing more, waits for the runs in flight, and continues as new with each step's ended runs
 * summed. Only between batches: continue-as-new would apply the parent-close policy to children still
 * running (cancelling paid runs), and one scheduler over the whole pipeline keeps the budget, concurrency
 * and fail-fast rules in one place (sub-pipelines would have to split the budget).
 *
 * When the state is too large to carry, the execution goes on instead, to the end, never rotating
 * again. Pure: the workflow passes the history's facts and the rule (`patched(...)`) in.
 */
import { PipelineLimits } from './limits';
import type { PipelinePlan } from './plan';
import type { TechniqueInfo } from '../domain/technique';
import type { ContinuedPipeline, RunPipelineWireInput } from './wire';

/** What Temporal says about this execution's history (`workflowInfo()` has both). */
export interface HistoryFacts {
  historyLength: number;
  continueAsNewSuggested: boolean;
}

/** Runs one execution launches before it continues as new: the input's (tests), else the default. */
export function runsPerExecutionOf(input: { runsPerExecution?: unknown } | undefined): number {
  const n = input?.runsPerExecution;
  return typeof n === 'number' && Number.isFinite(n) && n >= 1
    ? Math.floor(n)
    : PipelineLimits.runsPerExecution;
}

/** A batch is full once it launched its runs, its history grew long, or Temporal suggests continuing. */
export function batchFull(launched: number, runsPerExecution: number, history: HistoryFacts): boolean {
  return (
    launched >= runsPerExecution ||
    history.historyLength >= PipelineLimits.historyEventsPerExecution ||
    history.continueAsNewSuggested
  );
}

/** One execution's batch: whether it still launches, and when it continues as new. */
export class Batch {
  private launched = 0;
  /** Full: nothing more launches, and the execution continues as new once no run is in flight. */
  private rotating = false;
  /** The next execution's state was too large to carry: this one runs the pipeline to its end. */
  private carryRefused = false;

  constructor(readonly runsPerExecution: number) {}

  /**
   * Before each scheduler pass: whether it may launch. `rule` (`patched(...)`: histories from before
   * batches never rotate) is asked only when the batch has just become full, as it always was.
   */
  launching(history: HistoryFacts, rule: () => boolean): boolean {
    if (
      !this.rotating &&
      !this.carryRefused &&
      batchFull(this.launched, this.runsPerExecution, history) &&
      rule()
    )
      this.rotating = true;
    return !this.rotating;
  }

  /** After a pass: the runs it launched count against the batch. */
  counted(launches: number): void {
    this.launched += launches;
  }

  /** The batch is full and its last run ended: time to continue as new. */
  dueToContinue(inFlight: number): boolean {
    return this.rotating && inFlight === 0;
  }

  /** The state could not be carried: launch again, and never try to continue as new in this execution. */
  refuseCarry(): void {
    this.carryRefused = true;
    this.rotating = false;
  }
}

/** The schemas the plan was made with, by technique key: carried so every execution prices alike. */
export function schemasOf(plan: PipelinePlan): Record<string, TechniqueInfo> {
  return Object.fromEntries(plan.steps.map((s) => [s.techniqueKey, s.technique]));
}

/**
 * The next execution's input: this one's, with the state it hands on. Undefined when there is none to
 * hand on (`carried` undefined) or when it is over `maxBytes` of JSON (Temporal refuses payloads over
 * 2 MB): the caller goes on instead (`Batch.refuseCarry`).
 */
export function nextExecutionInput(
  input: RunPipelineWireInput,
  carried: Pick<ContinuedPipeline, 'steps' | 'firstFailure'> | undefined,
  facts: Omit<ContinuedPipeline, 'steps' | 'firstFailure'>,
  maxBytes: number = PipelineLimits.carryBytes,
): RunPipelineWireInput | undefined {
  if (carried === undefined) return undefined;
  const next: RunPipelineWireInput = { ...input, continued: { ...facts, ...carried } };
  return JSON.stringify(next).length <= maxBytes ? next : undefined;
}
