/**
 * `flora-temporal download <workflowId> <dir>`: saves the outputs of a completed run or pipeline (again),
 * e.g. after `--download` failed on a network error, or when it was not asked for. Files already in
 * dir with the same URL and sha256 are kept, not fetched again. FLORA's URLs expire: do it soon.
 */
import type { Command } from 'commander';
import type { PipelineResult } from '../../pipelines/types';
import type { RunTechniqueResult } from '../../workflows/types';
import type * as WorkflowAccess from '../workflow-access';
import type * as SaveOutputs from '../save-outputs';
import { prepareDownloadDir } from '../download-target';
import { CliError, ExitCode, json, type CliContext, type CliIo } from '../support';

export interface DownloadOpts {
  overwrite?: boolean;
  json?: boolean;
}

export function registerDownload(program: Command, { io, outcome }: CliContext): void {
  program
    .command('download <workflowId> <dir>')
    .description("save a completed run's or pipeline's outputs in dir (new or empty), with a manifest")
    .option('--overwrite', 'use a directory that is not empty (same names are replaced, saved files kept)')
    .option('--json', 'print { workflowId, dir, downloads } as JSON')
    .action(async (workflowId: string, dir: string, opts: DownloadOpts) => {
      outcome.exitCode = await downloadCommand(workflowId, dir, opts, io);
    });
}

export async function downloadCommand(
  workflowId: string,
  dir: string,
  opts: DownloadOpts,
  io: CliIo,
): Promise<number> {
  const { withClient, describeOrExplain, ensureOurs } =
    require('../workflow-access') as typeof WorkflowAccess;
  const { savePipelineOutputs, saveRunOutputs, withDownloads } =
    require('../save-outputs') as typeof SaveOutputs;
  await prepareDownloadDir(dir, opts.overwrite ?? false, '<dir>');
  return withClient(io, async (client) => {
    const description = await describeOrExplain(client, workflowId);
    const type = ensureOurs(description.type, workflowId);
    const status = description.status.name;
    if (status === 'RUNNING')
      throw new CliError(
        `workflow ${workflowId} is still running; wait for it and save its outputs with: ` +
          `flora-temporal watch ${workflowId} --download ${dir}`,
        1,
        'not_completed',
      );
    if (status !== 'COMPLETED')
      throw new CliError(
        `workflow ${workflowId} is ${status.toLowerCase().replace('_', ' ')}; it has no outputs to save ` +
          `(see flora-temporal status ${workflowId})`,
        1,
        'not_completed',
      );
    const result = (await client.workflow.getHandle(workflowId).result()) as
      RunTechniqueResult | PipelineResult;
    const saved =
      type === 'runTechnique'
        ? await withDownloads(dir, saveRunOutputs, io, workflowId)(result as RunTechniqueResult)
        : await withDownloads(dir, savePipelineOutputs, io, workflowId)(result as PipelineResult);
    if (opts.json) io.stdout(json({ workflowId, dir, downloads: saved.downloads }));
    else for (const d of saved.downloads) io.stdout(`${d.file}  ${d.contentType}  ${d.bytes} bytes\n`);
    return ExitCode.Ok;
  });
}
