/**
 * Everything one runTechnique execution (one workflow run, until it ends or continues as new) threads
 * through its steps, as one object: what it was started with, what it runs, and the FLORA run it is
 * polling now. The modules that drive the create-and-poll loop take this and nothing else of the run.
 * Types only: safe in workflow code.
 */
import type { BillingEvidence } from './billing';
import type { ProgressSample } from './cadence';
import type { CycleOverhead } from './cycle-overhead';
import type { RunTechniqueStatus, TechniqueRef } from './types';
import type { CreateRequest, RunTechniqueWireInput } from './wire';
import type { ResolvedOptions } from '../domain/request-check';

/** What the execution was started with: fixed until it ends. */
export interface ExecutionScope {
  readonly input: RunTechniqueWireInput;
  readonly options: ResolvedOptions;
  /** Workflow time at which the whole run (across continue-as-new) gives up. */
  readonly deadlineAtMs: number;
  /** What the status query shows, updated as the run goes. */
  readonly status: RunTechniqueStatus;
  /** Creates in doubt and runs that failed at FLORA: whether anything may have been billed. */
  readonly billing: BillingEvidence;
  /** Tells a parent pipeline about progress; a no-op for a run started on its own. */
  readonly report: () => void;
}

/** What is run: fixed once the request is validated (or restored after continue-as-new). */
export interface RunTarget {
  readonly technique: TechniqueRef;
  /** Where to poll: slug or `tech_` id. */
  readonly pollTechnique: string;
  readonly runCost: number;
  /** The validated create request; undefined when attaching to an existing run. */
  readonly create: CreateRequest | undefined;
  readonly keyBase: { custom: string | undefined; firstExecutionRunId: string };
}

/** The FLORA run polled now: replaced by each attempt (a re-create after a transient failure). */
export interface CurrentRun {
  runId: string | undefined;
  pollUrl: string | undefined;
  pollsThisAttempt: number;
  /** The first poll of an attached run happens at once; every other poll waits first. */
  pollNow: boolean;
  /** Workflow time at which this workflow's create returned the current run; undefined when attached. */
  createdAtMs: number | undefined;
  /** A poll has shown the current run, so FLORA knows it (a 404 is then no read-after-write lag). */
  seenRun: boolean;
  /** The one poll on the canonical route after a 404 has been spent. */
  canonicalRetried: boolean;
  /** 401/403 answers to polls of the current run in a row. */
  authFailures: number;
  /** FLORA's `estimated_seconds` for the current run, in ms (top-level creates only). */
  estimatedMs: number | undefined;
  /** Progress seen by the polls of the current run (the first and the latest few), for the cadence. */
  progressSamples: ProgressSample[];
}

export interface ExecutionContext extends ExecutionScope, RunTarget, CurrentRun {
  /** Runs FLORA called back about (ended, per the webhook) and not yet polled since. */
  endedRunIds?: Set<string>;
  /** The last poll was woken by the run's callback and did not find the run ended (FLORA's reads may lag). */
  callbackUnconfirmed?: boolean;
  /**
   * A fallback wait of the current run was aimed at its predicted end (sparseFallbackPollDelayMs: once
   * per run). Not carried across continue-as-new: a new execution may aim once more.
   */
  endPollAimed?: boolean;
  /** The measured overhead of a poll cycle in this execution (not carried over continue-as-new). */
  cycleOverhead?: CycleOverhead;
}
