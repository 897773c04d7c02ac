/**
 * What a runTechnique workflow knows about money when it ends without success: which FLORA runs it
 * created, and whether anything it did may have been billed. A pipeline frees a step's budget
 * reservation only on proof that nothing was billed, so `mayBeBilled` is false only with that proof.
 */
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import type { RunTechniqueEndDetails } from './types';

/** Carried across continue-as-new (in ResumeState) and updated as creates and runs end. */
export interface BillingEvidence {
  /** Creates sent whose outcome is unknown: each may have made a billed run nobody heard of. */
  createsInDoubt: number;
  /** Runs that ended `failed` at FLORA, which charges nothing for them. */
  failedRunIds: string[];
}

export function noEvidence(): BillingEvidence {
  return { createsInDoubt: 0, failedRunIds: [] };
}

/** True unless nothing billable can exist: no create in doubt, and every run created ended `failed`. */
export function mayBeBilled(runIds: readonly string[], evidence: BillingEvidence): boolean {
  return evidence.createsInDoubt > 0 || runIds.some((id) => !evidence.failedRunIds.includes(id));
}

export function endDetails(
  status: { runId: string | undefined; runIds: string[] },
  evidence: BillingEvidence,
): RunTechniqueEndDetails {
  const details: RunTechniqueEndDetails = {
    runIds: [...status.runIds],
    mayBeBilled: mayBeBilled(status.runIds, evidence),
  };
  if (status.runId !== undefined) details.runId = status.runId;
  return details;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A create FLORA refused on the activity's FIRST attempt with a non-retryable 4xx: no request with this
 * key reached FLORA before, so nothing was created. On a later attempt the same refusal proves nothing
 * (an earlier attempt may have created a run whose answer was lost).
 */
export function refusedOnFirstAttempt(err: unknown): boolean {
  if (!(err instanceof ActivityFailure)) return false;
  const app = err.cause;
  if (!(app instanceof ApplicationFailure) || !app.nonRetryable) return false;
  const details: unknown = app.details?.[0];
  if (!isRecord(details)) return false;
  const status = details.status;
  return details.attempt === 1 && typeof status === 'number' && status >= 400 && status < 500;
}
