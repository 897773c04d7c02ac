/**
 * Turns a parsed pipeline spec and the fetched technique schemas into a plan, or into every problem
 * found: unknown steps, cycles, unknown or missing inputs, literal values of the wrong shape and type
 * mismatches along an edge. Runs before anything is created. Pure: used by the workflow and the CLI.
 */
import type { SlotInfo, TechniqueInfo } from '../domain/technique';
import type { InputValue } from '../domain/run-request';
import type { RunTechniqueOptions } from '../domain/run-options';
import { canonicalType, checkRunOptions, checkValue } from '../domain/request-check';
import { PipelineLimits } from './limits';
import type { FromStep, PipelineSpec, SpecProblem, Step, StepOptions } from './spec';

export type PlannedInput =
  | { kind: 'literal'; value: string }
  | { kind: 'item' }
  /** One output of a producer that runs once, by id. */
  | { kind: 'output-id'; fromStep: string; outputId: string; type: string }
  /** The n-th of all outputs of the producer's runs, in order. */
  | { kind: 'output-index'; fromStep: string; index: number; type: string };

export type FanOut =
  { kind: 'none' } | { kind: 'list'; items: string[] } | { kind: 'step'; fromStep: string };

export interface PlannedStep {
  id: string;
  /** Position in the spec, for messages. */
  position: number;
  /** The key the schema was fetched by: the slug or the `tech_` id. */
  techniqueKey: string;
  technique: TechniqueInfo;
  /** How `runTechnique` names the technique. */
  target: { technique: string } | { techniqueId: string; workspaceId: string };
  dependsOn: string[];
  fanOut: FanOut;
  inputs: Record<string, PlannedInput>;
  options: RunTechniqueOptions;
}

export interface PipelinePlan {
  name: string;
  steps: PlannedStep[];
  /** Steps in an order where every step comes after the steps it depends on. */
  order: string[];
  /** The whole plan's price when every step's run count is known up front (no forEach over a step). */
  plannedCostUsd: number | undefined;
  /** Runs the plan will create, when known up front. */
  plannedRuns: number | undefined;
  /**
   * Runs and price expected from the schemas: a forEach over a step counts one run per declared output
   * of each producer run. An estimate (a run may return fewer outputs), never used to refuse.
   */
  estimate: { runs: number; costUsd: number; runsPerStep: Record<string, number> };
}

export function techniqueKey(step: Step): string {
  return step.technique ?? step.techniqueId ?? '';
}

/** The distinct techniques a spec uses: each schema is fetched once, however many steps use it. */
export function techniqueKeys(spec: PipelineSpec): string[] {
  return [...new Set(spec.steps.map(techniqueKey))];
}

function typesFit(producer: string, consumer: string): boolean {
  return canonicalType(producer) === canonicalType(consumer);
}

function isFromStep(ref: unknown): ref is FromStep {
  return typeof ref === 'object' && ref !== null && 'fromStep' in ref;
}

function mergeOptions(base: StepOptions | undefined, own: StepOptions | undefined): RunTechniqueOptions {
  return { ...(base ?? {}), ...(own ?? {}) };
}

/**
 * The checks runTechnique makes on the options each step's runs get (the pipeline's merged with the
 * step's), so a bad option fails before any step is paid for; each problem names where it was set.
 */
function stepOptionProblems(spec: PipelineSpec, step: Step, position: number): SpecProblem[] {
  const own = step.options ?? {};
  return checkRunOptions(mergeOptions(spec.options, step.options)).problems.map((problem) => {
    const field = problem.field.replace(/^options\./, '');
    return {
      path: field in own ? `steps[${position}].options.${field}` : `options.${field}`,
      message: problem.message,
    };
  });
}

/**
 * Every step's option problems, from the spec alone (no schemas needed): what the client and CLI check
 * before a start, with the full bounds of the one option schema (the workflow's spec parse is looser
 * for replay; its plan applies these same checks).
 */
