import { CancelledFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { describeFailureChain } from '../domain/failure-chain';

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
  return { status: 'failed', error: describeFailureChain(root) };
}
