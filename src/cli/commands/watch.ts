/** `flora-temporal watch <workflowId>`: follow a run or pipeline until it ends, then print its result. */
import type { Command } from 'commander';
import type { PipelineResult } from '../../pipelines/types';
import type { RunTechniqueResult } from '../../workflows/types';
import type * as AwaitWorkflow from '../await-workflow';
import type * as WorkflowAccess from '../workflow-access';
import type * as Workflows from '../../workflows';
import type * as SaveOutputs from '../save-outputs';
import { prepareDownloadDir } from '../download-target';
import { describePipelineResult, describeRunResult } from '../describe';
import { renderPipelineProgress, renderRunStatus } from '../progress';
import { ExitCode, type CliContext, type CliIo } from '../support';

export function registerWatch(program: Command, { io, outcome }: CliContext): void {
  program
    .command('watch <workflowId>')
    .description('follow a run or pipeline with live progress (stderr) until it ends, then print its result')
    .option('--download <dir>', 'once it completes, save its outputs in dir (new or empty), with a manifest')
    .option('--overwrite', 'with --download: use a directory that is not empty (same names are replaced)')
    .option('--json', 'print the result (or failure) as JSON on stdout')
    .action(async (workflowId: string, opts: WatchOpts) => {
      outcome.exitCode = await watchCommand(workflowId, opts, io);
    });
}

export interface WatchOpts {
  json?: boolean;
  download?: string;
  overwrite?: boolean;
}

/** Follows a workflow until it closes, with live progress on stderr; then prints its result like `run --wait`. */
export async function watchCommand(workflowId: string, opts: WatchOpts, io: CliIo): Promise<number> {
  if (opts.download !== undefined) await prepareDownloadDir(opts.download, opts.overwrite ?? false);
  // Loaded on use: the Temporal client is heavy and `--help` must stay fast.
  const { withClient, describeOrExplain, ensureOurs } =
    require('../workflow-access') as typeof WorkflowAccess;
  const { awaitWorkflow } = require('../await-workflow') as typeof AwaitWorkflow;
  const { progressQuery, statusQuery } = require('../../workflows') as typeof Workflows;
  return withClient(io, async (client) => {
    const description = await describeOrExplain(client, workflowId);
    const type = ensureOurs(description.type, workflowId);
    const handle = client.workflow.getHandle(workflowId);
    const { savePipelineOutputs, saveRunOutputs, withDownloads } =
      require('../save-outputs') as typeof SaveOutputs;
    const dir = opts.download;
    if (type === 'runTechnique') {
      return awaitWorkflow<RunTechniqueResult>({
        ...(dir === undefined ? {} : { finish: withDownloads(dir, saveRunOutputs, io, workflowId) }),
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
      ...(dir === undefined ? {} : { finish: withDownloads(dir, savePipelineOutputs, io, workflowId) }),
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
