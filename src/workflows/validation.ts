/**
 * Checks a run request before any money is spent. Pure: used by the workflow (authoritative) and by the
 * client and CLI (for early feedback). Every problem is collected, each naming its field and what was
 * expected, so the caller can fix all of them at once.
 */
import type { SlotInfo, TechniqueInfo } from '../activities/types';
import { RUN_TECHNIQUE_DEFAULTS } from './types';
import { durationToMs } from './duration';
import type { InputValue, PollMode, RunTechniqueInput, RunTechniqueOptions } from './types';
import type { CreateRequest } from './wire';

export interface Problem {
  field: string;
  message: string;
}

export interface ResolvedOptions {
  pollMinMs: number;
  pollMaxMs: number;
  maxRunAttempts: number;
  recreateDelayMs: number;
  maxCostUsd: number | undefined;
  deadlineMs: number;
  idempotencyKey: string | undefined;
  attachRunId: string | undefined;
  maxHistoryEvents: number;
  downloadTo: string | undefined;
  callbackUrl: string | undefined;
  pollMode: PollMode;
  activityTaskQueue: string | undefined;
}

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

function checkInteger(problems: Problem[], field: string, value: unknown, min: number, max: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    problems.push({
      field,
      message: `expected a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`,
    });
  }
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

  const options: RunTechniqueOptions = input.options ?? {};
  if (!isRecord(input.options ?? {})) {
    problems.push({ field: 'options', message: 'expected an object' });
    return { ok: false, problems };
  }
  const {
    pollMinMs = RUN_TECHNIQUE_DEFAULTS.pollMinMs,
    pollMaxMs = RUN_TECHNIQUE_DEFAULTS.pollMaxMs,
    maxRunAttempts = RUN_TECHNIQUE_DEFAULTS.maxRunAttempts,
    recreateDelayMs = RUN_TECHNIQUE_DEFAULTS.recreateDelayMs,
    maxCostUsd,
    deadline = RUN_TECHNIQUE_DEFAULTS.deadline,
    idempotencyKey,
    attachRunId,
    maxHistoryEvents = RUN_TECHNIQUE_DEFAULTS.maxHistoryEvents,
    downloadTo,
    callbackUrl,
    pollMode = RUN_TECHNIQUE_DEFAULTS.pollMode,
    activityTaskQueue,
  } = options;
  checkInteger(problems, 'options.pollMinMs', pollMinMs, 10, 600_000);
  checkInteger(problems, 'options.pollMaxMs', pollMaxMs, 10, 600_000);
  if (typeof pollMinMs === 'number' && typeof pollMaxMs === 'number' && pollMaxMs < pollMinMs) {
    problems.push({
      field: 'options.pollMaxMs',
      message: `expected at least pollMinMs (${pollMinMs}), got ${pollMaxMs}`,
    });
  }
  checkInteger(problems, 'options.maxRunAttempts', maxRunAttempts, 1, 10);
  // Permissive on purpose (0 to a day): recorded histories must keep passing this check.
  checkInteger(problems, 'options.recreateDelayMs', recreateDelayMs, 0, 86_400_000);
  checkInteger(problems, 'options.maxHistoryEvents', maxHistoryEvents, 20, 50_000);
  if (
    maxCostUsd !== undefined &&
    (typeof maxCostUsd !== 'number' || !Number.isFinite(maxCostUsd) || maxCostUsd < 0)
  ) {
    problems.push({
      field: 'options.maxCostUsd',
      message: `expected a non-negative number of USD, got ${JSON.stringify(maxCostUsd)}`,
    });
  }
  const deadlineMs = durationToMs(deadline);
  if (!Number.isFinite(deadlineMs) || deadlineMs <= 0) {
    problems.push({
      field: 'options.deadline',
      message: `expected a positive duration such as "6h" or ms, got ${JSON.stringify(deadline)}`,
    });
  }
  if (
    idempotencyKey !== undefined &&
    (typeof idempotencyKey !== 'string' || !/^\S{1,200}$/.test(idempotencyKey))
  ) {
    problems.push({
      field: 'options.idempotencyKey',
      message: 'expected 1 to 200 characters without spaces',
    });
  }
  if (attachRunId !== undefined && (typeof attachRunId !== 'string' || !/^\S{1,200}$/.test(attachRunId))) {
    problems.push({ field: 'options.attachRunId', message: 'expected a FLORA run id such as "run_…"' });
  }
  if (downloadTo !== undefined && !isRelativeDir(downloadTo)) {
    problems.push({
      field: 'options.downloadTo',
      message: `expected a relative directory (under the worker's FLORA_DOWNLOAD_ROOT) without "..", got ${JSON.stringify(downloadTo)}`,
    });
  }
  if (callbackUrl !== undefined) {
    const problem = checkCallbackUrl(callbackUrl);
    if (problem !== undefined) problems.push({ field: 'options.callbackUrl', message: problem });
    else if (route?.route === 'top-level')
      problems.push({
        field: 'options.callbackUrl',
        message:
          "FLORA's top-level create (techniqueId + workspaceId) takes no callback_url: run by slug (technique) to use callbacks, or leave it out",
      });
  }
  if (pollMode !== 'local' && pollMode !== 'activity') {
    problems.push({
      field: 'options.pollMode',
      message: `expected "local" or "activity", got ${JSON.stringify(pollMode)}`,
    });
  }
  if (
    activityTaskQueue !== undefined &&
    (typeof activityTaskQueue !== 'string' || !/^\S{1,200}$/.test(activityTaskQueue))
  ) {
    problems.push({
      field: 'options.activityTaskQueue',
      message: 'expected a task queue name: 1 to 200 characters without spaces',
    });
  }
  if (problems.length > 0 || route === undefined) return { ok: false, problems };
  return {
    ok: true,
    route,
    options: {
      pollMinMs,
      pollMaxMs,
      maxRunAttempts,
      recreateDelayMs,
      maxCostUsd,
      deadlineMs,
      idempotencyKey,
      attachRunId,
      maxHistoryEvents,
      downloadTo,
      callbackUrl: callbackUrl,
      pollMode,
      activityTaskQueue,
    },
  };
}

