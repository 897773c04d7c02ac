/**
 * How large a pipeline may be, and how it stays inside Temporal's limits (docs/pipelines.md, "Large
 * pipelines"). Pure constants: used by the spec, the plan, the scheduler and the workflow.
 */
export const PipelineLimits = {
  /** Elements of one `forEach` list. */
  forEachItems: 10_000,
  /** Runs of the whole pipeline (known up front, or estimated from the schemas' declared outputs). */
  runs: 10_000,
  /**
   * Child runs one execution of runPipeline starts before it continues as new (once none is running).
   * Each child costs about a dozen events of the pipeline's history: 500 stays well under Temporal's
   * 10,240-event warning and its 51,200-event limit.
   */
  runsPerExecution: 500,
  /** Continue as new after this many history events, however few runs started (signals, updates). */
  historyEventsPerExecution: 8_000,
  /** The progress query and the result list every run only when the pipeline has at most this many. */
  detailedRuns: 100,
  /** Failures listed per step in summaries. */
  failuresListed: 20,
  /**
   * The state carried to the next execution is refused (the execution goes on instead) above this many
   * bytes of JSON: Temporal refuses payloads over 2 MB.
   */
  carryBytes: 1_500_000,
} as const;
