/**
 * One zod schema per FLORA resource, with the TypeScript type derived from it, so the runtime check and
 * the type cannot drift apart. Unknown extra fields are stripped (tolerated); a missing required field
 * fails the parse, and the client turns that into a `FloraProtocolError` naming the field.
 *
 * This module is pure (zod only) and safe to import from workflow code, though workflows should prefer
 * `import type`.
 */
import { z } from 'zod';

export const Slot = z.object({
  id: z.string().min(1),
  name: z.string().optional(),
  /** imageUrl, videoUrl, audioUrl, text, documentUrl, or a type FLORA adds later (passed through). */
  type: z.string().min(1),
  description: z.string().nullish(),
  optional: z.boolean().nullish(),
  accepts_element: z.boolean().nullish(),
  specified_aspect_ratio: z.string().nullish(),
  specified_duration: z.number().nullish(),
});
export type Slot = z.infer<typeof Slot>;

/** `GET /techniques/{slug or id}`. */
export const Technique = z.object({
  technique_id: z.string().min(1),
  slug: z.string().nullish(),
  name: z.string(),
  description: z.string().nullish(),
  run_cost: z.number().nonnegative(),
  inputs: z.array(Slot),
  outputs: z.array(Slot),
});
export type Technique = z.infer<typeof Technique>;

/** An item of `GET /techniques`: the user's page shows only id, slug and name; the SDK adds the schema. */
export const TechniqueListItem = z.object({
  technique_id: z.string().min(1),
  slug: z.string().nullish(),
  name: z.string(),
  description: z.string().nullish(),
  run_cost: z.number().nullish(),
  inputs: z.array(Slot).nullish(),
  outputs: z.array(Slot).nullish(),
});
export type TechniqueListItem = z.infer<typeof TechniqueListItem>;

export const TechniqueListPage = z.object({
  techniques: z.array(TechniqueListItem),
  meta: z
    .object({
      limit: z.number().nullish(),
      next_cursor: z.string().nullish(),
    })
    .nullish(),
});
export type TechniqueListPage = z.infer<typeof TechniqueListPage>;

export const RunOutput = z.object({
  output_id: z.string(),
  type: z.string(),
  url: z.string(),
});
export type RunOutput = z.infer<typeof RunOutput>;

/** The run object: the nested create response and every poll response. */
export const Run = z.object({
  run_id: z.string().min(1),
  status: z.string().min(1),
  progress: z.number().nullish(),
  created_at: z.number().nullish(),
  started_at: z.number().nullish(),
  completed_at: z.number().nullish(),
  charged_cost: z.number().nullish(),
  poll_url: z.string().nullish(),
  outputs: z.array(RunOutput).nullish(),
  error_code: z.string().nullish(),
  error_message: z.string().nullish(),
});
export type Run = z.infer<typeof Run>;

/** `POST /runs/technique` response. */
export const TopLevelCreateResponse = z.object({
  run_id: z.string().min(1),
  type: z.string().nullish(),
  charged_cost: z.number().nullish(),
  estimated_seconds: z.number().nullish(),
  poll_url: z.string().nullish(),
  project_id: z.string().nullish(),
  technique: z.object({ technique_id: z.string(), name: z.string().nullish() }).nullish(),
});
export type TopLevelCreateResponse = z.infer<typeof TopLevelCreateResponse>;

/** An item of `GET /technique-runs`. */
export const TechniqueRunItem = Run.extend({
  technique_run_id: z.string().nullish(),
  workspace_id: z.string().nullish(),
  project_id: z.string().nullish(),
  technique: z.object({ technique_id: z.string(), name: z.string().nullish() }).nullish(),
});
export type TechniqueRunItem = z.infer<typeof TechniqueRunItem>;

export const TechniqueRunPage = z.object({
  technique_runs: z.array(TechniqueRunItem),
  meta: z.object({ next_cursor: z.string().nullish(), limit: z.number().nullish() }).nullish(),
});
export type TechniqueRunPage = z.infer<typeof TechniqueRunPage>;

export const ErrorEnvelope = z.object({
  error: z.object({
    code: z.string(),
    message: z.string().nullish(),
    fields: z.array(z.object({ field: z.string(), message: z.string() })).nullish(),
  }),
});
export type ErrorEnvelope = z.infer<typeof ErrorEnvelope>;
