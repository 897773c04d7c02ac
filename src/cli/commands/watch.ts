/** `flora-temporal watch <workflowId>`: follow a run or pipeline until it ends, then print its result. */
import type { Command } from 'commander';
import type { PipelineResult } from '../../pipelines/types';
import type { RunTechniqueResult } from '../../workflows/types';
import type * as AwaitWorkflow from '../await-workflow';
import type * as WorkflowAccess from '../workflow-access';
import type * as Workflows from '../../workflows';
import { describePipelineResult, describeRunResult } from '../describe';
import { renderPipelineProgress, renderRunStatus } from '../progress';
import { ExitCode, type CliContext, type CliIo } from '../support';

export function registerWatch(program: Command, { io, outcome }: CliContext): void {
  program
    .command('watch <workflowId>')
    .description('follow a run or pipeline with live progress (stderr) until it ends, then print its result')
    .option('--json', 'print the result (or failure) as JSON on stdout')
    .action(async (workflowId: string, opts: { json?: boolean }) => {
      outcome.exitCode = await watchCommand(workflowId, opts, io);
    });
}

/** Follows a workflow until it closes, with live progress on stderr; then prints its result like `run --wait`. */
export async function watchCommand(workflowId: string, opts: { json?: boolean }, io: CliIo): Promise<number> {
  // Loaded on use: the Temporal client is heavy and `--help` must stay fast.
  const { withClient, describeOrExplain, ensureOurs } =
    require('../workflow-access') as typeof WorkflowAccess;
  const { awaitWorkflow } = require('../await-workflow') as typeof AwaitWorkflow;
  const { progressQuery, statusQuery } = require('../../workflows') as typeof Workflows;
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
        workers: { client, taskQueue: description.taskQueue },
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
      workers: { client, taskQueue: description.taskQueue },
    });
  });
}
