/**
 * `runTechnique`'s options, defined once: this zod schema is the source of the option type, the bounds
 * and the error messages, and applies the defaults (RUN_TECHNIQUE_DEFAULTS). The request check
 * (request-check.ts), the pipeline step options (pipelines/spec.ts), the CLI's run flags
 * (cli/run-option-flags.ts) and the docs' option table (test/unit/run-options-docs.test.ts checks it)
 * are derived from it. Pure: the workflow sandbox runs it.
 *
 * The bounds are what the workflow has always accepted: recorded histories must keep passing them, so
 * they may widen but never narrow (stricter policy, such as the 1 s polling floor, lives in the client).
 */
import { z } from 'zod';
import { durationToMs } from './duration';
import { checkHttpsUrl, describeType } from './https-url';

/** `issue.input` as the messages quote it. */
function got(issue: { input?: unknown }): string {
  return JSON.stringify(issue.input) ?? String(issue.input);
}

/** A whole number in [min, max]; one message for every way it can be wrong. */
function wholeNumber(min: number, max: number) {
  const error = (issue: { input?: unknown }) =>
    `expected a whole number from ${min} to ${max}, got ${got(issue)}`;
  return z.number({ error }).int({ error, abort: true }).min(min, { error, abort: true }).max(max, { error });
}

/** 1 to 200 characters without spaces (keys, run ids, task queue names). */
function token(message: string) {
  const error = () => message;
  return z
    .string({ error })
    .min(1, { error, abort: true })
    .max(200, { error, abort: true })
    .regex(/^\S*$/, { error });
}

/** A relative path without `..` segments (checked again, against the real root, by the activity). */
function isRelativeDir(value: string): boolean {
  if (value.trim() === '') return false;
  if (value.startsWith('/') || value.startsWith('\\') || /^[A-Za-z]:/.test(value)) return false;
  return !value.split(/[\\/]/).includes('..');
}

function isPositiveDuration(value: unknown): boolean {
  const ms = durationToMs(value);
  return Number.isFinite(ms) && ms > 0;
}

const deadlineError = (issue: { input?: unknown }) =>
  `expected a positive duration such as "6h" or ms, got ${got(issue)}`;

/** The base of a callback URL: https (FLORA calls nothing else), no fragment, no `wf` of its own. */
function checkCallbackUrl(value: string): string | undefined {
  const problem = checkHttpsUrl(value);
  if (problem !== undefined) return problem;
  const url = new URL(value);
  if (url.hash !== '') return 'expected no #fragment';
  if (url.username !== '' || url.password !== '')
    return 'expected no user:password@ (the receiver authenticates callbacks by their signature)';
  if (url.searchParams.has('wf'))
    return 'expected no "wf" query parameter: the workflow adds its own id there';
  return undefined;
}

const downloadToError = (issue: { input?: unknown }) =>
  `expected a relative directory (under the worker's FLORA_DOWNLOAD_ROOT) without "..", got ${got(issue)}`;

export const POLL_MODES = ['local', 'activity'] as const;
export type PollMode = (typeof POLL_MODES)[number];

/**
 * The options' defaults, which the schema applies. Plain values, so that reading them builds no schema
 * (test/unit/run-options.test.ts checks they are what the schema's parse of `{}` gives).
 */
export const RUN_TECHNIQUE_DEFAULTS: Readonly<{
  pollMinMs: number;
  pollMaxMs: number;
  maxRunAttempts: number;
  recreateDelayMs: number;
  deadline: string | number;
  maxHistoryEvents: number;
  pollMode: PollMode;
}> = Object.freeze({
  pollMinMs: 2_000,
  pollMaxMs: 5_000,
  maxRunAttempts: 2,
  recreateDelayMs: 10_000,
  deadline: '6h',
  maxHistoryEvents: 2_000,
  pollMode: 'local',
});

/**
 * The options object of a `runTechnique` input. Unknown keys are ignored (not refused), as they always
 * were. `callbackUrl`'s URL rules depend on the route, so request-check.ts checks them.
 */
