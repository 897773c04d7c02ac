/**
 * Checks a run request before any money is spent. Pure: used by the workflow (authoritative), the
 * pipeline planner, and the client and CLI (for early feedback). Every problem is collected, each naming
 * its field and what was expected, so the caller can fix all of them at once. The options' rules are
 * the schema's (run-options.ts).
 */
import type { SlotInfo, TechniqueInfo } from './technique';
import { durationToMs } from './duration';
import { checkHttpsUrl, describeType } from './https-url';
import {
  RUN_TECHNIQUE_DEFAULTS,
  runOptionsSchema,
  type RunOptionKey,
  type RunOptionsWithDefaults,
} from './run-options';
import type { CreateRequest, InputValue, RunTechniqueInput } from './run-request';

export interface Problem {
  field: string;
  message: string;
}

/** The options with their defaults applied and the deadline in ms, as the workflow uses them. */
export type ResolvedOptions = { [K in Exclude<RunOptionKey, 'deadline'>]: RunOptionsWithDefaults[K] } & {
  deadlineMs: number;
};

export type RequestRoute =
  { route: 'nested'; technique: string } | { route: 'top-level'; techniqueId: string; workspaceId: string };

const URL_TYPES = new Set(['imageUrl', 'videoUrl', 'audioUrl', 'documentUrl']);
const TYPE_ALIASES: Record<string, string> = {
  image_url: 'imageUrl',
  video_url: 'videoUrl',
  audio_url: 'audioUrl',
  document_url: 'documentUrl',
};
export const TECHNIQUE_ID_PATTERN = /^tech_\S+$/;
export const WORKSPACE_ID_PATTERN = /^ws_\S+$/;

/** `image_url` → `imageUrl`; other types unchanged. */
export function canonicalType(type: string): string {
  return TYPE_ALIASES[type] ?? type;
}

export function isUrlType(type: string): boolean {
  return URL_TYPES.has(canonicalType(type));
}

