/**
 * Reading a failure's cause chain (WorkflowFailedError → ChildWorkflowFailure / ActivityFailure →
 * ApplicationFailure): the innermost ApplicationFailure carries the type callers act on. Pure:
 * used by workflows, the client and the CLI.
 */
import { ApplicationFailure } from '@temporalio/common';

export function innermostApplicationFailure(err: unknown): ApplicationFailure | undefined {
  let found: ApplicationFailure | undefined;
  for (let current: unknown = err; current instanceof Error; current = current.cause) {
    if (current instanceof ApplicationFailure) found = current;
  }
  return found;
}

/** The innermost ApplicationFailure's type and message; else the innermost error's name and message. */
export function describeFailureChain(err: unknown): { type: string; message: string } {
  const app = innermostApplicationFailure(err);
  if (app) return { type: app.type ?? 'error', message: app.message };
  let last: unknown = err;
  for (let current: unknown = err; current instanceof Error; current = current.cause) last = current;
  return last instanceof Error
    ? { type: last.name, message: last.message }
    : { type: 'error', message: String(last) };
}
