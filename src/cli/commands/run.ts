/** `flora-temporal run [slug]`: run a technique as a durable workflow. */
import type { Command } from 'commander';
import type { RunTechniqueInput, RunTechniqueResult } from '../../workflows/types';
import type * as Validation from '../../domain/request-check';
import type * as Connect from '../connect';
import type * as TechniqueCheck from '../technique-check';
import type * as Runs from '../../client/runs';
import type * as FollowStart from '../follow-start';
import { describeRunResult } from '../describe';
import { prepareDownloadDir } from '../download-target';
import { collectInput } from '../parse';
import { runOptionFlagOptions, runOptionsFromFlags } from '../run-option-flags';
import { waitFlags, workflowIdFlags } from '../start-flags';
import { renderRunStatus } from '../progress';
import { CliError, ExitCode, type CliContext, type CliIo } from '../support';
import { fastPollingAllowedByEnv } from '../../client/polling';

export interface RunOpts {
  input: Record<string, string>;
  techniqueId?: string;
  workspaceId?: string;
  workflowId?: string;
  rerun?: boolean;
  /** Set by the run-option flags (run-option-flags.ts). */
  attachRunId?: string;
  wait?: boolean;
  download?: string;
  overwrite?: boolean;
  json?: boolean;
}

export function registerRun(program: Command, { io, outcome }: CliContext): void {
  const command = program
    .command('run [slug]')
    .description('run a technique as a durable workflow')
    .option('-i, --input <id=value>', 'an input (repeatable)', collectInput, {} as Record<string, string>)
    .option('--technique-id <tech_id>', 'run by id on the top-level route (with --workspace-id)')
    .option('--workspace-id <ws_id>', 'workspace for --technique-id');
  for (const option of workflowIdFlags()) command.addOption(option);
  for (const option of waitFlags(
    'with --wait: save the outputs in dir, new or empty (manifest.json has content types and sha256)',
  ))
    command.addOption(option);
  for (const option of runOptionFlagOptions()) command.addOption(option);
  command.action(async (slug: string | undefined, opts: RunOpts) => {
    outcome.exitCode = await runCommand(slug, opts, io);
  });
}

export async function runCommand(slug: string | undefined, opts: RunOpts, io: CliIo): Promise<number> {
  // Loaded on use, so `--help` and the other commands do not pay for them.
  const { checkRequest, describeProblems } = require('../../domain/request-check') as typeof Validation;
  const { connectCli } = require('../connect') as typeof Connect;
  const { InvalidRunRequestError, runStatus, startTechniqueRun } =
    require('../../client/runs') as typeof Runs;

  const options = runOptionsFromFlags(opts);
  const input: RunTechniqueInput = { inputs: opts.input, options };
  if (slug !== undefined) input.technique = slug;
  if (opts.techniqueId !== undefined) input.techniqueId = opts.techniqueId;
  if (opts.workspaceId !== undefined) input.workspaceId = opts.workspaceId;

  const checked = checkRequest(input);
  if (!checked.ok)
    throw new CliError(`invalid run request: ${describeProblems(checked.problems)}`, 1, 'invalid_request');
  if (opts.download !== undefined && !opts.wait)
    throw new CliError('--download needs --wait: outputs exist only once the run completes');
  // A typo'd slug is refused now, with the closest ones, rather than by a workflow that can only fail.
  if (input.technique !== undefined && opts.attachRunId === undefined) {
    const { checkTechniquesKnown } = require('../technique-check') as typeof TechniqueCheck;
    await checkTechniquesKnown([input.technique], io);
  }
  // Before anything is started or paid for: a bad directory is found now, not after the run.
  if (opts.download !== undefined) await prepareDownloadDir(opts.download, opts.overwrite ?? false);

  const { client, settings, close } = await connectCli(io);
  try {
    let handle;
    try {
      handle = await startTechniqueRun(client, input, {
        taskQueue: settings.taskQueue,
        workflowId: opts.workflowId,
        rerun: opts.rerun ?? false,
        allowFastPolling: fastPollingAllowedByEnv(io.env),
      });
    } catch (err) {
      if (err instanceof InvalidRunRequestError)
        throw new CliError(`invalid run request: ${err.message}`, 1, 'invalid_request');
      throw err;
    }
    const started = handle;
    const { followStart } = require('../follow-start') as typeof FollowStart;
    return await followStart<RunTechniqueResult>({
      client,
      taskQueue: settings.taskQueue,
      what: 'workflow',
      workflowId: started.workflowId,
      start: started.start,
      result: () => started.result(),
      opts,
      io,
      saver: (save) => save.saveRunOutputs,
      progress: async () => renderRunStatus(await runStatus(started)),
      describe: describeRunResult,
      exitCode: () => ExitCode.Ok,
    });
  } finally {
    await close();
  }
}
