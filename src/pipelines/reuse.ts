/**
 * The `reuse` field of a resumed pipeline's wire input, read defensively: the workflow keeps only
 * well-formed entries (a malformed one is dropped, and that run is simply created again), so a bad
 * client can never wedge a workflow task. Pure: safe in workflow code.
 */
import type { OutputRef } from '../domain/run-request';
import type { PipelineReuse, ReusedRunInput } from './wire';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isString = (v: unknown): v is string => typeof v === 'string';

function outputOf(v: unknown): OutputRef | undefined {
  if (!isObject(v) || !isString(v.outputId) || !isString(v.type) || !isString(v.url)) return undefined;
  return { outputId: v.outputId, type: v.type, url: v.url };
}

function runOf(v: unknown): ReusedRunInput | undefined {
  if (!isObject(v) || !isString(v.runId) || !Array.isArray(v.outputs)) return undefined;
  const { index, chargedUsd } = v;
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0) return undefined;
  if (typeof chargedUsd !== 'number' || !Number.isFinite(chargedUsd) || chargedUsd < 0) return undefined;
  const outputs = v.outputs.map(outputOf);
  if (outputs.some((o) => o === undefined)) return undefined;
  const localFiles = Array.isArray(v.localFiles)
    ? v.localFiles.flatMap((f: unknown) =>
        isObject(f) && isString(f.outputId) && isString(f.file)
          ? [{ outputId: f.outputId, file: f.file }]
          : [],
      )
    : [];
  return {
    index,
    runId: v.runId,
    outputs: outputs as OutputRef[],
    chargedUsd,
    ...(localFiles.length > 0 ? { localFiles } : {}),
  };
}

/** The well-formed part of a wire input's `reuse`, or undefined when there is none. */
export function parseReuse(value: unknown): PipelineReuse | undefined {
  if (!isObject(value) || !isObject(value.from) || !isObject(value.steps)) return undefined;
  const { workflowId, runId } = value.from;
  if (!isString(workflowId) || !isString(runId)) return undefined;
  const steps: Record<string, ReusedRunInput[]> = {};
  for (const [stepId, runs] of Object.entries(value.steps)) {
    if (!Array.isArray(runs)) continue;
    const seen = new Set<number>();
    steps[stepId] = runs.flatMap((r: unknown) => {
      const run = runOf(r);
      if (run === undefined || seen.has(run.index)) return [];
      seen.add(run.index);
      return [run];
    });
  }
  return { from: { workflowId, runId }, steps };
}
