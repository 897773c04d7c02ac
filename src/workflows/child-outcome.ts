/**
 * How a pipeline's child `runTechnique` ended, as the scheduler takes it (`ChildOutcome`): completed
 * (with a failed download noted), cancelled, or failed with its innermost ApplicationFailure's type, and
 * what the child said about money. Decided here only; pure apart from reading Temporal's errors, so it is
 * unit-tested without a server (test/unit/child-outcome.test.ts).
 */
import {
  ApplicationFailure,
  CancelledFailure,
  ChildWorkflowFailure,
  isCancellation,
} from '@temporalio/workflow';
import { describeFailureChain } from '../domain/failure-chain';
import { downloadErrorOf } from '../domain/failures';
import { NO_EVIDENCE, parseEndEvidence, type EndEvidence } from '../pipelines/billing';
import type { ChildOutcome } from '../pipelines/scheduler';
import type { RunTechniqueResult } from './types';

/** What the child said about money in details[0] of its failure or cancellation (the outermost that has details). */
export function endEvidence(err: unknown): EndEvidence {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if ((e instanceof ApplicationFailure || e instanceof CancelledFailure) && e.details?.length)
      return parseEndEvidence(e.details[0]);
  }
  return NO_EVIDENCE;
}

/** A child's end as the scheduler sees it: `cancelled`, or its innermost ApplicationFailure, with its evidence. */
export function outcomeOf(err: unknown): ChildOutcome {
  const evidence = endEvidence(err);
  if (isCancellation(err))
    return { kind: 'cancelled', error: { type: 'cancelled', message: 'the run was cancelled' }, evidence };
  const error = describeFailureChain(err);
  const cancelled = err instanceof ChildWorkflowFailure && isCancellation(err.cause);
  return cancelled ? { kind: 'cancelled', error, evidence } : { kind: 'failed', error, evidence };
}

/** A completed child's result; `downloadError` comes from children that saved their outputs and failed to. */
export function completedOutcome(result: RunTechniqueResult): ChildOutcome {
  const downloadError = 'downloadError' in result ? downloadErrorOf(result.downloadError) : undefined;
  return {
    kind: 'completed',
    runId: result.runId,
    polls: result.polls,
    outputs: result.outputs,
    chargedCost: result.chargedCost,
    ...(downloadError !== undefined ? { downloadError } : {}),
  };
}
