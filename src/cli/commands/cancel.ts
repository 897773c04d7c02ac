/** `flora-temporal cancel <workflowId>`: request cancellation of a run or pipeline. */
import type { Command } from 'commander';
import type * as WorkflowAccess from '../workflow-access';
import { CliError, ExitCode, json, type CliContext, type CliIo } from '../support';

export function registerCancel(program: Command, { io, outcome }: CliContext): void {
  program
    .command('cancel <workflowId>')
    .description('cancel a run or pipeline (FLORA runs already created keep going: FLORA has no cancel)')
    .option('--json', 'print JSON')
    .action(async (workflowId: string, opts: { json?: boolean }) => {
      outcome.exitCode = await cancelCommand(workflowId, opts, io);
    });
}

export async function cancelCommand(
  workflowId: string,
  opts: { json?: boolean },
  io: CliIo,
): Promise<number> {
  // Loaded on use: the Temporal client is heavy and `--help` must stay fast.
  const { withClient, describeOrExplain, ensureOurs } =
    require('../workflow-access') as typeof WorkflowAccess;
  return withClient(io, async (client) => {
    const description = await describeOrExplain(client, workflowId);
    ensureOurs(description.type, workflowId);
    if (description.status.name !== 'RUNNING') {
      throw new CliError(
        `workflow ${workflowId} is already ${description.status.name.toLowerCase()}; nothing to cancel`,
        1,
        'not_running',
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
