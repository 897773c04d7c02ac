import assert from 'node:assert/strict';
import { ActivityFailure, ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';

/** Awaits a workflow expected to fail and returns the chain: the client error and the innermost ApplicationFailure. */
export async function expectWorkflowFailure(handle: WorkflowHandle): Promise<{
  error: WorkflowFailedError;
  app: ApplicationFailure;
  activity: ActivityFailure | undefined;
}> {
  let error: unknown;
  try {
    await handle.result();
  } catch (err) {
    error = err;
  }
  assert.ok(error instanceof WorkflowFailedError, `expected WorkflowFailedError, got ${String(error)}`);
  let activity: ActivityFailure | undefined;
  let app: ApplicationFailure | undefined;
  let current: unknown = error.cause;
  while (current instanceof Error) {
    if (current instanceof ActivityFailure) activity = current;
    if (current instanceof ApplicationFailure) app = current;
    current = current.cause;
  }
  assert.ok(app, `no ApplicationFailure in the cause chain of ${error.message}: ${String(error.cause)}`);
  return { error, app, activity };
}

export async function expectWorkflowCancelled(handle: WorkflowHandle): Promise<void> {
  try {
    await handle.result();
  } catch (err) {
    assert.ok(err instanceof WorkflowFailedError, `expected WorkflowFailedError, got ${String(err)}`);
    assert.ok(err.cause instanceof CancelledFailure, `expected CancelledFailure, got ${String(err.cause)}`);
    return;
  }
  assert.fail('the workflow completed instead of being cancelled');
}

/** Polls `check` until it returns a value (not undefined) or the time runs out. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
