/** Human-readable renderings of techniques and results for the CLI's stdout. */
import type { Technique } from '../flora/schemas';
import type { PipelineResult } from '../pipelines/types';
import type { RunTechniqueResult } from '../workflows/types';
import { count, usd } from './format';
import { table } from './support';

export function describeTechnique(t: Technique): string {
  const slots = (label: string, list: Technique['inputs']) =>
    list.length === 0
      ? `${label}: none\n`
      : `${label}:\n` +
        table(
          list.map((s) => [`  ${s.id}`, s.type, s.optional ? 'optional' : 'required', s.name ?? '']),
        ).replace(/\n$/, '') +
        '\n';
  return (
    `${t.name} (${t.slug ?? t.technique_id}, ${t.technique_id})\n` +
    (t.description ? `${t.description}\n` : '') +
    `Price: ${t.run_cost == null ? 'unknown' : usd(t.run_cost)} per run\n` +
    slots('Inputs', t.inputs) +
    slots('Outputs', t.outputs)
  );
}

export function describeRunResult(r: RunTechniqueResult): string {
  const lines = [
    `completed: ${r.technique.name} run ${r.runId} (workflow ${r.workflowId})`,
    `charged ${usd(r.chargedCost)}, ${count(r.attempts, 'run attempt')}, ${count(r.polls, 'poll')}`,
    ...r.outputs.map((o) => `  ${o.outputId} (${o.type}): ${o.url}`),
  ];
  return `${lines.join('\n')}\n`;
}

export function describePipelineResult(r: PipelineResult): string {
  const steps = Object.entries(r.steps);
  const notCompleted = steps
    .filter(([, s]) => s.status !== 'completed')
    .map(([id, s]) => `${id} ${s.status}`);
  const lines = [
    `${r.status}: pipeline ${r.name} (workflow ${r.workflowId}) in ${(r.timings.durationMs / 1000).toFixed(1)} s, ${usd(r.ledger.chargedUsd)} charged` +
      (notCompleted.length > 0
        ? `; ${steps.length - notCompleted.length} of ${steps.length} steps completed (${notCompleted.join(', ')})`
        : ''),
  ];
  for (const [id, step] of steps) {
    // A step that did not complete says why: its skip reason, or each failed run's error.
    const failedRuns = step.runs.filter((run) => run.error !== undefined);
    const reason =
      step.skippedReason ??
      (failedRuns.length === 1 && step.runs.length === 1 && failedRuns[0]?.error
        ? `${failedRuns[0].error.type}: ${failedRuns[0].error.message}`
        : undefined);
    lines.push(`  ${id} (${step.technique.name}): ${step.status}${reason ? ` (${reason})` : ''}`);
    if (reason === undefined || step.runs.length > 1)
      for (const run of failedRuns)
        lines.push(
          `    run ${run.index}${run.item === undefined ? '' : ` (${run.item})`} ${run.phase}: ${run.error?.type}: ${run.error?.message}`,
        );
    for (const o of step.outputs) lines.push(`    ${o.outputId} (${o.type}): ${o.url}`);
  }
  return `${lines.join('\n')}\n`;
}