/** Renders problems as one message: `2 problems: inputs.prompt: …; options.pollMinMs: …`. */
export function describeProblems(problems: Problem[]): string {
  const list = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
  return `${problems.length} problem${problems.length === 1 ? '' : 's'}: ${list}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks the parts of a request that do not need the technique schema: the technique reference and the
 * options. Returns the route and the options with defaults applied, or the problems.
 */
export function checkRequest(
  input: RunTechniqueInput,
): { ok: true; route: RequestRoute; options: ResolvedOptions } | { ok: false; problems: Problem[] } {
  const problems: Problem[] = [];
  if (!isRecord(input)) return { ok: false, problems: [{ field: '(input)', message: 'expected an object' }] };
  const { technique, techniqueId, workspaceId } = input;
  let route: RequestRoute | undefined;
  if (technique !== undefined) {
    if (typeof technique !== 'string' || technique.trim() === '') {
      problems.push({ field: 'technique', message: 'expected a technique slug such as "text-to-image"' });
    } else if (TECHNIQUE_ID_PATTERN.test(technique)) {
      problems.push({
        field: 'technique',
        message: `expected a slug, got the id ${technique}: to run by id pass techniqueId and workspaceId`,
      });
    } else if (/\s|\//.test(technique)) {
      problems.push({
        field: 'technique',
        message: `expected a slug without spaces or slashes, got "${technique}"`,
      });
    }
    if (techniqueId !== undefined || workspaceId !== undefined) {
      problems.push({
        field: 'technique',
        message: 'pass either technique (slug) or techniqueId + workspaceId, not both',
      });
    }
    route = { route: 'nested', technique };
  } else if (techniqueId !== undefined || workspaceId !== undefined) {
    if (typeof techniqueId !== 'string' || !TECHNIQUE_ID_PATTERN.test(techniqueId)) {
      problems.push({
        field: 'techniqueId',
        message: `expected an id starting with "tech_", got ${JSON.stringify(techniqueId)}`,
      });
    }
    if (typeof workspaceId !== 'string' || !WORKSPACE_ID_PATTERN.test(workspaceId)) {
      problems.push({
        field: 'workspaceId',
        message: `expected an id starting with "ws_", got ${JSON.stringify(workspaceId)}`,
      });
    }
    route = { route: 'top-level', techniqueId: String(techniqueId), workspaceId: String(workspaceId) };
  } else {
    problems.push({
      field: 'technique',
      message: 'required: a technique slug, or techniqueId + workspaceId',
    });
  }
  if (!isRecord(input.inputs)) {
    problems.push({ field: 'inputs', message: 'expected an object { inputId: value }' });
  }

  if (!isRecord(input.options ?? {})) {
    problems.push({ field: 'options', message: 'expected an object' });
    return { ok: false, problems };
  }
  const checked = checkRunOptions(input.options ?? {});
  problems.push(...checked.problems);
  const callbackUrl = input.options?.callbackUrl;
  const callbackUrlOk = !checked.problems.some((p) => p.field === 'options.callbackUrl');
  if (callbackUrl !== undefined && callbackUrlOk && route?.route === 'top-level')
    problems.push({
      field: 'options.callbackUrl',
      message:
        "FLORA's top-level create (techniqueId + workspaceId) takes no callback_url: run by slug (technique) to use callbacks, or leave it out",
    });
  const fallbackOk = !checked.problems.some((p) => p.field === 'options.fallbackPollMaxMs');
  if (input.options?.fallbackPollMaxMs !== undefined && fallbackOk && callbackUrl === undefined)
    problems.push({
      field: 'options.fallbackPollMaxMs',
      message:
        'applies only to runs with options.callbackUrl (without callbacks, pollMaxMs is the longest wait between polls): set callbackUrl or leave it out',
    });
  if (problems.length > 0 || route === undefined || checked.options === undefined)
    return { ok: false, problems };
  return { ok: true, route, options: checked.options };
}

/**
 * Checks an options object against the schema, one problem per field (`options.<field>`), plus the one
 * rule across fields (pollMaxMs at least pollMinMs). Returns the options with defaults applied when valid.
 */
export function checkRunOptions(options: Record<string, unknown>): {
  problems: Problem[];
  options: ResolvedOptions | undefined;
} {
  const problems: Problem[] = [];
  const parsed = runOptionsSchema().safeParse(options);
  const named = new Set<string>();
  for (const issue of parsed.success ? [] : parsed.error.issues) {
    const field = ['options', ...issue.path.map(String)].join('.');
    if (named.has(field)) continue; // the first problem of a field says what was expected
    named.add(field);
    problems.push({ field, message: issue.message });
  }
  const { pollMinMs = RUN_TECHNIQUE_DEFAULTS.pollMinMs, pollMaxMs = RUN_TECHNIQUE_DEFAULTS.pollMaxMs } =
    options;
  if (typeof pollMinMs === 'number' && typeof pollMaxMs === 'number' && pollMaxMs < pollMinMs) {
    problems.push({
      field: 'options.pollMaxMs',
      message: `expected at least pollMinMs (${pollMinMs}), got ${pollMaxMs}`,
    });
  }
  const { fallbackPollMaxMs } = options;
  if (
    typeof fallbackPollMaxMs === 'number' &&
    typeof pollMaxMs === 'number' &&
    fallbackPollMaxMs < pollMaxMs &&
    !problems.some((p) => p.field === 'options.fallbackPollMaxMs')
  ) {
    problems.push({
      field: 'options.fallbackPollMaxMs',
      message: `expected at least pollMaxMs (${pollMaxMs}), got ${fallbackPollMaxMs}`,
    });
  }
  if (!parsed.success || problems.length > 0) return { problems, options: undefined };
  const o = parsed.data;
  // Every field present (undefined when not set), so callers see one shape.
  const resolved: ResolvedOptions = {
    pollMinMs: o.pollMinMs,
    pollMaxMs: o.pollMaxMs,
    maxRunAttempts: o.maxRunAttempts,
    recreateDelayMs: o.recreateDelayMs,
    maxCostUsd: o.maxCostUsd,
    deadlineMs: durationToMs(o.deadline),
    idempotencyKey: o.idempotencyKey,
    attachRunId: o.attachRunId,
    maxHistoryEvents: o.maxHistoryEvents,
    downloadTo: o.downloadTo,
    callbackUrl: o.callbackUrl,
    fallbackPollMaxMs: o.fallbackPollMaxMs,
    pollMode: o.pollMode,
    activityTaskQueue: o.activityTaskQueue,
  };
  return { problems, options: resolved };
}

/** Checks one value against its slot; returns the value to send or a problem message. */
export function checkValue(slot: SlotInfo, raw: unknown): { value: string } | { problem: string } {
  let value: unknown = raw;
  if (isRecord(raw)) {
    if (raw.type !== undefined) {
      if (typeof raw.type !== 'string') return { problem: 'expected type to be a string' };
      if (canonicalType(raw.type) !== canonicalType(slot.type)) {
        return { problem: `expected type ${slot.type}, got a value typed ${raw.type}` };
      }
    }
    value = raw.value;
  }
  if (typeof value !== 'string') {
    return {
      problem: `expected ${isUrlType(slot.type) ? 'an https:// URL' : 'a string'}, got ${describeType(value)}`,
    };
  }
  if (isUrlType(slot.type)) {
    const problem = checkHttpsUrl(value.trim());
    return problem ? { problem } : { value: value.trim() };
  }
  if (canonicalType(slot.type) === 'text' && value.trim() === '')
    return { problem: 'expected non-empty text' };
  return { value };
}

/**
 * Checks the inputs against the technique's schema and the price against `maxCostUsd`. On success returns
 * what to send: for the nested route a list in schema order, typed exactly as the schema states; for the
 * top-level route a map. Omitted optional inputs are not sent.
 */
export function checkInputs(
  technique: TechniqueInfo,
  route: RequestRoute,
  inputs: Record<string, InputValue>,
  options: Pick<ResolvedOptions, 'maxCostUsd'>,
): { ok: true; create: CreateRequest } | { ok: false; problems: Problem[] } {
  const problems: Problem[] = [];
  const slots = new Map(technique.inputs.map((slot) => [slot.id, slot]));
  for (const id of Object.keys(inputs)) {
    if (!slots.has(id)) {
      const known = technique.inputs.map((s) => s.id).join(', ') || '(none)';
      problems.push({
        field: `inputs.${id}`,
        message: `unknown input for ${technique.name}; expected one of: ${known}`,
      });
    }
  }
  const values: { id: string; type: string; value: string }[] = [];
  for (const slot of technique.inputs) {
    const raw = Object.prototype.hasOwnProperty.call(inputs, slot.id) ? inputs[slot.id] : undefined;
    if (raw === undefined || raw === null) {
      if (!slot.optional) {
        problems.push({
          field: `inputs.${slot.id}`,
          message: `required ${slot.type} input "${slot.name}" is missing`,
        });
      }
      continue;
    }
    const checked = checkValue(slot, raw);
    if ('problem' in checked) problems.push({ field: `inputs.${slot.id}`, message: checked.problem });
    else values.push({ id: slot.id, type: slot.type, value: checked.value });
  }
  if (options.maxCostUsd !== undefined && technique.runCost > options.maxCostUsd) {
    problems.push({
      field: 'run_cost',
      message: `${technique.name} costs $${technique.runCost} per run, above options.maxCostUsd ($${options.maxCostUsd})`,
    });
  }
  if (problems.length > 0) return { ok: false, problems };
  if (route.route === 'nested') {
    return { ok: true, create: { route: 'nested', slug: route.technique, inputs: values } };
  }
  return {
    ok: true,
    create: {
      route: 'top-level',
      techniqueId: route.techniqueId,
      workspaceId: route.workspaceId,
      inputs: Object.fromEntries(values.map((v) => [v.id, v.value])),
    },
  };
}
