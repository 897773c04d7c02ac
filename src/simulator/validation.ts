/**
 * Request-body schemas and the input checks FLORA applies before it spends money on a run. Every
 * problem is collected and reported at once, each naming its field, so a caller fixes them in one go.
 */
import { z } from 'zod';
import { ApiError, type FieldError } from './errors';
import {
  RUN_ERROR_CODES,
  SLOT_TYPES,
  type RunErrorCode,
  type SimSlot,
  type SimTechnique,
  type SlotType,
} from './schemas';

const TYPE_ALIASES: Record<string, SlotType> = {
  imageUrl: 'imageUrl',
  image_url: 'imageUrl',
  videoUrl: 'videoUrl',
  video_url: 'videoUrl',
  audioUrl: 'audioUrl',
  audio_url: 'audioUrl',
  documentUrl: 'documentUrl',
  document_url: 'documentUrl',
  text: 'text',
};

const IdempotencyKeySchema = z
  .string()
  .min(1, 'must not be empty')
  .max(255, 'must be at most 255 characters');

const HttpsUrlSchema = z.string().refine((value) => isHttpsUrl(value), 'must be an https:// URL');

export const NestedCreateBodySchema = z.strictObject({
  inputs: z.array(
    z.strictObject({
      id: z.string().min(1, 'must not be empty'),
      type: z.string(),
      value: z.unknown(),
    }),
  ),
  mode: z.enum(['async', 'stream']),
  idempotency_key: IdempotencyKeySchema.optional(),
  callback_url: HttpsUrlSchema.optional(),
});

export const TopLevelCreateBodySchema = z.strictObject({
  technique_id: z
    .string()
    .regex(/^tech_\S+$/, 'must match ^tech_\\S+$ (pass technique_id from GET /techniques)'),
  workspace_id: z.string().regex(/^ws_\S+$/, 'must match ^ws_\\S+$'),
  inputs: z.record(z.string(), z.unknown()),
  idempotency_key: IdempotencyKeySchema.optional(),
  callback_url: HttpsUrlSchema.optional(),
});

/** `inputs[0].id` rather than `inputs.0.id`, so an index never reads like an input id. */
function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? 'body' : out;
}

export function zodFieldErrors(error: z.ZodError): FieldError[] {
  const fields: FieldError[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        fields.push({ field: formatPath([...issue.path, key]), message: 'is not a recognized field' });
      }
      continue;
    }
    fields.push({ field: formatPath(issue.path), message: issue.message });
  }
  return fields;
}

/** Parses with `schema` or throws a 400 input_validation_error listing every issue. */
export function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw ApiError.validation(zodFieldErrors(result.error));
  return result.data;
}

export function isHttpsUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' && url.hostname !== '';
  } catch {
    return false;
  }
}

function slotList(slots: readonly SimSlot[]): string {
  return slots.map((s) => `${s.id} (${s.type}${s.optional ? ', optional' : ''})`).join(', ');
}

function checkValue(slot: SimSlot, value: unknown): string | undefined {
  if (value === undefined) return `is missing its value; expected ${describeType(slot.type)}`;
  if (typeof value !== 'string') return `must be a string holding ${describeType(slot.type)}`;
  if (slot.type === 'text') {
    return value.trim() === '' ? 'must be non-empty text' : undefined;
  }
  if (value.startsWith('http://')) return `must be an https:// URL (plain http is rejected); got "${value}"`;
  return isHttpsUrl(value) ? undefined : `must be a valid https:// URL; got "${value}"`;
}

function describeType(type: SlotType): string {
  return type === 'text' ? 'non-empty text' : `an https:// ${type.replace('Url', '')} URL`;
}

const SIM_FAIL_TRIGGER = /\[sim:fail=([^\]]*)\]/;

/**
 * A text input containing `[sim:fail=<code>]` makes the run end failed, so a demo driven from the
 * command line can show failure handling without the control plane.
 */
function failureTrigger(value: string): { code?: RunErrorCode; invalid?: string } | undefined {
  const match = SIM_FAIL_TRIGGER.exec(value);
  if (!match) return undefined;
  const code = match[1] ?? '';
  return (RUN_ERROR_CODES as readonly string[]).includes(code)
    ? { code: code as RunErrorCode }
    : { invalid: code };
}

export interface ValidatedInputs {
  values: Record<string, string>;
  /** Set when a text input asked for a simulated failure. */
  triggeredFailure?: RunErrorCode;
}

interface ProvidedInput {
  id: string;
  /** Only the nested route sends a type; the top-level route takes it from the schema. */
  type?: string;
  value: unknown;
}

export function validateInputs(technique: SimTechnique, provided: readonly ProvidedInput[]): ValidatedInputs {
  const fields: FieldError[] = [];
  const slots = new Map(technique.inputs.map((s) => [s.id, s]));
  const seen = new Set<string>();
  const values: Record<string, string> = {};
  let triggeredFailure: RunErrorCode | undefined;

  for (const input of provided) {
    const field = `inputs.${input.id}`;
    const slot = slots.get(input.id);
    if (!slot) {
      fields.push({
        field,
        message: `is not an input of ${technique.slug}; it accepts: ${slotList(technique.inputs)}`,
      });
      continue;
    }
    if (seen.has(input.id)) {
      fields.push({ field, message: 'is given more than once' });
      continue;
    }
    seen.add(input.id);
    if (input.type !== undefined) {
      const canonical = TYPE_ALIASES[input.type];
      if (canonical === undefined) {
        fields.push({ field, message: `type "${input.type}" is not one of ${SLOT_TYPES.join(', ')}` });
        continue;
      }
      if (canonical !== slot.type) {
        fields.push({ field, message: `type "${input.type}" does not match the schema type "${slot.type}"` });
        continue;
      }
    }
    const problem = checkValue(slot, input.value);
    if (problem !== undefined) {
      fields.push({ field, message: problem });
      continue;
    }
    const value = input.value as string;
    if (slot.type === 'text') {
      const trigger = failureTrigger(value);
      if (trigger?.invalid !== undefined) {
        fields.push({
          field,
          message: `[sim:fail=${trigger.invalid}] names no run error code; use one of ${RUN_ERROR_CODES.join(', ')}`,
        });
        continue;
      }
      triggeredFailure ??= trigger?.code;
    }
    values[input.id] = value;
  }

  for (const slot of technique.inputs) {
    if (!slot.optional && !seen.has(slot.id)) {
      fields.push({ field: `inputs.${slot.id}`, message: `is required (${describeType(slot.type)})` });
    }
  }

  if (fields.length > 0) {
    throw ApiError.validation(fields, `The inputs do not match the schema of ${technique.slug}.`);
  }
  return triggeredFailure === undefined ? { values } : { values, triggeredFailure };
}
