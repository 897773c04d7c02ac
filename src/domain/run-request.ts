/**
 * The pieces of a run request and its result that every layer shares (workflows, pipelines, activities,
 * the client library and the CLI). Pure types.
 */

/** An input value: the value itself, or the value with an explicit type (aliases such as `image_url` accepted). */
export type InputValue = string | { type?: string; value: string };

/** One output of a finished run. */
export interface OutputRef {
  outputId: string;
  type: string;
  /** The URL, or the text itself for `type: "text"`. */
  url: string;
}

/** Where a pipeline's child run reports progress: the parent pipeline's workflow id and the child's place in it. */
export interface ReportTo {
  workflowId: string;
  step: string;
  index: number;
}
