import { readFile } from 'node:fs/promises';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { parse as parseYaml } from 'yaml';
import { describeSpecProblems, parsePipelineSpec, type PipelineSpecInput } from '../pipelines/spec';
import { searchAttributesRegistered } from '../temporal/search-attributes';
import { runPipeline } from '../workflows';
import { FloraPipelineKey } from '../workflows/search-attributes';

export class InvalidPipelineError extends Error {
  override readonly name = 'InvalidPipelineError';
}

/** Reads a `.json`, `.yaml` or `.yml` file as data, without checking it against the spec. */
export async function readSpecFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new InvalidPipelineError(`no such pipeline file: ${path}`);
    throw err;
  }
  const yaml = /\.ya?ml$/i.test(path);
  try {
    return yaml ? (parseYaml(text) as unknown) : (JSON.parse(text) as unknown);
  } catch (err) {
    throw new InvalidPipelineError(
      `${path} is not valid ${yaml ? 'YAML' : 'JSON'}: ${(err as Error).message}`,
    );
  }
}

/** Reads a pipeline spec file and checks its shape. */
export async function loadPipelineFile(path: string): Promise<PipelineSpecInput> {
  const value = await readSpecFile(path);
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
  const slug =
    parsed.spec.name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'pipeline';
  const { taskQueue = 'flora', workflowId = `pipeline-${slug}-${crypto.randomUUID()}` } = options;
  const searchable = await searchAttributesRegistered(
    client.connection.operatorService,
    client.options.namespace,
  );
  return client.workflow.start(runPipeline, {
    taskQueue,
    workflowId,
    args: [{ spec }],
    workflowIdConflictPolicy: 'USE_EXISTING',
    memo: { pipeline: parsed.spec.name },
    ...(searchable ? { typedSearchAttributes: [{ key: FloraPipelineKey, value: parsed.spec.name }] } : {}),
  });
}
