/** `flora-temporal status <workflowId>`: a run's or pipeline's Temporal status and its own progress. */
import type { Command } from 'commander';
import type { PipelineProgress } from '../../pipelines/types';
import type { RunTechniqueStatus } from '../../workflows/types';
import type * as WorkflowAccess from '../workflow-access';
import type * as Failures from '../../client/failures';
import type * as Workers from '../../client/workers';
import { renderPipelineProgress, renderRunStatus } from '../progress';
import { ExitCode, json, type CliContext, type CliIo } from '../support';

/** How long a query or a closed workflow's failure may take before status gives up on it. */
const QUERY_DEADLINE_MS = 5_000;
const CLOSED_WITHOUT_RESULT = new Set(['FAILED', 'CANCELLED', 'TERMINATED', 'TIMED_OUT']);

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
  const { summarizeFailure } = require('../../client/failures') as typeof Failures;
  const { missingWorkerHint, taskQueuePollers, withDeadline } =
    require('../../client/workers') as typeof Workers;
  return withClient(io, async (client) => {
    const description = await describeOrExplain(client, workflowId);
    const type = ensureOurs(description.type, workflowId);
    const temporalStatus = description.status.name;
    // Only a worker answers a query: ask the task queue first, so a missing worker is named in
    // seconds instead of after the server's ~30 s query timeout.
    const pollers = await taskQueuePollers(client, description.taskQueue).catch(() => undefined);
    const workerWarning = pollers ? missingWorkerHint(pollers) : undefined;
    const canQuery = pollers === undefined || pollers.workflowPollers > 0;
    const progress = canQuery
      ? await withDeadline(client, QUERY_DEADLINE_MS, () => queryProgress(client, workflowId, type))
      : undefined;
    // A closed workflow that did not complete: its failure is the answer, whatever progress says.
    let error: { type: string; message: string } | undefined;
    if (CLOSED_WITHOUT_RESULT.has(temporalStatus)) {
      try {
        await withDeadline(client, QUERY_DEADLINE_MS, () => client.workflow.getHandle(workflowId).result());
      } catch (err) {
        error = summarizeFailure(err).error;
      }
    }
    if (opts.json) {
      io.stdout(
        json({
          workflowId,
          type,
          // Two different run ids: Temporal's (of this workflow execution) and FLORA's (of the run it follows).
          workflowRunId: description.runId,
          floraRunId:
            type === 'runTechnique' ? ((progress as RunTechniqueStatus | undefined)?.runId ?? null) : null,
          temporalStatus,
          startTime: description.startTime,
          closeTime: description.closeTime ?? null,
          error: error ?? null,
          progress: progress ?? null,
          workerWarning: workerWarning ?? null,
        }),
      );
      return ExitCode.Ok;
    }
    io.stdout(`${workflowId} (${type}): ${temporalStatus}, started ${description.startTime.toISOString()}\n`);
    if (error)
      io.stdout(
        `  ${temporalStatus === 'CANCELLED' ? 'cancelled' : 'failed'}: ${error.type}: ${error.message}\n`,
      );
    if (progress === undefined) {
      if (canQuery)
        io.stdout(`  (no worker answered the progress query within ${QUERY_DEADLINE_MS / 1000} s)\n`);
    } else {
      const lines =
        type === 'runTechnique'
          ? renderRunStatus(progress as RunTechniqueStatus)
          : renderPipelineProgress(progress as PipelineProgress);
      // After a failure the workflow's own view stops where it was (e.g. "0% validating"): say so.
      const indent = error ? '    ' : '  ';
      if (error) io.stdout(`  last progress before it ended:\n`);
      io.stdout(`${lines.map((l) => `${indent}${l}`).join('\n')}\n`);
      const note = (progress as { note?: string }).note;
      if (note && type === 'runTechnique') io.stdout(`  ${note}\n`);
    }
    if (workerWarning) io.stdout(`  (${workerWarning})\n`);
    return ExitCode.Ok;
  });
}
