/** Signals and queries shared between workflows. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ChildProgress, Ledger, PipelineProgress } from '../pipelines/types';

/** A child `runTechnique` tells its pipeline about its phase, run id and progress. */
export const childProgressSignal = defineSignal<[ChildProgress]>('childProgress');
/** Raise a pipeline's budget to this many USD (with `onBudgetExceeded: "wait"`). */
export const raiseBudgetSignal = defineSignal<[number]>('raiseBudget');
/**
 * Raise a pipeline's budget to this many USD and get the new ledger back. Refused (with the reason) when
 * the value is not a finite number >= 0, is below the current budget, or the pipeline has no budget.
 */
export const raiseBudgetUpdate = defineUpdate<Ledger, [number]>('raiseBudget');
export const progressQuery = defineQuery<PipelineProgress>('progress');

/** What the webhook receiver tells a `runTechnique` workflow: FLORA says this run ended. */
export interface FloraRunEvent {
  runId: string;
  /** `run.completed` or `run.failed`. */
  type: string;
  /** FLORA's delivery id (`whd_…`), for the record. */
  deliveryId?: string;
}
/**
 * Evidence, not proof: the workflow wakes its poll timer at once and confirms with one poll. The event's
 * body is never taken as the result.
 */
export const floraRunEventSignal = defineSignal<[FloraRunEvent]>('floraRunEvent');
