/** `flora-temporal status <workflowId>`: a run's or pipeline's Temporal status and its own progress. */
import type { Command } from 'commander';
import type { PipelineProgress } from '../../pipelines/types';
import type { RunTechniqueStatus } from '../../workflows/types';
import type * as WorkflowAccess from '../workflow-access';
import { renderPipelineProgress, renderRunStatus } from '../progress';
import { ExitCode, json, type CliContext, type CliIo } from '../support';

export function registerStatus(program: Command, { io, outcome }: CliContext): void {
  program
    .command('status <workflowId>')
    .description("a run's or pipeline's state: Temporal status and the workflow's own progress")
    .option('--json', 'print JSON')
    .action(async (workflowId: string, opts: { json?: boolean }) => {
      outcome.exitCode = await statusCommand(workflowId, opts, io);
    });
}

export async function statusCommand(
  workflowId: string,
  opts: { json?: boolean },
  io: CliIo,
): Promise<number> {
  // Loaded here, not at the top: `--help` and the other commands do not pay for the Temporal client.
  const { withClient, describeOrExplain, ensureOurs, queryProgress } =
    require('../workflow-access') as typeof WorkflowAccess;
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
