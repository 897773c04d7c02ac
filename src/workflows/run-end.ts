/**
 * How a runTechnique execution ended, decided in one place: completed, continued as new, deadline,
 * cancelled, or failed with a type. The decision carries what the workflow does with it: the metric
 * outcome, the status change, and the result to return or the failure to raise (built by the named
 * failures in src/domain/failures.ts, each carrying the run's end details for a parent's money rules).
 * Pure apart from reading errors: the workflow keeps the Temporal calls (metrics, the parent's flush).
 */
import { CancelledFailure } from '@temporalio/common';
import { ContinueAsNew, isCancellation } from '@temporalio/workflow';
import { describeFailureChain } from '../domain/failure-chain';
import { deadlineExceeded, FailureType, withEndDetails } from '../domain/failures';
import { endDetails, type BillingEvidence } from './billing';
import { Phase, type RunTechniqueResult, type RunTechniqueStatus } from './types';

/** What the execution's work did. */
export type Ended =
  | { kind: 'returned'; result: RunTechniqueResult }
  | { kind: 'threw'; error: unknown }
  /** The deadline had passed before the work began (an execution continued as new too late). */
  | { kind: 'deadline-passed' };

/** What the workflow knows when the work ends. */
export interface EndFacts {
  status: Readonly<RunTechniqueStatus>;
  billing: BillingEvidence;
  /** The deadline timer fired (and cancelled the work), or had passed before it began. */
  deadlineHit: boolean;
  deadlineMs: number;
  /** The technique as the caller named it (slug or id): the metric's label before the schema was read. */
  requested: string | undefined;
}

type StatusChange = Partial<Pick<RunTechniqueStatus, 'phase' | 'note' | 'error'>>;

export type RunEnd =
  | {
      kind: 'completed';
      outcome: 'completed';
      technique: string;
      chargedUsd: number;
      result: RunTechniqueResult;
    }
  /** Not an end: the history continues in a new execution. Not counted; raised unchanged. */
  | { kind: 'continued-as-new'; raise: ContinueAsNew }
  | {
      kind: 'deadline' | 'cancelled' | 'failed';
      /** The `flora_runs` metric's outcome: the failure type, `deadline_exceeded` or `cancelled`. */
      outcome: string;
      technique: string;
      chargedUsd: 0;
      status: StatusChange;
      /** What the workflow raises: an ApplicationFailure, a CancelledFailure, or a bug unchanged. */
      raise: unknown;
    };

/** The note a cancelled run leaves in its status (and its CancelledFailure's message). */
export function cancelledNote(runId: string | undefined): string {
  return runId === undefined
    ? 'Cancelled before any FLORA run was created.'
    : `Cancelled. FLORA has no cancel: run ${runId} keeps going at FLORA and is billed if it completes.`;
}

export function classifyRunEnd(ended: Ended, facts: EndFacts): RunEnd {
  const { status } = facts;
  if (ended.kind === 'returned') {
    const { result } = ended;
    return {
      kind: 'completed',
      outcome: 'completed',
      technique: result.technique.slug ?? result.technique.techniqueId,
      chargedUsd: result.chargedCost,
      result,
    };
  }
  const technique = status.technique?.slug ?? status.technique?.techniqueId ?? facts.requested ?? '';
  const end = endDetails(status, facts.billing);
  const deadline = (): RunEnd => {
    const failure = deadlineExceeded(facts.deadlineMs, status, end);
    return {
      kind: 'deadline',
      outcome: FailureType.DeadlineExceeded,
      technique,
      chargedUsd: 0,
      status: { phase: Phase.Failed, error: describeFailureChain(failure) },
      raise: failure,
    };
  };
  if (ended.kind === 'deadline-passed') return deadline();
  const err = ended.error;
  if (err instanceof ContinueAsNew) return { kind: 'continued-as-new', raise: err };
  if (isCancellation(err)) {
    // A cancellation the deadline caused is the deadline; any other failure after it keeps its own type.
    if (facts.deadlineHit) return deadline();
    const note = cancelledNote(status.runId);
    return {
      kind: 'cancelled',
      outcome: 'cancelled',
      technique,
      chargedUsd: 0,
      status: { phase: Phase.Cancelled, note },
      // The SDK (1.24) closes the workflow as cancelled without these details (its cancel command
      // carries none); callers inside this process and interceptors still see them.
      raise: new CancelledFailure(note, [end]),
    };
  }
  const failure = withEndDetails(err, end);
  return {
    kind: 'failed',
    outcome: describeFailureChain(err).type,
    technique,
    chargedUsd: 0,
    status: failure instanceof Error ? { phase: Phase.Failed, error: describeFailureChain(failure) } : {},
    raise: failure,
  };
}
