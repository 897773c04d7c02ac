/**
 * Webhook acceleration, workflow side. The receiver signals `floraRunEvent` when FLORA calls back that a
 * run ended; the wait before the next poll then ends at once, and the poll that follows is the proof
 * (the callback's body is never taken as the result). Callbacks get lost, so the wait is still bounded by
 * the poll cadence: without a callback nothing changes.
 *
 * Only runs whose create carried a `callback_url` wait this way, and only on code that took
 * Patches.WebhookWake; every other run sleeps exactly as before.
 */
import { CancellationScope, condition, log, setHandler, sleep } from '@temporalio/workflow';
import { Patches } from './patches';
import { patchedInRun } from './run-patches';
import type { ExecutionContext } from './execution-context';
import { floraRunEventSignal } from './signals';

/** Run ids remembered as ended and not yet polled; more than this is noise, not FLORA. */
const MAX_ENDED_RUN_IDS = 16;

/** The query parameter of the callback URL naming this workflow, for the receiver to signal. */
export const CALLBACK_WORKFLOW_PARAM = 'wf';

/** The callback URL a create carries: the configured base with this workflow's id added. */
export function callbackUrlFor(base: string, workflowId: string): string {
  const url = new URL(base);
  url.searchParams.set(CALLBACK_WORKFLOW_PARAM, workflowId);
  return url.href;
}

/** Whether the current run was created asking FLORA to call back. */
function callsBack(ctx: ExecutionContext): boolean {
  return ctx.create?.route === 'nested' && ctx.create.callbackUrl !== undefined;
}

/** Records run-end events for the ctx. Signals sent before this was called are delivered to it now. */
export function listenForRunEvents(ctx: ExecutionContext): void {
  const ended = (ctx.endedRunIds ??= new Set<string>());
  setHandler(floraRunEventSignal, (event) => {
    if (typeof event?.runId !== 'string' || ended.size >= MAX_ENDED_RUN_IDS) return;
    ended.add(event.runId);
  });
}

/** Whether a callback can wake this run's waits (its create asked for one, on code that listens). */
export function wakesOnCallback(ctx: ExecutionContext): boolean {
  return ctx.runId !== undefined && callsBack(ctx) && patchedInRun(Patches.WebhookWake);
}

/**
 * Waits `delayMs` before the next poll, or less when FLORA called back that the current run ended.
 * Resolves true when the callback ended the wait.
 */
export async function waitBeforePoll(ctx: ExecutionContext, delayMs: number): Promise<boolean> {
  const runId = ctx.runId;
  if (runId === undefined || !wakesOnCallback(ctx)) {
    await sleep(delayMs);
    return false;
  }
  const ended = (ctx.endedRunIds ??= new Set<string>());
  const woken = await condition(() => ended.has(runId), delayMs);
  if (woken) log.info('FLORA called back that the run ended; polling now to confirm', { runId });
  // One poll per callback: if it does not show the end yet, the cadence takes over again.
  ended.delete(runId);
  return woken;
}

/**
 * Called when a poll the callback did not wake found the run ended, before the workflow ends. The run's
 * callback is then most likely on its way, and the server refuses to close a workflow in a task during
 * which a signal arrived (UNHANDLED_COMMAND): the task fails, its commands are dropped, the poll's result
 * (a local activity marker) with them, and the retried task polls FLORA again. A 1 ms timer first
 * completes the poll's task with its result recorded; the workflow ends in the next task, which a
 * callback arriving meanwhile only joins. Not cancellable: the run ended, its result must not be lost to
 * a deadline or a cancel in that millisecond.
 */
export async function endInNextTask(ctx: ExecutionContext): Promise<void> {
  if (!wakesOnCallback(ctx) || !patchedInRun(Patches.WebhookEndInNextTask)) return;
  await CancellationScope.nonCancellable(() => sleep(1));
}
