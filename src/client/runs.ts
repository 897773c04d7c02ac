import type { Client, WorkflowHandle } from '@temporalio/client';
import { runTechnique, statusQuery } from '../workflows';
import type { RunTechniqueInput, RunTechniqueResult, RunTechniqueStatus } from '../workflows/types';
import { searchAttributesRegistered } from '../temporal/search-attributes';
import { FloraTechniqueKey } from '../workflows/search-attributes';
import { checkRequest, describeProblems } from '../workflows/validation';

export interface StartRunOptions {
  /** Temporal task queue of the flora-temporal workers. @default 'flora' */
  taskQueue?: string;
  /** Workflow id; a running workflow with this id is attached to instead of failing. @default a random id */
  workflowId?: string;
}

export class InvalidRunRequestError extends Error {
  override readonly name = 'InvalidRunRequestError';
}

/**
 * Starts `runTechnique` (or attaches to the running workflow with the same id). The request's shape and
 * options are checked here first, so obvious mistakes fail before anything reaches Temporal; the
 * workflow checks the inputs against the technique schema before creating anything.
 */
export async function startTechniqueRun(
  client: Client,
  input: RunTechniqueInput,
  options: StartRunOptions = {},
): Promise<WorkflowHandle<typeof runTechnique>> {
  const { taskQueue = 'flora', workflowId = `flora-run-${crypto.randomUUID()}` } = options;
  const checked = checkRequest(input);
  if (!checked.ok) throw new InvalidRunRequestError(describeProblems(checked.problems));
  const searchable = await searchAttributesRegistered(
    client.connection.operatorService,
    client.options.namespace,
  );
  const technique = input.technique ?? input.techniqueId ?? '';
  return client.workflow.start(runTechnique, {
    taskQueue,
    workflowId,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    memo: { technique },
    ...(searchable ? { typedSearchAttributes: [{ key: FloraTechniqueKey, value: technique }] } : {}),
  });
}

export async function runStatus(handle: WorkflowHandle): Promise<RunTechniqueStatus> {
  return handle.query(statusQuery);
}

export type { RunTechniqueInput, RunTechniqueResult, RunTechniqueStatus };
