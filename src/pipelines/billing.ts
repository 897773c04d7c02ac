/**
 * What a child's end does to the pipeline's ledger. A run's reservation is freed only on proof that
 * nothing was billed. Since `Patches.PipelineFreeOnProof` that proof is the child's own word:
 * `mayBeBilled: false` in details[0] of its failure or cancellation (runTechnique sets it false only
 * when no create was sent, a create was refused on its first attempt, or every run it created ended
 * `failed`). Histories recorded before keep the older rule, a list of failure types. Pure.
 */
import { FailureType, isDownloadFailure } from '../domain/failures';
import { PipelineFailureType, type StepRunProgress } from './types';

/**
 * The rule before `Patches.PipelineFreeOnProof`: failures taken to prove that no FLORA run of that child
 * was billed. Some can happen after a run was created (a 404 or 401 on a poll, a 4xx on a retried
 * create), which is why it was replaced; kept so that recorded histories replay as they ran.
 */
const LEGACY_NOT_BILLED: ReadonlySet<string> = new Set<string>([
  FailureType.ModelTimeout,
  FailureType.InternalError,
  FailureType.SafetyBlocked,
  FailureType.InputUnreachable,
  FailureType.RunFailed,
  FailureType.InvalidRequest,
  FailureType.InputValidationError,
  FailureType.InvalidJson,
  FailureType.Unauthorized,
  FailureType.InvalidApiKey,
  FailureType.InsufficientCredits,
  FailureType.Forbidden,
  FailureType.NotFound,
  FailureType.IdempotencyConflict,
  PipelineFailureType.StepFailed,
]);

/** What a child says about money when it ends without a result (details[0] of its failure or cancellation). */
export interface EndEvidence {
  /** False only with the child's proof that nothing billable exists; undefined from children that predate it. */
  mayBeBilled: boolean | undefined;
  /** The last FLORA run the child created or attached. */
  runId: string | undefined;
  runIds: string[];
}

export const NO_EVIDENCE: EndEvidence = { mayBeBilled: undefined, runId: undefined, runIds: [] };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads a child's end details; anything malformed counts as no evidence (the reservation stays). */
export function parseEndEvidence(details: unknown): EndEvidence {
  if (!isRecord(details)) return NO_EVIDENCE;
  const { mayBeBilled, runId, runIds } = details;
  return {
    mayBeBilled: typeof mayBeBilled === 'boolean' ? mayBeBilled : undefined,
    runId: typeof runId === 'string' ? runId : undefined,
    runIds: Array.isArray(runIds) ? runIds.filter((id): id is string => typeof id === 'string') : [],
  };
}

/**
 * A child failed or was cancelled: free, keep or charge its run's reservation. `onProof` is whether
 * `Patches.PipelineFreeOnProof` applies to this history.
 */
export function settleReservation(
  run: StepRunProgress,
  end: { cancelled: boolean; errorType: string; evidence: EndEvidence },
  onProof: boolean,
): void {
  if (onProof) {
    // A run the child created stays known, so an operator can find what a reservation stands for.
    run.runId = end.evidence.runId ?? run.runId;
    if (end.evidence.mayBeBilled === false) run.reservedUsd = 0;
    return;
  }
  // The old rule: only a failure listed as not billed frees the reservation; a cancellation never does.
  if (!end.cancelled && LEGACY_NOT_BILLED.has(end.errorType)) run.reservedUsd = 0;
  // The run completed and was charged; only saving its outputs failed.
  if (!end.cancelled && isDownloadFailure(end.errorType)) {
    run.chargedUsd = run.reservedUsd;
    run.reservedUsd = 0;
  }
}
