/** Finding one of our workflows in Temporal and asking it for its progress: shared by status, watch and cancel. */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { PipelineProgress } from '../pipelines/types';
import { progressQuery, statusQuery } from '../workflows';
import type { RunTechniqueStatus } from '../workflows/types';
import { connectCli } from './connect';
import { CliError, type CliIo } from './support';

export type OurWorkflowType = 'runTechnique' | 'runPipeline';

export async function withClient<T>(io: CliIo, fn: (client: Client) => Promise<T>): Promise<T> {
  const { client, close } = await connectCli(io);
  try {
    return await fn(client);
  } finally {
    await close();
  }
}

export async function describeOrExplain(client: Client, workflowId: string) {
  try {
    return await client.workflow.getHandle(workflowId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError)
      throw new CliError(`no workflow with id ${workflowId} in this namespace`, 1, 'not_found');
    throw err;
  }
}

export function ensureOurs(type: string, workflowId: string): OurWorkflowType {
  if (type === 'runTechnique' || type === 'runPipeline') return type;
  throw new CliError(`workflow ${workflowId} is a ${type}, not a flora-temporal run or pipeline`);
}

/** The workflow's own view (the status or progress query), or undefined when no worker answers. */
export async function queryProgress(
  client: Client,
  workflowId: string,
  type: OurWorkflowType,
): Promise<RunTechniqueStatus | PipelineProgress | undefined> {
  const handle = client.workflow.getHandle(workflowId);
  try {
    return type === 'runTechnique' ? await handle.query(statusQuery) : await handle.query(progressQuery);
  } catch {
    return undefined;
  }
}