export function checkSpecOptions(spec: PipelineSpec): SpecProblem[] {
  const seen = new Set<string>();
  return spec.steps
    .flatMap((step, position) => stepOptionProblems(spec, step, position))
    .filter((p) => {
      // A problem in the pipeline's own options shows once, not once per step.
      const key = `${p.path}\n${p.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

/** What planning one spec shares: the schemas, the steps by id, and where problems are recorded. */
interface PlanContext {
  spec: PipelineSpec;
  schemas: Record<string, TechniqueInfo>;
  byId: Map<string, { step: Step; position: number }>;
  add: (path: string, message: string) => void;
}

/**
 * The plan, or every problem found. Problems are reported in a fixed order (steps in spec order, each
 * step's checks in the order below, then a cycle), so the same spec always gets the same message.
 */
export function planPipeline(
  spec: PipelineSpec,
  schemas: Record<string, TechniqueInfo>,
): { ok: true; plan: PipelinePlan } | { ok: false; problems: SpecProblem[] } {
  const problems: SpecProblem[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });
  const ctx: PlanContext = { spec, schemas, byId: indexSteps(spec, add), add };
  const planned: PlannedStep[] = [];
  spec.steps.forEach((step, position) => {
    if (ctx.byId.get(step.id)?.position !== position) return; // a duplicate id, reported above
    const plannedStep = planStep(ctx, step, position);
    if (plannedStep) planned.push(plannedStep);
  });
  const order = topologicalOrder(planned, add);
  if (problems.length > 0) return { ok: false, problems };
  const { plannedCostUsd, plannedRuns } = plannedCount(planned);
  const estimate = estimateRuns(ctx, planned, order);
  // A forEach over a step is counted by its producer's declared outputs; lists were checked with the spec.
  if (plannedRuns === undefined && estimate.runs > PipelineLimits.runs)
    return { ok: false, problems: [tooManyRuns(planned, estimate.runs)] };
  return {
    ok: true,
    plan: { name: spec.name, steps: planned, order, plannedCostUsd, plannedRuns, estimate },
  };
}

/** The steps by id; a second step with the same id is a problem (and is left out of the plan). */
function indexSteps(
  spec: PipelineSpec,
  add: PlanContext['add'],
): Map<string, { step: Step; position: number }> {
  const byId = new Map<string, { step: Step; position: number }>();
  spec.steps.forEach((step, position) => {
    if (byId.has(step.id)) add(`steps[${position}].id`, `duplicate step id "${step.id}"`);
    else byId.set(step.id, { step, position });
  });
  return byId;
}

function fanOutOf(ctx: PlanContext, id: string): FanOut {
  const forEach = ctx.byId.get(id)?.step.forEach;
  if (forEach === undefined) return { kind: 'none' };
  return Array.isArray(forEach)
    ? { kind: 'list', items: forEach }
    : { kind: 'step', fromStep: forEach.fromStep };
}

function schemaOf(ctx: PlanContext, stepId: string): TechniqueInfo | undefined {
  const entry = ctx.byId.get(stepId);
  return entry ? ctx.schemas[techniqueKey(entry.step)] : undefined;
}

/**
 * One step planned, its problems recorded: its technique's schema, what it fans out over, its inputs
 * (each checked against its slot) and its options. `undefined` when the step has no schema.
 */
function planStep(ctx: PlanContext, step: Step, position: number): PlannedStep | undefined {
  const at = `steps[${position}]`;
  const key = techniqueKey(step);
  const technique = ctx.schemas[key];
  if (technique === undefined) {
    ctx.add(`${at}.technique`, `no schema for technique "${key}"`);
    return undefined;
  }
  const dependsOn = new Set<string>();
  const fanOut = fanOutOf(ctx, step.id);
  if (fanOut.kind === 'step') {
    if (!ctx.byId.has(fanOut.fromStep))
      ctx.add(`${at}.forEach.fromStep`, `unknown step "${fanOut.fromStep}"`);
    else dependsOn.add(fanOut.fromStep);
  }
  checkInputNames(ctx, step, technique, at);
  const { inputs, usesItem } = planInputs(ctx, step, technique, fanOut, at, dependsOn);
  const options = mergeOptions(ctx.spec.options, step.options);
  for (const problem of stepOptionProblems(ctx.spec, step, position)) ctx.add(problem.path, problem.message);
  if (fanOut.kind !== 'none' && !usesItem) {
    ctx.add(`${at}.forEach`, 'no input of this step uses { "item": true }, so every run would be the same');
  }
  return {
    id: step.id,
    position,
    techniqueKey: key,
    technique,
    target:
      step.technique !== undefined
        ? { technique: step.technique }
        : { techniqueId: step.techniqueId ?? '', workspaceId: step.workspaceId ?? '' },
    dependsOn: [...dependsOn],
    fanOut,
    inputs,
    options,
  };
}

/** Every input the step names must be one of its technique's slots. */
function checkInputNames(ctx: PlanContext, step: Step, technique: TechniqueInfo, at: string): void {
  const slots = new Set(technique.inputs.map((slot) => slot.id));
  for (const id of Object.keys(step.inputs)) {
    if (!slots.has(id)) {
      const known = technique.inputs.map((s) => s.id).join(', ') || '(none)';
      ctx.add(`${at}.inputs.${id}`, `unknown input for ${technique.name}; expected one of: ${known}`);
    }
  }
}

/**
 * Each slot's input, in the schema's order: a literal checked against the slot, the forEach element,
 * or a producer's output (whose step joins `dependsOn`). A missing required input is a problem.
 */
function planInputs(
  ctx: PlanContext,
  step: Step,
  technique: TechniqueInfo,
  fanOut: FanOut,
  at: string,
  dependsOn: Set<string>,
): { inputs: Record<string, PlannedInput>; usesItem: boolean } {
  const inputs: Record<string, PlannedInput> = {};
  let usesItem = false;
  for (const slot of technique.inputs) {
    const path = `${at}.inputs.${slot.id}`;
    const ref = step.inputs[slot.id];
    if (ref === undefined) {
      if (!slot.optional) ctx.add(path, `required ${slot.type} input "${slot.name}" is missing`);
      continue;
    }
    if (typeof ref === 'string') {
      const checked = checkValue(slot, ref);
      if ('problem' in checked) ctx.add(path, checked.problem);
      else inputs[slot.id] = { kind: 'literal', value: checked.value };
      continue;
    }
    if (!isFromStep(ref)) {
      usesItem = true;
      if (fanOut.kind === 'none') {
        ctx.add(path, '{ "item": true } is only allowed in a step with forEach');
        continue;
      }
      checkItems(ctx, fanOut, slot, path);
      inputs[slot.id] = { kind: 'item' };
      continue;
    }
    const resolved = resolveReference(ctx, ref, slot, path, step.id);
    if (resolved) {
      inputs[slot.id] = resolved;
      dependsOn.add(ref.fromStep);
    }
  }
  return { inputs, usesItem };
}

/** The forEach elements (a list's values, or a producer's output types) must fit the slot they feed. */
function checkItems(ctx: PlanContext, fanOut: FanOut, slot: SlotInfo, path: string): void {
  if (fanOut.kind === 'list') {
    fanOut.items.forEach((item, i) => {
      const checked = checkValue(slot, item);
      if ('problem' in checked) ctx.add(`${path} (forEach[${i}])`, checked.problem);
    });
  } else if (fanOut.kind === 'step') {
    const producer = schemaOf(ctx, fanOut.fromStep);
    if (!producer) return;
    const misfits = producer.outputs.filter((o) => !typesFit(o.type, slot.type));
    if (misfits.length > 0) {
      ctx.add(
        path,
        `forEach over step "${fanOut.fromStep}" yields ${misfits.map((o) => `${o.id} (${o.type})`).join(', ')}, but this input expects ${slot.type}`,
      );
    }
  }
}

const describeSlot = (o: SlotInfo) => `${o.id} (${o.type})`;

/**
 * A `{ fromStep, output? }` input: the producer must exist, not be the step itself, and yield one output
 * of the slot's type, picked by index, by id, or as the only output of that type.
 */
function resolveReference(
  ctx: PlanContext,
  ref: FromStep,
  slot: SlotInfo,
  path: string,
  self: string,
): PlannedInput | undefined {
  if (!ctx.byId.has(ref.fromStep)) {
    ctx.add(`${path}.fromStep`, `unknown step "${ref.fromStep}"`);
    return undefined;
  }
  if (ref.fromStep === self) {
    ctx.add(`${path}.fromStep`, `a step cannot use its own output (cycle ${self} → ${self})`);
    return undefined;
  }
  const producer = schemaOf(ctx, ref.fromStep);
  if (!producer) return undefined;
  const fansOut = fanOutOf(ctx, ref.fromStep).kind !== 'none';
  if (typeof ref.output === 'number')
    return outputByIndex(ctx, { fromStep: ref.fromStep, index: ref.output }, producer, fansOut, slot, path);
  if (fansOut) {
    ctx.add(
      path,
      `step "${ref.fromStep}" runs once per forEach element: use forEach: { "fromStep": "${ref.fromStep}" } to run once per output, or pick one with "output": <index>`,
    );
    return undefined;
  }
  if (typeof ref.output === 'string')
    return outputById(ctx, { fromStep: ref.fromStep, id: ref.output }, producer, slot, path);
  return onlyOutputOfType(ctx, ref.fromStep, producer, slot, path);
}

/** `"output": <index>`: the n-th of all the producer's outputs (across its runs when it fans out). */
function outputByIndex(
  ctx: PlanContext,
  ref: { fromStep: string; index: number },
  producer: TechniqueInfo,
  fansOut: boolean,
  slot: SlotInfo,
  path: string,
): PlannedInput | undefined {
  const outputsPerRun = producer.outputs.length;
  if (outputsPerRun === 0) {
    ctx.add(`${path}.output`, `step "${ref.fromStep}" has no outputs`);
    return undefined;
  }
  if (!fansOut && ref.index >= outputsPerRun) {
    ctx.add(
      `${path}.output`,
      `step "${ref.fromStep}" has ${outputsPerRun} output(s); index ${ref.index} is out of range`,
    );
    return undefined;
  }
  const output = producer.outputs[ref.index % outputsPerRun];
  if (output === undefined) return undefined;
  if (!typesFit(output.type, slot.type)) {
    ctx.add(
      path,
      `type mismatch: output ${ref.index} of step "${ref.fromStep}" is ${describeSlot(output)}, but this input expects ${slot.type}`,
    );
    return undefined;
  }
  return { kind: 'output-index', fromStep: ref.fromStep, index: ref.index, type: output.type };
}

/** `"output": "<id>"`: the producer's output of that id, which must fit the slot. */
function outputById(
  ctx: PlanContext,
  ref: { fromStep: string; id: string },
  producer: TechniqueInfo,
  slot: SlotInfo,
  path: string,
): PlannedInput | undefined {
  const output = producer.outputs.find((o) => o.id === ref.id);
  if (!output) {
    ctx.add(
      `${path}.output`,
      `step "${ref.fromStep}" has no output "${ref.id}"; it has ${producer.outputs.map(describeSlot).join(', ') || 'none'}`,
    );
    return undefined;
  }
  if (!typesFit(output.type, slot.type)) {
    ctx.add(
      path,
      `type mismatch: step "${ref.fromStep}" output ${describeSlot(output)} cannot feed this ${slot.type} input`,
    );
    return undefined;
  }
  return { kind: 'output-id', fromStep: ref.fromStep, outputId: output.id, type: output.type };
}

/** No `output`: the producer's one output of the slot's type; none or several is a problem. */
function onlyOutputOfType(
  ctx: PlanContext,
  fromStep: string,
  producer: TechniqueInfo,
  slot: SlotInfo,
  path: string,
): PlannedInput | undefined {
  const fitting = producer.outputs.filter((o) => typesFit(o.type, slot.type));
  if (fitting.length !== 1) {
    ctx.add(
      path,
      fitting.length === 0
        ? `type mismatch: step "${fromStep}" has no ${slot.type} output (it has ${producer.outputs.map(describeSlot).join(', ') || 'none'})`
        : `step "${fromStep}" has several ${slot.type} outputs (${fitting.map((o) => o.id).join(', ')}): choose one with "output"`,
    );
    return undefined;
  }
  const only = fitting[0];
  return only ? { kind: 'output-id', fromStep, outputId: only.id, type: only.type } : undefined;
}

/** The runs and price known up front: undefined as soon as one step runs once per output of another. */
function plannedCount(planned: PlannedStep[]): {
  plannedCostUsd: number | undefined;
  plannedRuns: number | undefined;
} {
  let plannedCostUsd: number | undefined = 0;
  let plannedRuns: number | undefined = 0;
  for (const step of planned) {
    if (step.fanOut.kind === 'step') {
      plannedCostUsd = undefined;
      plannedRuns = undefined;
      break;
    }
    const runs = step.fanOut.kind === 'list' ? step.fanOut.items.length : 1;
    plannedRuns = (plannedRuns ?? 0) + runs;
    plannedCostUsd = (plannedCostUsd ?? 0) + runs * step.technique.runCost;
  }
  if (plannedCostUsd !== undefined) plannedCostUsd = roundUsd(plannedCostUsd);
  return { plannedCostUsd, plannedRuns };
}

/** Runs per step in dependency order, a forEach over a step counted by its producer's declared outputs. */
function estimateRuns(ctx: PlanContext, planned: PlannedStep[], order: string[]): PipelinePlan['estimate'] {
  const runsPerStep: Record<string, number> = {};
  for (const id of order) {
    const step = planned.find((s) => s.id === id);
    if (!step) continue;
    const f = step.fanOut;
    runsPerStep[id] =
      f.kind === 'list'
        ? f.items.length
        : f.kind === 'step'
          ? (runsPerStep[f.fromStep] ?? 0) * (schemaOf(ctx, f.fromStep)?.outputs.length ?? 0)
          : 1;
  }
  return {
    runs: Object.values(runsPerStep).reduce((a, b) => a + b, 0),
    costUsd: roundUsd(planned.reduce((sum, s) => sum + (runsPerStep[s.id] ?? 0) * s.technique.runCost, 0)),
    runsPerStep,
  };
}

function tooManyRuns(planned: PlannedStep[], runs: number): SpecProblem {
  const fanning = planned.find((s) => s.fanOut.kind === 'step');
  return {
    path: fanning ? `steps[${fanning.position}].forEach` : 'steps',
    message: `the pipeline would run about ${runs} runs (from the schemas' declared outputs); at most ${PipelineLimits.runs}`,
  };
}

/** Kahn's algorithm; a cycle is reported with its path. */
function topologicalOrder(steps: PlannedStep[], add: (path: string, message: string) => void): string[] {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const indegree = new Map(steps.map((s) => [s.id, s.dependsOn.filter((d) => byId.has(d)).length]));
  const ready = steps.filter((s) => indegree.get(s.id) === 0).map((s) => s.id);
  const order: string[] = [];
  while (ready.length > 0) {
    const id = ready.shift() as string;
    order.push(id);
    for (const s of steps) {
      if (!s.dependsOn.includes(id)) continue;
      const left = (indegree.get(s.id) ?? 0) - 1;
      indegree.set(s.id, left);
      if (left === 0) ready.push(s.id);
    }
  }
  if (order.length < steps.length) {
    const stuck = steps.filter((s) => !order.includes(s.id));
    const cycle = findCycle(stuck);
    const first = stuck[0];
    add(first ? `steps[${first.position}]` : 'steps', `dependency cycle: ${cycle.join(' → ')}`);
  }
  return order;
}

function findCycle(steps: PlannedStep[]): string[] {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const start = steps[0];
  if (!start) return [];
  const path: string[] = [];
  let current: PlannedStep | undefined = start;
  while (current && !path.includes(current.id)) {
    path.push(current.id);
    current = current.dependsOn.map((d) => byId.get(d)).find((s) => s !== undefined);
  }
  if (!current) return path;
  return [...path.slice(path.indexOf(current.id)), current.id];
}

export function roundUsd(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/** The concrete inputs of one run of a step, from literals, the element and finished producers' outputs. */
export function resolveInputs(
  step: PlannedStep,
  item: string | undefined,
  outputsOf: (stepId: string) => { outputId: string; type: string; url: string }[][],
): { ok: true; inputs: Record<string, InputValue> } | { ok: false; problem: string } {
  const inputs: Record<string, InputValue> = {};
  for (const [id, input] of Object.entries(step.inputs)) {
    switch (input.kind) {
      case 'literal':
        inputs[id] = input.value;
        break;
      case 'item':
        if (item === undefined) return { ok: false, problem: `input ${id}: no forEach element` };
        inputs[id] = item;
        break;
      case 'output-id': {
        const runs = outputsOf(input.fromStep);
        const output = runs[0]?.find((o) => o.outputId === input.outputId);
        if (!output)
          return {
            ok: false,
            problem: `input ${id}: step "${input.fromStep}" produced no output "${input.outputId}"`,
          };
        inputs[id] = { type: output.type, value: output.url };
        break;
      }
      case 'output-index': {
        const all = outputsOf(input.fromStep).flat();
        const output = all[input.index];
        if (!output) {
          return {
            ok: false,
            problem: `input ${id}: step "${input.fromStep}" produced ${all.length} outputs; there is no output ${input.index}`,
          };
        }
        inputs[id] = { type: output.type, value: output.url };
        break;
      }
    }
  }
  return { ok: true, inputs };
}
