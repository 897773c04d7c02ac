/**
 * Zod schemas for every shape the simulator accepts from its caller (options, faults, catalog
 * entries). The public types are derived from them so the runtime check and the type cannot drift.
 */
import { z } from 'zod';

/** The FLORA API routes, under `/api/v1`, behind Bearer auth. */
export const API_ROUTES = [
  'listTechniques',
  'getTechnique',
  'createRunNested',
  'createRunTopLevel',
  'getRun',
  'listRuns',
] as const;
export type ApiRoute = (typeof API_ROUTES)[number];

/**
 * Every route the simulator counts in its stats and can aim a fault at: the API routes plus `getFile`,
 * the output-file route under `/files` (served only with the `serveFiles` option).
 */
export const SIM_ROUTES = [...API_ROUTES, 'getFile'] as const;
export const SimRouteSchema = z.enum(SIM_ROUTES);
export type SimRoute = z.infer<typeof SimRouteSchema>;

/**
 * `replay` and `conflict` are FLORA's two documented answers to a reused key (both atomic: a same-key
 * create that arrives while the first is still being processed waits for it, then gets that answer).
 * `non-atomic` replays finished creates but, as FLORA's reference warns, lets a same-key create that
 * arrives while the first is still in progress run too: two billed runs for one key.
 */
export const IdempotencyModeSchema = z.enum(['replay', 'conflict', 'non-atomic']);
export type IdempotencyMode = z.infer<typeof IdempotencyModeSchema>;

export const RUN_ERROR_CODES = [
  'model_timeout',
  'internal_error',
  'safety_blocked',
  'input_unreachable',
] as const;
export const RunErrorCodeSchema = z.enum(RUN_ERROR_CODES);
export type RunErrorCode = z.infer<typeof RunErrorCodeSchema>;

export const SLOT_TYPES = ['imageUrl', 'videoUrl', 'audioUrl', 'text', 'documentUrl'] as const;
export const SlotTypeSchema = z.enum(SLOT_TYPES);
export type SlotType = z.infer<typeof SlotTypeSchema>;

export const SimSlotSchema = z.strictObject({
  id: z.string().min(1),
  name: z.string().min(1),
  type: SlotTypeSchema,
  description: z.string().optional(),
  optional: z.boolean().optional(),
});
export type SimSlot = z.infer<typeof SimSlotSchema>;

export const SimTechniqueSchema = z.strictObject({
  technique_id: z.string().regex(/^tech_\S+$/, 'must start with tech_ and contain no spaces'),
  slug: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lower-case letters, digits and dashes'),
  name: z.string().min(1),
  description: z.string().optional(),
  run_cost: z.number().nonnegative(),
  inputs: z.array(SimSlotSchema),
  outputs: z.array(SimSlotSchema).min(1),
  workspace_id: z
    .string()
    .regex(/^ws_\S+$/)
    .optional(),
});
export type SimTechnique = z.infer<typeof SimTechniqueSchema>;

export const FAULT_KINDS = [
  'status5xx',
  'rateLimit',
  'latency',
  'reset',
  'malformedJson',
  'dropResponse',
  'slowResponse',
  'missingField',
  'foreignPollUrl',
  'status4xx',
  'holdResponse',
] as const;

/**
 * `slowResponse` handles the request (a create is made and billed), then holds the answer `latencyMs`
 * before sending it: past the client's timeout, the answer to a paid create is lost. `missingField`
 * sends a 2xx body without the field the contract requires first (`run_id`, `status`, ...).
 * `foreignPollUrl` points a 2xx body's `poll_url` at `foreignOrigin`, another host.
 *
 * `holdResponse` handles the request (a create is made and billed), then holds the answer until the
 * client's connection closes or `latencyMs` (default 30 s) passes; on `getFile` it sends the headers
 * and half the bytes first, then holds the rest (a download cut off mid-body if the client dies). Each
 * held answer shows in `GET /_sim/activity` (`held`), so a harness can kill a worker exactly then.
 *
 * On `getFile`, `malformedJson` has no JSON to garble: it sends the file's headers (full
 * content-length) and half its bytes, then cuts the connection, the way a CDN transfer breaks off.
 */
export const FaultSpecSchema = z.strictObject({
  /** Apply to the next N matching requests, then stop. Default: 1, or unlimited when `rate` is given. */
  count: z.number().int().positive().optional(),
  /** Probability (0..1) per matching request, drawn from the simulator's seeded PRNG. */
  rate: z.number().min(0).max(1).optional(),
  kind: z.enum(FAULT_KINDS),
  /**
   * For `status5xx`: 503 (service_unavailable, the default) or 500 (internal_error). For `status4xx`:
   * 404 (not_found, the default: a run not yet visible after its create, read-after-write lag), 401
   * (invalid_api_key) or 403 (forbidden), answered before the request is handled.
   */
  status: z
    .union([z.literal(500), z.literal(503), z.literal(401), z.literal(403), z.literal(404)])
    .optional(),
  /**
   * For `rateLimit`: the `retry-after` header in seconds (default 1); null sends no header.
   * For `status5xx`: sent only when given (a 503 asking to come back later).
   */
  retryAfterSeconds: z.number().nonnegative().nullable().optional(),
  /**
   * For `latency`: delay before handling; for `slowResponse`: delay after it; in ms (default 1000).
   * For `holdResponse`: the longest hold (default 30000).
   */
  latencyMs: z.number().nonnegative().optional(),
  /** For `foreignPollUrl`: the origin the `poll_url` moves to (default 'http://127.0.0.1:9'). */
  foreignOrigin: z.url().optional(),
});
export type FaultSpec = z.infer<typeof FaultSpecSchema>;

export const FaultTargetSchema = z.union([SimRouteSchema, z.literal('*')]);
export type FaultTarget = z.infer<typeof FaultTargetSchema>;
