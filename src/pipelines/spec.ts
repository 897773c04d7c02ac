/**
 * The pipeline spec: one zod schema, the types derived from it, and errors that name the path
 * (`steps[2].inputs.input_image`). Pure: used by the workflow, the client and the CLI.
 */
import { z } from 'zod';
import { runOptionFields, type RunOptionKey } from '../domain/run-options';
import { PipelineLimits } from './limits';

const STEP_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/**
 * The `runTechnique` options a pipeline takes, for every step or one step (derived from the one schema,
 * domain/run-options.ts). Left out: `idempotencyKey` and `attachRunId` name one run, not a step's many
 * (the pipeline derives each child's key), and `callbackUrl` (children poll).
 */
export const STEP_OPTION_KEYS = [
  'pollMinMs',
  'pollMaxMs',
  'maxRunAttempts',
  'maxCostUsd',
  'deadline',
  'maxHistoryEvents',
  'recreateDelayMs',
  'downloadTo',
  'pollMode',
  'activityTaskQueue',
] as const satisfies readonly RunOptionKey[];

/**
 * The spec's schemas, built on first use and kept by this module instance. The workflow sandbox gives
 * every cached workflow its own instance of this module, and a runTechnique never parses a spec: built at
 * module scope, these schemas cost each cached run ~150 KB of heap and each workflow start ~3 ms of CPU
 * (docs/SCALING.md, "Memory per cached run"). Built at module scope they could not be shared either:
 * the SDK freezes preloaded modules, and zod adds methods to a schema on first use. Built on first use,
 * after the freeze, in a preloaded module (src/worker/bundle-options.ts), one serves every workflow.
 */
