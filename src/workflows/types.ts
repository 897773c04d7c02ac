/**
 * The public input, result and query types of `runTechnique`. Pure types and constants: shared by the
 * workflow, the client library and the CLI.
 */
import type { ManifestEntry } from '../downloads/manifest';

export type { InputValue, OutputRef, RunTechniqueInput } from '../domain/run-request';
import type { OutputRef } from '../domain/run-request';
export { RUN_TECHNIQUE_DEFAULTS, type PollMode, type RunTechniqueOptions } from '../domain/run-options';

export interface TechniqueRef {
  slug: string | undefined;
  techniqueId: string;
  name: string;
}

export interface RunTechniqueResult {
  workflowId: string;
  status: 'completed';
  runId: string;
  technique: TechniqueRef;
  outputs: OutputRef[];
  /** USD billed for the successful run. */
  chargedCost: number;
  progress: number;
  /** Polls over the whole workflow (all attempts, across continue-as-new). */
  polls: number;
  /** FLORA runs created (or attached). */
  attempts: number;
  /** The saved files, when `options.downloadTo` was given. */
  downloads?: ManifestEntry[];
  /**
   * Set when `options.downloadTo` was given and saving the outputs failed: the run completed and was
   * paid for, so the result (and its `outputs`, while their URLs last) is returned anyway.
   */
  downloadError?: { type: string; message: string };
}

export const Phase = {
  Validating: 'validating',
  Creating: 'creating',
  Polling: 'polling',
  Downloading: 'downloading',
  Completed: 'completed',
  Failed: 'failed',
  Cancelled: 'cancelled',
} as const;
export type Phase = (typeof Phase)[keyof typeof Phase];

export interface RunTechniqueStatus {
  phase: Phase;
  technique: TechniqueRef | undefined;
  runId: string | undefined;
  /** Every FLORA run this workflow created or attached, oldest first. */
  runIds: string[];
  attempt: number;
  progress: number;
  polls: number;
  /** ISO time of the last poll. */
  lastPollAt: string | undefined;
  /** The technique's price per run (USD), once known. */
  runCost: number | undefined;
  /** What FLORA has charged so far (USD). */
  chargedCost: number;
  /** For `failed` and `cancelled`: why, and what happens to the FLORA run. */
  note: string | undefined;
  error: { type: string; message: string } | undefined;
}

/**
 * `details[0]` of every way `runTechnique` ends other than success: its failure (ApplicationFailure),
 * its deadline (`deadline_exceeded`) and its cancellation (CancelledFailure), merged into any details
 * the failure type has of its own (`problems`, `idempotencyKey`, `errorCode`, …).
 */
export interface RunTechniqueEndDetails {
  /** The last FLORA run created or attached. */
  runId?: string;
  /** Every FLORA run created or attached, oldest first. */
  runIds: string[];
  /**
   * False only with proof that nothing billable exists: no create was sent (bad input, cancelled or
   * deadline before the create, a create refused on its first attempt with a 4xx), or every run created
   * ended `failed` at FLORA. True otherwise: a create whose outcome is unknown, a run still going, a run
   * FLORA no longer shows, a 4xx on a retried create.
   */
  mayBeBilled: boolean;
}
