import { readFile } from 'node:fs/promises';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { parse as parseYaml } from 'yaml';
import { describeSpecProblems, parsePipelineSpec, type PipelineSpecInput } from '../pipelines/spec';
import { runPipeline } from '../workflows';

export class InvalidPipelineError extends Error {
  override readonly name = 'InvalidPipelineError';
}

/** Reads a pipeline spec from a `.json`, `.yaml` or `.yml` file and checks its shape. */
export async function loadPipelineFile(path: string): Promise<PipelineSpecInput> {
  const text = await readFile(path, 'utf8');
  let value: unknown;
  try {
    value = /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new InvalidPipelineError(`${path} is not valid ${/\.ya?ml$/i.test(path) ? 'YAML' : 'JSON'}: ${(err as Error).message}`);
  }
  const parsed = parsePipelineSpec(value);
  if (!parsed.ok) throw new InvalidPipelineError(`${path}: ${describeSpecProblems(parsed.problems)}`);
  return value as PipelineSpecInput;
}

export interface StartPipelineOptions {
  /** @default 'flora' */
  taskQueue?: string;
  /** A running workflow with this id is attached to instead of failing. @default `pipeline-<name>-<uuid>` */
  workflowId?: string;
}

/** Starts `runPipeline` after checking the spec's shape (schemas, types and budget are checked by the workflow). */
export async function startPipeline(
  client: Client,
  spec: PipelineSpecInput,
  options: StartPipelineOptions = {},
): Promise<WorkflowHandle<typeof runPipeline>> {
  const parsed = parsePipelineSpec(spec);
  if (!parsed.ok) throw new InvalidPipelineError(describeSpecProblems(parsed.problems));
  const slug = parsed.spec.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'pipeline';
  const { taskQueue = 'flora', workflowId = `pipeline-${slug}-${crypto.randomUUID()}` } = options;
  return client.workflow.start(runPipeline, {
    taskQueue,
    workflowId,
    args: [{ spec }],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
}
