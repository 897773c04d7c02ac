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

export function planPipeline(
  spec: PipelineSpec,
  schemas: Record<string, TechniqueInfo>,
): { ok: true; plan: PipelinePlan } | { ok: false; problems: SpecProblem[] } {
  const problems: SpecProblem[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });
  const byId = new Map<string, { step: Step; position: number }>();
  spec.steps.forEach((step, position) => {
    if (byId.has(step.id)) add(`steps[${position}].id`, `duplicate step id "${step.id}"`);
    else byId.set(step.id, { step, position });
  });
  const fanOutOf = (id: string): FanOut => {
    const forEach = byId.get(id)?.step.forEach;
    if (forEach === undefined) return { kind: 'none' };
    return Array.isArray(forEach)
      ? { kind: 'list', items: forEach }
      : { kind: 'step', fromStep: forEach.fromStep };
  };

  const planned: PlannedStep[] = [];
  spec.steps.forEach((step, position) => {
    if (byId.get(step.id)?.position !== position) return; // a duplicate id, reported above
    const at = `steps[${position}]`;
    const key = techniqueKey(step);
    const technique = schemas[key];
    if (technique === undefined) {
      add(`${at}.technique`, `no schema for technique "${key}"`);
      return;
    }
    const dependsOn = new Set<string>();
    const fanOut = fanOutOf(step.id);
    if (fanOut.kind === 'step') {
      if (!byId.has(fanOut.fromStep)) add(`${at}.forEach.fromStep`, `unknown step "${fanOut.fromStep}"`);
      else dependsOn.add(fanOut.fromStep);
    }

    const slots = new Map(technique.inputs.map((slot) => [slot.id, slot]));
    for (const id of Object.keys(step.inputs)) {
      if (!slots.has(id)) {
        const known = technique.inputs.map((s) => s.id).join(', ') || '(none)';
        add(`${at}.inputs.${id}`, `unknown input for ${technique.name}; expected one of: ${known}`);
      }
    }
    const inputs: Record<string, PlannedInput> = {};
    let usesItem = false;
    for (const slot of technique.inputs) {
      const path = `${at}.inputs.${slot.id}`;
      const ref = step.inputs[slot.id];
      if (ref === undefined) {
        if (!slot.optional) add(path, `required ${slot.type} input "${slot.name}" is missing`);
        continue;
      }
      if (typeof ref === 'string') {
        const checked = checkValue(slot, ref);
        if ('problem' in checked) add(path, checked.problem);
        else inputs[slot.id] = { kind: 'literal', value: checked.value };
        continue;
      }
      if (!isFromStep(ref)) {
        usesItem = true;
        if (fanOut.kind === 'none') {
          add(path, '{ "item": true } is only allowed in a step with forEach');
          continue;
        }
        checkItems(fanOut, slot, path);
        inputs[slot.id] = { kind: 'item' };
        continue;
      }
      const resolved = resolveReference(ref, slot, path, step.id);
      if (resolved) {
        inputs[slot.id] = resolved;
        dependsOn.add(ref.fromStep);
      }
    }
    const options = mergeOptions(spec.options, step.options);
    problems.push(...stepOptionProblems(spec, step, position));
    if (fanOut.kind !== 'none' && !usesItem) {
      add(`${at}.forEach`, 'no input of this step uses { "item": true }, so every run would be the same');
    }
    planned.push({
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
    });
  });

  function checkItems(fanOut: FanOut, slot: SlotInfo, path: string): void {
    if (fanOut.kind === 'list') {
      fanOut.items.forEach((item, i) => {
        const checked = checkValue(slot, item);
        if ('problem' in checked) add(`${path} (forEach[${i}])`, checked.problem);
      });
    } else if (fanOut.kind === 'step') {
      const producer = schemaOf(fanOut.fromStep);
      if (!producer) return;
      const misfits = producer.outputs.filter((o) => !typesFit(o.type, slot.type));
      if (misfits.length > 0) {
        add(
          path,
          `forEach over step "${fanOut.fromStep}" yields ${misfits.map((o) => `${o.id} (${o.type})`).join(', ')}, but this input expects ${slot.type}`,
        );
      }
    }
  }

  function schemaOf(stepId: string): TechniqueInfo | undefined {
    const entry = byId.get(stepId);
    return entry ? schemas[techniqueKey(entry.step)] : undefined;
  }

  function resolveReference(
    ref: FromStep,
    slot: SlotInfo,
    path: string,
    self: string,
  ): PlannedInput | undefined {
    if (!byId.has(ref.fromStep)) {
      add(`${path}.fromStep`, `unknown step "${ref.fromStep}"`);
      return undefined;
    }
    if (ref.fromStep === self) {
      add(`${path}.fromStep`, `a step cannot use its own output (cycle ${self} → ${self})`);
      return undefined;
    }
    const producer = schemaOf(ref.fromStep);
    if (!producer) return undefined;
    const fansOut = fanOutOf(ref.fromStep).kind !== 'none';
    const describe = (o: SlotInfo) => `${o.id} (${o.type})`;
    if (typeof ref.output === 'number') {
      const outputsPerRun = producer.outputs.length;
      if (outputsPerRun === 0) {
        add(`${path}.output`, `step "${ref.fromStep}" has no outputs`);
        return undefined;
      }
      if (!fansOut && ref.output >= outputsPerRun) {
        add(
          `${path}.output`,
          `step "${ref.fromStep}" has ${outputsPerRun} output(s); index ${ref.output} is out of range`,
        );
        return undefined;
      }
      const output = producer.outputs[ref.output % outputsPerRun];
      if (output === undefined) return undefined;
      if (!typesFit(output.type, slot.type)) {
        add(
          path,
          `type mismatch: output ${ref.output} of step "${ref.fromStep}" is ${describe(output)}, but this input expects ${slot.type}`,
        );
        return undefined;
      }
      return { kind: 'output-index', fromStep: ref.fromStep, index: ref.output, type: output.type };
    }
    if (fansOut) {
      add(
        path,
        `step "${ref.fromStep}" runs once per forEach element: use forEach: { "fromStep": "${ref.fromStep}" } to run once per output, or pick one with "output": <index>`,
      );
      return undefined;
    }
    if (typeof ref.output === 'string') {
      const output = producer.outputs.find((o) => o.id === ref.output);
      if (!output) {
        add(
          `${path}.output`,
          `step "${ref.fromStep}" has no output "${ref.output}"; it has ${producer.outputs.map(describe).join(', ') || 'none'}`,
        );
        return undefined;
      }
      if (!typesFit(output.type, slot.type)) {
        add(
          path,
          `type mismatch: step "${ref.fromStep}" output ${describe(output)} cannot feed this ${slot.type} input`,
        );
        return undefined;
      }
      return { kind: 'output-id', fromStep: ref.fromStep, outputId: output.id, type: output.type };
    }
    const fitting = producer.outputs.filter((o) => typesFit(o.type, slot.type));
    if (fitting.length !== 1) {
      add(
        path,
        fitting.length === 0
          ? `type mismatch: step "${ref.fromStep}" has no ${slot.type} output (it has ${producer.outputs.map(describe).join(', ') || 'none'})`
          : `step "${ref.fromStep}" has several ${slot.type} outputs (${fitting.map((o) => o.id).join(', ')}): choose one with "output"`,
      );
      return undefined;
    }
    const only = fitting[0];
    return only
      ? { kind: 'output-id', fromStep: ref.fromStep, outputId: only.id, type: only.type }
      : undefined;
  }

  const order = topologicalOrder(planned, add);
  if (problems.length > 0) return { ok: false, problems };

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
  const runsPerStep: Record<string, number> = {};
  for (const id of order) {
    const step = planned.find((s) => s.id === id);
    if (!step) continue;
    const f = step.fanOut;
    runsPerStep[id] =
      f.kind === 'list'
        ? f.items.length
        : f.kind === 'step'
          ? (runsPerStep[f.fromStep] ?? 0) * (schemaOf(f.fromStep)?.outputs.length ?? 0)
          : 1;
  }
  const estimate = {
    runs: Object.values(runsPerStep).reduce((a, b) => a + b, 0),
    costUsd: roundUsd(planned.reduce((sum, s) => sum + (runsPerStep[s.id] ?? 0) * s.technique.runCost, 0)),
    runsPerStep,
  };
  // A forEach over a step is counted by its producer's declared outputs; lists were checked with the spec.
  if (plannedRuns === undefined && estimate.runs > PipelineLimits.runs) {
    const fanning = planned.find((s) => s.fanOut.kind === 'step');
    return {
      ok: false,
      problems: [
        {
          path: fanning ? `steps[${fanning.position}].forEach` : 'steps',
          message: `the pipeline would run about ${estimate.runs} runs (from the schemas' declared outputs); at most ${PipelineLimits.runs}`,
        },
      ],
    };
  }
  return {
    ok: true,
    plan: { name: spec.name, steps: planned, order, plannedCostUsd, plannedRuns, estimate },
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
