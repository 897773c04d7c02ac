/**
 * The state of one runTechnique execution's create-and-poll loop, shared by the modules that drive it.
 * Types only: safe in workflow code.
 */
import type { BillingEvidence } from './billing';
import type { ProgressSample } from './cadence';
import type { TechniqueRef } from './types';
import type { CreateRequest } from './wire';

export interface Loop {
  /** Runs FLORA called back about (ended, per the webhook) and not yet polled since. */
  endedRunIds?: Set<string>;
  technique: TechniqueRef;
  pollTechnique: string;
  runCost: number;
  create: CreateRequest | undefined;
  keyBase: { custom: string | undefined; firstExecutionRunId: string };
  runId: string | undefined;
  pollUrl: string | undefined;
  pollsThisAttempt: number;
  /** The first poll of an attached run happens at once; every other poll waits first. */
  pollNow: boolean;
  continuedTimes: number;
  /** Tells a parent pipeline about progress; a no-op for a run started on its own. */
  report: () => void;
  /** Creates in doubt and runs that failed at FLORA: whether anything may have been billed. */
  billing: BillingEvidence;
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
