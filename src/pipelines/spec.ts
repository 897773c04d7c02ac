/**
 * The pipeline spec: one zod schema, the types derived from it, and errors that name the path
 * (`steps[2].inputs.input_image`). Pure: used by the workflow, the client and the CLI.
 */
import { z } from 'zod';
import { PipelineLimits } from './limits';

const STEP_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** `{ "fromStep": id, "output"?: outputId | index }`: an output of an earlier step. */
export const FromStep = z.strictObject({
  fromStep: z.string().min(1),
  output: z.union([z.string().min(1), z.number().int().nonnegative()]).optional(),
});
export type FromStep = z.infer<typeof FromStep>;

/** `{ "item": true }`: the current element of the step's `forEach`. */
export const Item = z.strictObject({ item: z.literal(true) });

export const InputRef = z.union([z.string(), FromStep, Item], {
  error: 'expected a string, { "fromStep": id, "output"?: id or index }, or { "item": true }',
});
export type InputRef = z.infer<typeof InputRef>;

/** Options passed to each step's `runTechnique` (see RunTechniqueOptions). */
export const StepOptions = z.strictObject({
  pollMinMs: z.number().int().min(10).optional(),
  pollMaxMs: z.number().int().min(10).optional(),
  maxRunAttempts: z.number().int().min(1).max(10).optional(),
  maxCostUsd: z.number().nonnegative().optional(),
  deadline: z.union([z.string().min(1), z.number().positive()]).optional(),
  maxHistoryEvents: z.number().int().min(20).optional(),
  /** Wait before re-creating after a transient run failure (transient-recreate-backoff-v1). */
  recreateDelayMs: z.number().int().min(0).max(86_400_000).optional(),
  /** Save outputs on the worker under FLORA_DOWNLOAD_ROOT/<downloadTo>/<step>-<index>/. */
  downloadTo: z.string().min(1).max(400).optional(),
  /** How each step's polls run (see RunTechniqueOptions.pollMode). */
  pollMode: z.enum(['local', 'activity']).optional(),
  /** The task queue of the FLORA activities, the pipeline's own schema reads included. */
  activityTaskQueue: z
    .string()
    .regex(/^\S{1,200}$/, 'expected a task queue name: 1 to 200 characters without spaces')
    .optional(),
});
export type StepOptions = z.infer<typeof StepOptions>;

export const Step = z
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
export type Step = z.infer<typeof Step>;

export const PipelineSpec = z.strictObject({
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
export type PipelineSpec = z.infer<typeof PipelineSpec>;
/** The spec as written (defaults not yet applied). */
export type PipelineSpecInput = z.input<typeof PipelineSpec>;

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
  const parsed = PipelineSpec.safeParse(value);
  if (parsed.success) return { ok: true, spec: parsed.data };
  return {
    ok: false,
    problems: parsed.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message })),
  };
}

export function describeSpecProblems(problems: SpecProblem[]): string {
  return `${problems.length} problem${problems.length === 1 ? '' : 's'}: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`;
}
