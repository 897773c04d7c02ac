/** `flora-temporal pipeline raise-budget <workflowId> <usd>`: more room for a pipeline waiting on its budget. */
import { InvalidArgumentError, type Command } from 'commander';
import type * as FloraWorkflowsModule from '../../client/flora-workflows';
import type * as WorkflowAccess from '../workflow-access';
import { usd as formatUsd } from '../format';
import { CliError, ExitCode, json, type CliContext, type CliIo } from '../support';

function parseUsd(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError('<usd> must be a non-negative number of USD');
  return n;
}

export function registerRaiseBudget(pipeline: Command, { io, outcome }: CliContext): void {
  pipeline
    .command('raise-budget <workflowId> <usd>')
    .description(
      'raise a running pipeline’s budgetUsd (steps waiting on it, onBudgetExceeded: "wait", go on)',
    )
    .option('--json', 'print JSON')
    .action(async (workflowId: string, usd: string, opts: { json?: boolean }) => {
      outcome.exitCode = await raiseBudgetCommand(workflowId, parseUsd(usd), opts, io);
    });
}

export async function raiseBudgetCommand(
  workflowId: string,
  usd: number,
  opts: { json?: boolean },
  io: CliIo,
): Promise<number> {
  const { withClient, describeOrExplain } = require('../workflow-access') as typeof WorkflowAccess;
  const { FloraWorkflows } = require('../../client/flora-workflows') as typeof FloraWorkflowsModule;
  return withClient(io, async (client) => {
    const description = await describeOrExplain(client, workflowId);
    if (description.type !== 'runPipeline')
      throw new CliError(`workflow ${workflowId} is a ${description.type}, not a pipeline`);
    if (description.status.name !== 'RUNNING')
      throw new CliError(
        `pipeline ${workflowId} is ${description.status.name.toLowerCase()}; its budget is final`,
        1,
        'not_running',
      );
    const run = new FloraWorkflows(client).getPipeline(workflowId);
    // A raise never lowers: the ledger may already hold more than a smaller budget.
    const before = (await run.progress()).ledger;
    if (before.budgetUsd !== undefined && usd <= before.budgetUsd)
      throw new CliError(
        `pipeline ${workflowId} already has a budget of ${formatUsd(before.budgetUsd)}; raise-budget only raises it`,
      );
    await run.raiseBudget(usd);
    const after = (await run.progress()).ledger;
    if (opts.json) io.stdout(json({ workflowId, budgetUsd: usd, ledger: after }));
    else
      io.stdout(
        `pipeline ${workflowId}: budget raised to ${formatUsd(usd)} (was ${before.budgetUsd === undefined ? 'none' : formatUsd(before.budgetUsd)}; charged ${formatUsd(after.chargedUsd)}, reserved ${formatUsd(after.reservedUsd)})\n`,
      );
    return ExitCode.Ok;
  });
}
