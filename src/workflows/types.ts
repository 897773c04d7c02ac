/**
 * The public input, result and query types of `runTechnique`. Pure types and constants: shared by the
 * workflow, the client library and the CLI.
 */
import type { ManifestEntry } from '../downloads/manifest';

export type { InputValue, OutputRef } from '../domain/run-request';
import type { InputValue, OutputRef } from '../domain/run-request';

export interface RunTechniqueOptions {
  /** Shortest wait between two polls, in ms. FLORA asks for 2–5 s. @default 2000 */
  pollMinMs?: number;
  /** Longest wait between two polls, in ms. @default 5000 */
  pollMaxMs?: number;
  /**
   * Runs to create in all: a run that fails with a transient `error_code` (`model_timeout`,
   * `internal_error`) is created again, with the next idempotency key, up to this many times.
   * @default 2
   */
  maxRunAttempts?: number;
  /**
   * Before re-creating a run after a transient failure, wait a random time between this and 3× this, in
   * ms, so a struggling model is not hit again at once and a fleet does not retry in lockstep.
   * @default 10000 (10–30 s)
   */
  recreateDelayMs?: number;
  /** Refuse (before anything is created) when the technique's `run_cost` is above this, in USD. @default no limit */
  maxCostUsd?: number;
  /** How long the whole run may take, from the workflow's start, e.g. `'6h'` or ms. @default '6h' */
  deadline?: string | number;
  /**
   * Idempotency key for the first create (later attempts append `-attempt-N`).
   * @default `<firstExecutionRunId>-<attempt>`: stable across retries, replays, worker restarts and
   * continue-as-new, and new for a reused workflow id.
   */
  idempotencyKey?: string;
  /** Create nothing: only poll this existing FLORA run (e.g. one an operator found after a lost create). */
  attachRunId?: string;
  /** Continue-as-new once the history has this many events (or when the server suggests it). @default 2000 */
  maxHistoryEvents?: number;
  /**
   * Save the outputs on the worker, under its FLORA_DOWNLOAD_ROOT, in this relative directory (with a
   * manifest of content types and sha256), before the URLs expire. @default outputs are not downloaded
   */
  downloadTo?: string;
  /**
   * Ask FLORA to call back when the run ends (webhook acceleration): the https URL where FLORA's
   * callbacks reach a flora-temporal webhook receiver. The workflow adds its id (`?wf=<workflowId>`) and
   * fixes the URL at its start; the callback wakes the poll timer and one poll confirms. Polling stays
   * the fallback. Slug route (`technique`) only: FLORA's top-level create takes no callback_url.
   * @default no callbacks (polling only)
   */
  callbackUrl?: string;
  /**
   * How each poll runs: `'local'`, a local activity in the workflow task its timer wakes (one workflow task
   * and ~6 history events per poll), or `'activity'`, a regular activity on the task queue (two workflow
   * tasks and ~11 events, but dispatched under the task queue's activity rate limit and by any worker).
   * See docs/workflows.md. @default 'local'
   */
  pollMode?: PollMode;
  /**
   * The task queue of every FLORA request of this run, as regular activities (schema read, create, look-ups,
   * downloads and, whatever `pollMode` says, every poll), served by a FLORA-only activity worker
   * (FLORA_ACTIVITY_TASK_QUEUE) so the FLORA rate limit never throttles your own activities and the
   * workflow worker needs no FLORA client. @default the workflow's own task queue
   */
  activityTaskQueue?: string;
}

export type PollMode = 'local' | 'activity';

export const RUN_TECHNIQUE_DEFAULTS = {
  pollMinMs: 2_000,
  pollMaxMs: 5_000,
  maxRunAttempts: 2,
  recreateDelayMs: 10_000,
  deadline: '6h',
  maxHistoryEvents: 2_000,
  pollMode: 'local',
} as const;

/** What a caller passes to `runTechnique`: the technique, its inputs and options. The public input type. */
export interface RunTechniqueInput {
  /** Technique slug: runs are created on `POST /techniques/{slug}/runs`. */
  technique?: string;
  /** `tech_…` id, with `workspaceId`: runs are created on `POST /runs/technique`. */
  techniqueId?: string;
  /** `ws_…` id, with `techniqueId`. */
  workspaceId?: string;
  /** `{ inputId: value }`. Omitted optional inputs are not sent. */
  inputs: Record<string, InputValue>;
  options?: RunTechniqueOptions;
}

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