function newRunOptionsSchema() {
  return z.object({
    /** Shortest wait between two polls, in ms. FLORA asks for 2–5 s. */
    pollMinMs: wholeNumber(10, 600_000).default(RUN_TECHNIQUE_DEFAULTS.pollMinMs),
    /** Longest wait between two polls, in ms (at least `pollMinMs`). */
    pollMaxMs: wholeNumber(10, 600_000).default(RUN_TECHNIQUE_DEFAULTS.pollMaxMs),
    /**
     * Runs to create in all: a run that fails with a transient `error_code` (`model_timeout`,
     * `internal_error`) is created again, with the next idempotency key, up to this many times.
     */
    maxRunAttempts: wholeNumber(1, 10).default(RUN_TECHNIQUE_DEFAULTS.maxRunAttempts),
    /**
     * Before re-creating a run after a transient failure, wait a random time between this and 3× this, in
     * ms (10–30 s by default), so a struggling model is not hit again at once. Permissive on purpose (0 to a
     * day): recorded histories must keep passing this check.
     */
    recreateDelayMs: wholeNumber(0, 86_400_000).default(RUN_TECHNIQUE_DEFAULTS.recreateDelayMs),
    /** Refuse (before anything is created) when the technique's `run_cost` is above this, in USD. No limit by default. */
    maxCostUsd: z
      .number({ error: (issue) => `expected a non-negative number of USD, got ${got(issue)}` })
      .min(0, { error: (issue) => `expected a non-negative number of USD, got ${got(issue)}` })
      .optional(),
    /** How long the whole run may take, from the workflow's start, e.g. `'6h'` or ms. */
    deadline: z
      .union([z.string(), z.number()], { error: deadlineError })
      .refine((value) => isPositiveDuration(value), { error: deadlineError })
      .default(RUN_TECHNIQUE_DEFAULTS.deadline),
    /**
     * Idempotency key for the first create (later attempts append `-attempt-N`). By default
     * `<firstExecutionRunId>-<attempt>`: stable across retries, replays, worker restarts and continue-as-new.
     */
    idempotencyKey: token('expected 1 to 200 characters without spaces').optional(),
    /** Create nothing: only poll this existing FLORA run (e.g. one an operator found after a lost create). */
    attachRunId: token('expected a FLORA run id such as "run_…"').optional(),
    /** Continue-as-new once the history has this many events (or when the server suggests it). */
    maxHistoryEvents: wholeNumber(20, 50_000).default(RUN_TECHNIQUE_DEFAULTS.maxHistoryEvents),
    /**
     * Save the outputs on the worker, under its FLORA_DOWNLOAD_ROOT, in this relative directory (with a
     * manifest of content types and sha256), before the URLs expire. Not downloaded by default.
     */
    downloadTo: z
      .string({ error: downloadToError })
      .min(1, { error: downloadToError, abort: true })
      .max(500, { error: downloadToError, abort: true })
      .refine(isRelativeDir, { error: downloadToError })
      .optional(),
    /**
     * Ask FLORA to call back when the run ends (webhook acceleration): the https URL where FLORA's callbacks
     * reach a flora-temporal webhook receiver. The workflow adds its id (`?wf=<workflowId>`); polling stays
     * the fallback. Slug route (`technique`) only. No callbacks by default.
     */
    callbackUrl: z
      .string({ error: (issue) => `expected an https:// URL, got ${describeType(issue.input)}` })
      .max(2_000, { error: 'expected at most 2,000 characters', abort: true })
      .superRefine((value, ctx) => {
        const problem = checkCallbackUrl(value);
        if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional(),
    /**
     * With `callbackUrl`: the longest wait between two fallback polls, in ms (at least `pollMaxMs`). The
     * callback ends the run's waits, so polls only cover a lost callback: they come near this far apart,
     * plus one poll aimed 5 s past the run's predicted end. Unset: 30 s (or `pollMaxMs` if that is longer).
     * Bounds how late a run whose callback was lost is seen. Only with `callbackUrl`.
     */
    fallbackPollMaxMs: wholeNumber(10, 3_600_000).optional(),
    /**
     * How each poll runs: `'local'`, a local activity in the workflow task its timer wakes, or `'activity'`,
     * a regular activity on the task queue. See docs/workflows.md.
     */
    pollMode: z
      .enum(POLL_MODES, { error: (issue) => `expected "local" or "activity", got ${got(issue)}` })
      .default(RUN_TECHNIQUE_DEFAULTS.pollMode),
    /**
     * The task queue of every FLORA request of this run, as regular activities (schema read, create,
     * look-ups, downloads and, whatever `pollMode` says, every poll), served by a FLORA-only activity worker
     * (FLORA_ACTIVITY_TASK_QUEUE), so the workflow worker needs no FLORA client. The workflow's own task
     * queue by default.
     */
    activityTaskQueue: token('expected a task queue name: 1 to 200 characters without spaces').optional(),
  });
}

/**
 * The schema, built on first use and kept by this module instance. The workflow sandbox gives every
 * cached workflow its own instance of this module: built at module scope, the schema cost every cached
 * workflow ~100 KB of heap and its start ~2 ms of CPU, though only a run's first task and a pipeline's
 * plan use it (docs/SCALING.md, "Memory per cached run").
 */
let runOptions: RunOptionsSchema | undefined;
export function runOptionsSchema(): RunOptionsSchema {
  runOptions ??= newRunOptionsSchema();
  return runOptions;
}
export type RunOptionsSchema = ReturnType<typeof newRunOptionsSchema>;

/** The options a caller passes (every field optional). */
export type RunTechniqueOptions = z.input<RunOptionsSchema>;
/** The options with their defaults applied. */
export type RunOptionsWithDefaults = z.output<RunOptionsSchema>;
export type RunOptionKey = keyof RunOptionsSchema['shape'];

type Shape = RunOptionsSchema['shape'];

/** The schema of one option with its default removed (optional): what an override may set. */
type Unwrapped<S> = S extends z.ZodDefault<infer Inner> ? z.ZodOptional<Inner> : S;
export type RunOptionFields<K extends RunOptionKey> = { [P in K]: Unwrapped<Shape[P]> };

/** The option schemas of `keys` without defaults, e.g. for options merged before the defaults apply. */
export function runOptionFields<K extends RunOptionKey>(keys: readonly K[]): RunOptionFields<K> {
  const fields: Partial<Record<RunOptionKey, z.ZodType>> = {};
  for (const key of keys) {
    const field: z.ZodType = runOptionsSchema().shape[key];
    fields[key] = field instanceof z.ZodDefault ? (field.unwrap() as z.ZodType).optional() : field;
  }
  return fields as RunOptionFields<K>;
}

/** What an option accepts, read from its schema: for help texts, messages and the docs' table. */
export interface RunOptionBounds {
  kind: 'number' | 'string' | 'enum' | 'duration';
  min?: number;
  max?: number;
  values?: readonly string[];
  default?: unknown;
}

export function runOptionBounds(key: RunOptionKey): RunOptionBounds {
  let schema: z.ZodType = runOptionsSchema().shape[key];
  let fallback: unknown;
  for (;;) {
    if (schema instanceof z.ZodDefault) {
      fallback = schema.def.defaultValue;
      schema = schema.unwrap() as z.ZodType;
    } else if (schema instanceof z.ZodOptional) schema = schema.unwrap() as z.ZodType;
    else break;
  }
  const withDefault = fallback === undefined ? {} : { default: fallback };
  if (schema instanceof z.ZodNumber)
    return { kind: 'number', ...limits(schema.minValue, schema.maxValue), ...withDefault };
  if (schema instanceof z.ZodString)
    return { kind: 'string', ...limits(schema.minLength, schema.maxLength), ...withDefault };
  if (schema instanceof z.ZodEnum)
    return { kind: 'enum', values: schema.options.map(String), ...withDefault };
  return { kind: 'duration', ...withDefault };
}

function limits(min: number | null, max: number | null): { min?: number; max?: number } {
  return { ...(min === null ? {} : { min }), ...(max === null || max === Infinity ? {} : { max }) };
}