function buildSchemas() {
  const FromStep = z.strictObject({
    fromStep: z.string().min(1),
    output: z.union([z.string().min(1), z.number().int().nonnegative()]).optional(),
  });

  /** `{ "item": true }`: the current element of the step's `forEach`. */
  const Item = z.strictObject({ item: z.literal(true) });

  const InputRef = z.union([z.string(), FromStep, Item], {
    error: 'expected a string, { "fromStep": id, "output"?: id or index }, or { "item": true }',
  });

  /**
   * What the workflow's spec parse has accepted since it shipped, where that is looser than the schema:
   * a spec that passed this parse and was refused later, by the plan's full check (checkRunOptions, after
   * the schemas were fetched), must still get that far when its history replays. The full bounds apply
   * to every step all the same, in the plan and, before the start, in the client and CLI
   * (checkSpecOptions). `downloadTo` is tighter than runTechnique's 500: each child appends
   * `/<step>-<index>`.
   */
  const PARSE_LENIENCY = {
    pollMinMs: z.number().int().min(10).optional(),
    pollMaxMs: z.number().int().min(10).optional(),
    deadline: z.union([z.string().min(1), z.number().positive()]).optional(),
    maxHistoryEvents: z.number().int().min(20).optional(),
    downloadTo: z.string().min(1).max(400).optional(),
  };

  /** Options passed to each step's `runTechnique` (see RunTechniqueOptions); unknown keys are refused. */
  const StepOptions = z.strictObject({ ...runOptionFields(STEP_OPTION_KEYS), ...PARSE_LENIENCY });

  const Step = z
    .strictObject({
      id: z.string().regex(STEP_ID, 'expected letters, digits, "-" or "_" (at most 64)'),
      technique: z.string().min(1).optional(),
      techniqueId: z
        .string()
        .regex(/^tech_\S+$/, 'expected an id starting with "tech_"')
        .optional(),
      workspaceId: z
        .string()
        .regex(/^ws_\S+$/, 'expected an id starting with "ws_"')
        .optional(),
      forEach: z
        .union([z.array(z.string()).min(1), z.strictObject({ fromStep: z.string().min(1) })])
        .optional(),
      inputs: z.record(z.string(), InputRef).default({}),
      options: StepOptions.optional(),
    })
    .superRefine(
      (step, ctx) => {
        if (typeof step !== 'object' || step === null) return;
        if (step.technique === undefined && step.techniqueId === undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['technique'],
            message: 'required: a technique slug, or techniqueId + workspaceId',
          });
        }
        if (
          step.technique !== undefined &&
          (step.techniqueId !== undefined || step.workspaceId !== undefined)
        ) {
          ctx.addIssue({
            code: 'custom',
            path: ['technique'],
            message: 'pass either technique or techniqueId + workspaceId, not both',
          });
        }
        // Checked here rather than with .max() in the union, whose error would only say "Invalid input".
        if (Array.isArray(step.forEach) && step.forEach.length > PipelineLimits.forEachItems) {
          ctx.addIssue({
            code: 'custom',
            path: ['forEach'],
            message: `a forEach list has at most ${PipelineLimits.forEachItems} elements (this one has ${step.forEach.length}); split the work into several pipelines`,
          });
        }
        if (step.techniqueId !== undefined && step.workspaceId === undefined) {
          ctx.addIssue({ code: 'custom', path: ['workspaceId'], message: 'required with techniqueId' });
        }
      },
      // Also when other fields of the step are wrong, so every problem is reported at once.
      { when: () => true },
    );

  const PipelineSpec = z.strictObject({
    name: z.string().min(1).max(200),
    /** Total USD the pipeline may spend. @default no limit */
    budgetUsd: z.number().nonnegative().optional(),
    /** FLORA runs in flight at once. @default 4 */
    concurrency: z.number().int().min(1).max(64).default(4),
    /** `fail-fast` cancels running siblings and fails; `continue` runs everything not depending on the failure. */
    onStepFailure: z.enum(['fail-fast', 'continue']).default('fail-fast'),
    /** `fail` stops the pipeline; `wait` waits for the `raiseBudget` signal. */
    onBudgetExceeded: z.enum(['fail', 'wait']).default('fail'),
    /** Defaults for every step's options. */
    options: StepOptions.optional(),
    steps: z
      .array(Step)
      .min(1, 'expected at least one step')
      .max(200)
      .superRefine((steps, ctx) => {
        // The runs known from the spec alone (a forEach over a step is counted in the plan).
        const runs = steps.reduce((sum, s) => sum + (Array.isArray(s.forEach) ? s.forEach.length : 1), 0);
        if (runs > PipelineLimits.runs)
          ctx.addIssue({
            code: 'custom',
            message: `the pipeline has ${runs} runs; at most ${PipelineLimits.runs} (docs/pipelines.md, "Large pipelines")`,
          });
      }),
  });

  return { FromStep, InputRef, StepOptions, Step, PipelineSpec };
}

type Schemas = ReturnType<typeof buildSchemas>;
let schemas: Schemas | undefined;
function pipelineSchemas(): Schemas {
  schemas ??= buildSchemas();
  return schemas;
}

/** `{ "fromStep": id, "output"?: outputId | index }`: an output of an earlier step. */
export type FromStep = z.infer<Schemas['FromStep']>;
export type InputRef = z.infer<Schemas['InputRef']>;
export type StepOptions = z.infer<Schemas['StepOptions']>;
export type Step = z.infer<Schemas['Step']>;
export type PipelineSpec = z.infer<Schemas['PipelineSpec']>;
/** The spec as written (defaults not yet applied). */
export type PipelineSpecInput = z.input<Schemas['PipelineSpec']>;

export interface SpecProblem {
  path: string;
  message: string;
}

/** `['steps', 2, 'inputs', 'x']` → `steps[2].inputs.x`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out || '(spec)';
}

export function parsePipelineSpec(
  value: unknown,
): { ok: true; spec: PipelineSpec } | { ok: false; problems: SpecProblem[] } {
  const parsed = pipelineSchemas().PipelineSpec.safeParse(value);
  if (parsed.success) return { ok: true, spec: parsed.data };
  return {
    ok: false,
    problems: parsed.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message })),
  };
}

export function describeSpecProblems(problems: SpecProblem[]): string {
  return `${problems.length} problem${problems.length === 1 ? '' : 's'}: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`;
}
