/** `flora-temporal pipeline run <file>` (also `pipeline <file>`): start a pipeline, optionally wait and download. */
import type { Command } from 'commander';
import type * as Plan from '../../pipelines/plan';
import type * as Spec from '../../pipelines/spec';
import type * as Structure from '../../pipelines/structure';
import type { PipelineResult } from '../../pipelines/types';
import type * as Workflows from '../../workflows';
import type * as Pipelines from '../../client/pipelines';
import type * as Connect from '../connect';
import type * as FollowStart from '../follow-start';
import type * as TechniqueCheck from '../technique-check';
import { fastPollingAllowedByEnv } from '../../client/polling';
import { describePipelineResult } from '../describe';
import { prepareDownloadDir } from '../download-target';
import { loadPipelineSpec } from '../pipeline-file';
import { renderPipelineProgress } from '../progress';
import { waitFlags, workflowIdFlags } from '../start-flags';
import { CliError, ExitCode, type CliContext, type CliIo } from '../support';

export interface PipelineRunOpts {
  workflowId?: string;
  rerun?: boolean;
  resume?: boolean;
  wait?: boolean;
  download?: string;
  overwrite?: boolean;
  json?: boolean;
}

export function registerPipelineRun(pipeline: Command, { io, outcome }: CliContext): void {
  const command = pipeline
    // The default subcommand: `pipeline <file>` keeps working as it did before `run` existed.
    .command('run <file>', { isDefault: true })
    .description('start a pipeline');
  for (const option of workflowIdFlags()) command.addOption(option);
  command.option(
    '--resume',
    'with --workflow-id: start that closed pipeline again, reusing every completed step whose request is unchanged (only the rest is billed)',
  );
  for (const option of waitFlags(
    'with --wait: save every step’s outputs in dir (new or empty), with a manifest',
  ))
    command.addOption(option);
  command.action(async (file: string, opts: PipelineRunOpts) => {
    outcome.exitCode = await pipelineRunCommand(file, opts, io);
  });
}

export async function pipelineRunCommand(file: string, opts: PipelineRunOpts, io: CliIo): Promise<number> {
  checkFlagCombinations(opts);
  const spec = await loadPipelineSpec(file);
  await precheckPipeline(spec, io);
  // Before anything is started or paid for: a bad directory is found now, not after the pipeline.
  if (opts.download !== undefined) await prepareDownloadDir(opts.download, opts.overwrite ?? false);
  // Loaded on use, so `--help` and the other commands do not pay for them.
  const { connectCli } = require('../connect') as typeof Connect;
  const { startPipeline } = require('../../client/pipelines') as typeof Pipelines;
  const { progressQuery } = require('../../workflows') as typeof Workflows;
  const { client, settings, close } = await connectCli(io);
  try {
    const handle = await startPipeline(client, spec, {
      taskQueue: settings.taskQueue,
      workflowId: opts.workflowId,
      rerun: opts.rerun ?? false,
      resume: opts.resume ?? false,
      allowFastPolling: fastPollingAllowedByEnv(io.env),
    });
    const { followStart } = require('../follow-start') as typeof FollowStart;
    return await followStart<PipelineResult>({
      client,
      taskQueue: settings.taskQueue,
      what: 'pipeline',
      workflowId: handle.workflowId,
      start: handle.start,
      result: () => handle.result(),
      opts,
      io,
      saver: (save) => save.savePipelineOutputs,
      progress: async () => renderPipelineProgress(await handle.query(progressQuery)),
      describe: describePipelineResult,
      exitCode: (result) => (result.status === 'completed' ? ExitCode.Ok : ExitCode.Partial),
    });
  } finally {
    await close();
  }
}

/** Flags that make no sense together are refused before the file is even read. */
function checkFlagCombinations(opts: PipelineRunOpts): void {
  if (opts.resume && opts.workflowId === undefined)
    throw new CliError('--resume needs --workflow-id: the pipeline to resume');
  if (opts.resume && opts.rerun)
    throw new CliError('--resume and --rerun are exclusive: --resume reuses paid steps');
  if (opts.download !== undefined && !opts.wait)
    throw new CliError('--download needs --wait: outputs exist only once the pipeline completes');
}

/**
 * What can be refused before starting: a cycle or a step reference to nowhere (always), and a technique
 * FLORA does not know (with FLORA_API_KEY set), so a start never leaves a workflow that can only fail.
 */
async function precheckPipeline(spec: unknown, io: CliIo): Promise<void> {
  const { parsePipelineSpec } = require('../../pipelines/spec') as typeof Spec;
  const { structureProblems } = require('../../pipelines/structure') as typeof Structure;
  const { techniqueKeys } = require('../../pipelines/plan') as typeof Plan;
  const { checkTechniquesKnown } = require('../technique-check') as typeof TechniqueCheck;
  const parsed = parsePipelineSpec(spec);
  if (!parsed.ok) return; // startPipeline names every problem
  const problems = structureProblems(parsed.spec);
  if (problems.length > 0)
    throw new CliError(
      `invalid pipeline: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}; nothing was started`,
      1,
      'invalid_request',
    );
  await checkTechniquesKnown(techniqueKeys(parsed.spec), io);
}
