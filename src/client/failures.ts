import { ApplicationFailure, CancelledFailure, TemporalFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';

export interface FailureSummary {
  status: 'failed' | 'cancelled';
  error: { type: string; message: string };
}

/**
 * Reduces a workflow's failure to what a caller acts on: the innermost ApplicationFailure's type and
 * message (e.g. `safety_blocked`, `invalid_request`), or `cancelled`.
 */
export function summarizeFailure(err: unknown): FailureSummary {
  const root = err instanceof WorkflowFailedError ? err.cause : err;
  if (root instanceof CancelledFailure) {
    return {
      status: 'cancelled',
      error: { type: 'cancelled', message: root.message || 'the workflow was cancelled' },
    };
  }
  let app: ApplicationFailure | undefined;
  let last: unknown = root;
  let current: unknown = root;
  while (current instanceof Error) {
    if (current instanceof ApplicationFailure) app = current;
    last = current;
    current = current.cause;
  }
  if (app) return { status: 'failed', error: { type: app.type ?? 'error', message: app.message } };
  if (last instanceof TemporalFailure)
    return { status: 'failed', error: { type: last.name, message: last.message } };
  const message = last instanceof Error ? last.message : String(last);
  return { status: 'failed', error: { type: 'error', message } };
}