/** The base of a callback URL: https (FLORA calls nothing else), no fragment, no `wf` of its own. */
function checkCallbackUrl(value: unknown): string | undefined {
  if (typeof value !== 'string') return `expected an https:// URL, got ${describeType(value)}`;
  if (value.length > 2_000) return 'expected at most 2,000 characters';
  const problem = checkUrl(value);
  if (problem !== undefined) return problem;
  const url = new URL(value);
  if (url.hash !== '') return 'expected no #fragment';
  if (url.username !== '' || url.password !== '')
    return 'expected no user:password@ (the receiver authenticates callbacks by their signature)';
  if (url.searchParams.has('wf'))
    return 'expected no "wf" query parameter: the workflow adds its own id there';
  return undefined;
}

/** A relative path without `..` segments (checked again, against the real root, by the activity). */
function isRelativeDir(value: unknown): boolean {
  if (typeof value !== 'string' || value.trim() === '' || value.length > 500) return false;
  if (value.startsWith('/') || value.startsWith('\\') || /^[A-Za-z]:/.test(value)) return false;
  return !value.split(/[\\/]/).includes('..');
}

function checkUrl(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `expected an https:// URL, got "${truncate(value)}"`;
  }
  if (url.protocol === 'http:')
    return `expected an https:// URL (FLORA rejects plain http), got "${truncate(value)}"`;
  if (url.protocol !== 'https:') return `expected an https:// URL, got a ${url.protocol} URL`;
  if (!url.hostname) return `expected an https:// URL with a host, got "${truncate(value)}"`;
  return undefined;
}

function truncate(value: string): string {
  return value.length > 80 ? `${value.slice(0, 77)}...` : value;
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
    const problem = checkUrl(value.trim());
    return problem ? { problem } : { value: value.trim() };
  }
  if (canonicalType(slot.type) === 'text' && value.trim() === '')
    return { problem: 'expected non-empty text' };
  return { value };
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
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
