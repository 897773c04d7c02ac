/** `status`, `watch`, `cancel` and `runs list`: following and steering workflows that already exist. */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { PipelineProgress, PipelineResult } from '../pipelines/types';
import { progressQuery, statusQuery } from '../workflows';
import type { RunTechniqueResult, RunTechniqueStatus } from '../workflows/types';
import { awaitWorkflow, CliError, ExitCode, json, table, type CliIo } from './cli-support';
import { connectFromEnv } from './connection';
import { FloraWorkflows } from './flora-workflows';
import { renderPipelineProgress, renderRunStatus } from './progress';
import { describePipelineResult, describeRunResult } from './describe';

async function withClient<T>(io: CliIo, fn: (client: Client) => Promise<T>): Promise<T> {
  const { client, close } = await connectFromEnv(io.env);
  try {
    return await fn(client);
  } finally {
    await close();
  }
}

async function describeOrExplain(client: Client, workflowId: string) {
  try {
    return await client.workflow.getHandle(workflowId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError)
      throw new CliError(`no workflow with id ${workflowId} in this namespace`);
    throw err;
  }
}

function ensureOurs(type: string, workflowId: string): 'runTechnique' | 'runPipeline' {
  if (type === 'runTechnique' || type === 'runPipeline') return type;
  throw new CliError(`workflow ${workflowId} is a ${type}, not a flora-temporal run or pipeline`);
}

/** The workflow's own view (the status or progress query), or undefined when no worker answers. */
async function queryProgress(
  client: Client,
  workflowId: string,
  type: 'runTechnique' | 'runPipeline',
): Promise<RunTechniqueStatus | PipelineProgress | undefined> {
  const handle = client.workflow.getHandle(workflowId);
  try {
    return type === 'runTechnique' ? await handle.query(statusQuery) : await handle.query(progressQuery);
  } catch {
    return undefined;
  }
}

export async function statusCommand(
  workflowId: string,
  opts: { json?: boolean },
  io: CliIo,
): Promise<number> {
  return withClient(io, async (client) => {
    const description = await describeOrExplain(client, workflowId);
    const type = ensureOurs(description.type, workflowId);
    const progress = await queryProgress(client, workflowId, type);
    const temporalStatus = description.status.name;
    if (opts.json) {
      io.stdout(
        json({
          workflowId,
          type,
          runId: description.runId,
          temporalStatus,
          startTime: description.startTime,
          closeTime: description.closeTime ?? null,
          progress: progress ?? null,
        }),
      );
      return ExitCode.Ok;
    }
    io.stdout(`${workflowId} (${type}): ${temporalStatus}, started ${description.startTime.toISOString()}\n`);
    if (progress === undefined) io.stdout('  (no worker answered the progress query)\n');
    else {
      const lines =
        type === 'runTechnique'
          ? renderRunStatus(progress as RunTechniqueStatus)
          : renderPipelineProgress(progress as PipelineProgress);
      io.stdout(`${lines.map((l) => `  ${l}`).join('\n')}\n`);
      const note = (progress as { note?: string }).note;
      if (note && type === 'runTechnique') io.stdout(`  ${note}\n`);
    }
    return ExitCode.Ok;
  });
}

/** Follows a workflow until it closes, with live progress on stderr; then prints its result like `run --wait`. */
export async function watchCommand(workflowId: string, opts: { json?: boolean }, io: CliIo): Promise<number> {
  return withClient(io, async (client) => {
    const description = await describeOrExplain(client, workflowId);
    const type = ensureOurs(description.type, workflowId);
    const handle = client.workflow.getHandle(workflowId);
    if (type === 'runTechnique') {
      return awaitWorkflow<RunTechniqueResult>({
        workflowId,
        result: () => handle.result() as Promise<RunTechniqueResult>,
        progress: async () => renderRunStatus(await handle.query(statusQuery)),
        describe: describeRunResult,
        exitCode: () => ExitCode.Ok,
        json: opts.json ?? false,
        io,
      });
    }
    return awaitWorkflow<PipelineResult>({
      workflowId,
      result: () => handle.result() as Promise<PipelineResult>,
      progress: async () => renderPipelineProgress(await handle.query(progressQuery)),
      describe: describePipelineResult,
      exitCode: (r) => (r.status === 'completed' ? ExitCode.Ok : ExitCode.Partial),
      json: opts.json ?? false,
      io,
    });
  });
}

export async function cancelCommand(
  workflowId: string,
  opts: { json?: boolean },
  io: CliIo,
): Promise<number> {
  return withClient(io, async (client) => {
    const description = await describeOrExplain(client, workflowId);
    ensureOurs(description.type, workflowId);
    if (description.status.name !== 'RUNNING') {
      throw new CliError(
        `workflow ${workflowId} is already ${description.status.name.toLowerCase()}; nothing to cancel`,
      );
    }
    await client.workflow.getHandle(workflowId).cancel();
    if (opts.json) io.stdout(json({ workflowId, cancelRequested: true }));
    else
      io.stdout(
        `cancellation requested for ${workflowId}; FLORA has no cancel, so runs already created keep going there\n`,
      );
    return ExitCode.Ok;
  });
}

export interface RunsListOpts {
  limit: number;
  json?: boolean;
  technique?: string;
  runId?: string;
  pipeline?: string;
  status?: string;
}

/** Our workflows from Temporal's visibility, newest first, optionally by technique, FLORA run id or pipeline. */
export async function runsListCommand(opts: RunsListOpts, io: CliIo): Promise<number> {
  return withClient(io, async (client) => {
    const view = await new FloraWorkflows(client).listRuns({
      limit: opts.limit,
      technique: opts.technique,
      floraRunId: opts.runId,
      pipeline: opts.pipeline,
      status: opts.status,
    });
    if (opts.json) io.stdout(json(view));
    else if (view.length === 0) io.stderr('no flora-temporal workflows found\n');
    else {
      io.stdout(
        table([
          ['WORKFLOW ID', 'TYPE', 'STATUS', 'STARTED', 'TECHNIQUE/PIPELINE', 'FLORA RUNS'],
          ...view.map((r) => [
            r.workflowId,
            r.type,
            r.status,
            r.startTime,
            r.technique ?? r.pipeline ?? '-',
            r.floraRunIds.join(',') || '-',
          ]),
        ]),
      );
    }
    return ExitCode.Ok;
  });
}
