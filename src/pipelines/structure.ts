/**
 * The checks a pipeline spec allows without any technique schema: every `fromStep` names a step, and the
 * steps have no dependency cycle. The CLI runs them before starting a pipeline when FLORA cannot be
 * asked (planPipeline does the same and more once the schemas are known). Pure: safe anywhere.
 */
import type { PipelineSpec } from './spec';

export interface StructureProblem {
  path: string;
  message: string;
}

/** The steps each step reads from: `forEach: { fromStep }` and `{ fromStep }` inputs. */
function dependencies(step: PipelineSpec['steps'][number], at: string): { id: string; path: string }[] {
  const deps: { id: string; path: string }[] = [];
  const forEach = step.forEach;
  if (forEach !== undefined && !Array.isArray(forEach))
    deps.push({ id: forEach.fromStep, path: `${at}.forEach.fromStep` });
  for (const [input, value] of Object.entries(step.inputs)) {
    if (typeof value === 'object' && value !== null && 'fromStep' in value)
      deps.push({ id: value.fromStep, path: `${at}.inputs.${input}.fromStep` });
  }
  return deps;
}

export function structureProblems(spec: PipelineSpec): StructureProblem[] {
  const problems: StructureProblem[] = [];
  const ids = new Set(spec.steps.map((s) => s.id));
  const edges = new Map<string, string[]>();
  spec.steps.forEach((step, position) => {
    const at = `steps[${position}]`;
    const deps = dependencies(step, at);
    for (const dep of deps)
      if (!ids.has(dep.id)) problems.push({ path: dep.path, message: `unknown step "${dep.id}"` });
    edges.set(step.id, [...(edges.get(step.id) ?? []), ...deps.map((d) => d.id).filter((id) => ids.has(id))]);
  });
  // Depth-first search: a step met again while its own dependencies are being walked closes a cycle.
  const state = new Map<string, 'walking' | 'done'>();
  const path: string[] = [];
  const walk = (id: string): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'walking') return [...path.slice(path.indexOf(id)), id];
    state.set(id, 'walking');
    path.push(id);
    for (const dep of edges.get(id) ?? []) {
      const cycle = walk(dep);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const [position, step] of spec.steps.entries()) {
    const cycle = walk(step.id);
    if (cycle) {
      // Printed in the direction data flows: producer → consumer.
      problems.push({
        path: `steps[${position}]`,
        message: `dependency cycle: ${cycle.reverse().join(' → ')}`,
      });
      break;
    }
  }
  return problems;
}
