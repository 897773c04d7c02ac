/**
 * What `runTechnique` accepts on the wire beyond its public input, and the state it carries across
 * continue-as-new. Internal: no package entry point exports these (test/unit/public-api.test.ts), because
 * a caller never sets them and their shape may change with any release (read old shapes, see
 * `continuedStateOf`).
 */
import type { CreateRequest, ReportTo } from '../domain/run-request';
import type { TechniqueInfo } from '../domain/technique';
import type { RunTechniqueInput, TechniqueRef } from './types';

export type { CreateRequest } from '../domain/run-request';

/**
 * What the `runTechnique` workflow accepts on the wire: the public input plus fields only flora's own
 * workflows set. Not exported from the package: a caller never sets them.
 */
export interface RunTechniqueWireInput extends RunTechniqueInput {
  /** Set by `runPipeline` on its children: where to signal progress. */
  reportTo?: ReportTo;
  /** Set by `runPipeline`: the schema it already fetched (once per technique), so the child skips the fetch. */
  schema?: TechniqueInfo;
  /** State carried across continue-as-new (the run, counters, deadline). */
  continued?: ContinuedState;
  /**
   * The same state under its name before it was renamed to `continued` (so it could not be confused with
   * a pipeline's `resume` option). Executions continued by older workers carry only this one, so it is
   * still read; it is also still written, for workers not yet upgraded during a rolling deploy.
   * @deprecated read `continued`; written until 1.0.0
   */
  resume?: ContinuedState;
}

/** The continue-as-new state of a wire input, under its new name or its old one. */
export function continuedStateOf(input: RunTechniqueWireInput): ContinuedState | undefined {
  return input.continued ?? input.resume;
}

/** Carried across continue-as-new so a long run keeps its FLORA run, counters and deadline. */
export interface ContinuedState {
  technique: TechniqueRef;
  /** Where to poll: slug or `tech_` id. */
  pollTechnique: string;
  runId: string;
  pollUrl: string | undefined;
  runIds: string[];
  attempt: number;
  polls: number;
  pollsThisAttempt: number;
  progress: number;
  deadlineAtMs: number;
  runCost: number;
  keyBase: { custom: string | undefined; firstExecutionRunId: string };
  /** The validated request, so a re-created run after a transient failure sends the same inputs. */
  create: CreateRequest | undefined;
  /**
   * @deprecated Never read. Older code wrote a count of continues here; it is still accepted so the
   * executions it continued go on, and no longer written (a continue-as-new command's input is not
   * compared on replay, so histories that carry it replay: test/replay.test.ts).
   */
  continuedTimes?: number;
  /** What is known about billing so far (absent in histories recorded before it was added). */
  billing?: { createsInDoubt: number; failedRunIds: string[] };
  /** What the poll cadence predicts from (absent in histories recorded before it was added). */
  cadence?: { createdAtMs: number | undefined; estimatedMs: number | undefined };
}
