/**
 * Webhook acceleration, workflow side. The receiver signals `floraRunEvent` when FLORA calls back that a
 * run ended; the wait before the next poll then ends at once, and the poll that follows is the proof
 * (the callback's body is never taken as the result). Callbacks get lost, so the wait is still bounded by
 * the poll cadence: without a callback nothing changes.
 *
 * Only runs whose create carried a `callback_url` wait this way, and only on code that took
 * Patches.WebhookWake; every other run sleeps exactly as before.
 */
import { condition, log, patched, setHandler, sleep } from '@temporalio/workflow';
import { Patches } from './patches';
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

/** Waits `delayMs` before the next poll, or less when FLORA called back that the current run ended. */
export async function waitBeforePoll(ctx: ExecutionContext, delayMs: number): Promise<void> {
  const runId = ctx.runId;
  if (runId === undefined || !callsBack(ctx) || !patched(Patches.WebhookWake)) {
    await sleep(delayMs);
    return;
  }
  const ended = (ctx.endedRunIds ??= new Set<string>());
  const woken = await condition(() => ended.has(runId), delayMs);
  if (woken) log.info('FLORA called back that the run ended; polling now to confirm', { runId });
  // One poll per callback: if it does not show the end yet, the cadence takes over again.
  ended.delete(runId);
}
