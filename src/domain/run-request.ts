/**
 * The pieces of a run request and its result that every layer shares (workflows, pipelines, activities,
 * the client library and the CLI). Pure types; the options are run-options.ts's schema.
 */
import type { RunTechniqueOptions } from './run-options';

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

/** What a caller passes to `runTechnique`: the technique, its inputs and options. The public input type. */
export interface RunTechniqueInput {
  /** Technique slug: runs are created on `POST /techniques/{slug}/runs`. */
  technique?: string;
  /** `tech_…` id, with `workspaceId`: runs are created on `POST /runs/technique`. */
  techniqueId?: string;
  /** `ws_…` id, with `techniqueId`. */
  workspaceId?: string;
  /** `{ inputId: value }`. Omitted optional inputs are not sent. */
  inputs: Record<string, InputValue>;
  options?: RunTechniqueOptions;
}

/** The validated create request (route and inputs), as sent to FLORA. */
export type CreateRequest =
  | {
      route: 'nested';
      slug: string;
      inputs: { id: string; type: string; value: string }[];
      /** With `options.callbackUrl`: the full URL, fixed at the workflow's start. */
      callbackUrl?: string;
    }
  | { route: 'top-level'; techniqueId: string; workspaceId: string; inputs: Record<string, string> };
