/**
 * A FLORA technique as the rest of the code sees it: plain JSON, camelCase, no secrets. Made by the
 * activities from FLORA's schema, read by the workflows' validation, the pipeline planner and the CLI.
 */

/** The technique schema. */
export interface TechniqueInfo {
  techniqueId: string;
  slug: string | undefined;
  name: string;
  description: string | undefined;
  runCost: number;
  inputs: SlotInfo[];
  outputs: SlotInfo[];
}

/** One input or output slot of a technique. */
export interface SlotInfo {
  id: string;
  name: string;
  type: string;
  optional: boolean;
  description?: string | undefined;
}
