/** `flora-temporal runs list`: our workflows from Temporal's visibility, newest first. */
import { InvalidArgumentError, type Command } from 'commander';
import type * as FloraWorkflowsModule from '../../client/flora-workflows';
import type * as WorkflowAccess from '../workflow-access';
import { parseInteger } from '../parse';
import { registerOrphans } from './orphans';
import { ExitCode, json, table, type CliContext, type CliIo } from '../support';

export interface RunsListOpts {
  limit: number;
  json?: boolean;
  technique?: string;
  runId?: string;
  pipeline?: string;
  status?: string;
}

/**
 * The states `--status` takes, spelled as the CLI prints them (`cancelled`, as in every result), mapped
 * to Temporal's ExecutionStatus names. Temporal's own spellings (`Canceled`, `TimedOut`) are accepted too.
 */
const STATUSES: Record<string, string> = {
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Canceled',
  terminated: 'Terminated',
  'timed-out': 'TimedOut',
  'continued-as-new': 'ContinuedAsNew',
};

function parseStatus(value: string): string {
  const wanted = value.toLowerCase().replace(/[_\s]/g, '-');
  const temporal = Object.values(STATUSES).find((name) => name.toLowerCase() === wanted.replace(/-/g, ''));
  const status = STATUSES[wanted] ?? (wanted === 'canceled' ? 'Canceled' : temporal);
  if (!status) throw new InvalidArgumentError(`expected one of ${Object.keys(STATUSES).join(', ')}`);
  return status;
}

export function registerRuns(program: Command, { io, outcome }: CliContext): void {
  const runs = program.command('runs').description('runs and pipelines in Temporal');
  runs
    .command('list')
    .description('our workflows, newest first')
    .option('--limit <n>', 'at most n', parseInteger('--limit', 1, 1000), 20)
    .option('--technique <slug>', 'only runs of this technique (search attribute FloraTechnique)')
    .option('--run-id <run_id>', 'the workflow that created this FLORA run (search attribute FloraRunId)')
    .option('--pipeline <name>', 'only this pipeline and its steps (search attribute FloraPipeline)')
    .option(
      '--status <status>',
      `only workflows in this state: ${Object.keys(STATUSES).join(', ')}`,
      parseStatus,
    )
    .option('--json', 'print a JSON array')
    .action(async (opts: RunsListOpts) => {
      outcome.exitCode = await runsListCommand(opts, io);
    });
  registerOrphans(runs, { io, outcome });
}

/** Our workflows from Temporal's visibility, newest first, optionally by technique, FLORA run id or pipeline. */
export async function runsListCommand(opts: RunsListOpts, io: CliIo): Promise<number> {
  // Loaded on use: the Temporal client is heavy and `--help` must stay fast.
  const { withClient } = require('../workflow-access') as typeof WorkflowAccess;
  const { FloraWorkflows } = require('../../client/flora-workflows') as typeof FloraWorkflowsModule;
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
