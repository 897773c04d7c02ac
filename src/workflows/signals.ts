/** Signals and queries shared between workflows. */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { ChildProgress, PipelineProgress } from '../pipelines/types';

/** A child `runTechnique` tells its pipeline about its phase, run id and progress. */
export const childProgressSignal = defineSignal<[ChildProgress]>('childProgress');
/** Raise a pipeline's budget to this many USD (with `onBudgetExceeded: "wait"`). */
export const raiseBudgetSignal = defineSignal<[number]>('raiseBudget');
export const progressQuery = defineQuery<PipelineProgress>('progress');
