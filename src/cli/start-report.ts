/**
 * What `run` and `pipeline run` say after the start: started, attached to the running workflow, the
 * completed workflow's result (nothing billed), or a rerun (billed again); and whether any worker
 * serves the task queue, so a missing worker is named at once rather than found after a silent wait.
 */
import type { Client } from '@temporalio/client';
import type { StartOutcome } from '../client/idempotent-start';
import type * as Workers from '../client/workers';
import type { CliIo } from './support';

export function describeStart(start: StartOutcome, what: 'workflow' | 'pipeline', taskQueue: string): string {
  const id = `${what} ${start.workflowId}`;
  switch (start.action) {
    case 'started':
      return `${id} started on task queue ${taskQueue}`;
    case 'attached':
      return `${id} is already running this request: attached to it (nothing new started)`;
    case 'completed':
      return `${id} already completed this request: its result stands (nothing started, nothing billed)`;
    case 'rerun':
      return (
        `${id} had ended ${(start.existing?.status ?? 'unsuccessfully').toLowerCase().replace('_', ' ')}: ` +
        `started it again (--rerun); its FLORA runs are created anew and billed`
      );
    case 'resumed': {
      const r = start.resumed;
      const reused = r?.reused.length
        ? `reused ${r.reused.map((s) => `${s.step} (${s.runs} run${s.runs === 1 ? '' : 's'})`).join(', ')}, ` +
          `charged $${r.reusedUsd.toFixed(2)} before and not again`
        : 'nothing could be reused';
      const rerun = r?.rerun.length
        ? `; runs (billed): ${r.rerun.map((s) => `${s.step} (${s.why})`).join(', ')}`
        : '';
      return `${id} resumed after it ended ${(start.existing?.status ?? 'closed').toLowerCase().replace('_', ' ')}: ${reused}${rerun}`;
    }
  }
}

/** Prints the start line, and a warning when no worker polls the task queue. */
export async function reportStart(
  client: Client,
  start: StartOutcome,
  what: 'workflow' | 'pipeline',
  taskQueue: string,
  waiting: boolean,
  io: CliIo,
): Promise<void> {
  const waitingNote = waiting && start.action !== 'completed' ? '; waiting for the result' : '';
  io.stderr(`${describeStart(start, what, taskQueue)}${waitingNote}\n`);
  if (start.action === 'completed' || waiting) return; // waiting: awaitWorkflow watches the workers
  const { checkWorkers } = require('../client/workers') as typeof Workers;
  const hint = await checkWorkers(client, taskQueue);
  if (hint) io.stderr(`warning: ${hint}; until then the ${what} waits\n`);
}
