/**
 * The pipeline's steps as a DAG in plan order, and how runs move through it: a step expands into its
 * runs once its dependencies completed, settles once its runs ended, and is skipped when a dependency
 * cannot complete. No money and no failure policy here (the scheduler owns those). Pure.
 */
import type { OutputRef } from '../domain/run-request';
import type { PipelinePlan, PlannedStep } from './plan';
import type { PipelineState } from './state';
import type { StepRunProgress } from './types';
import type { StepState } from './wire';

/** Children are `<workflowId>/<step>/<index>`. */
export interface StepGraphIds {
  workflowId: string;
}

function newStep(step: PlannedStep): StepState {
  return {
    id: step.id,
    technique: {
      slug: step.technique.slug,
      techniqueId: step.technique.techniqueId,
      name: step.technique.name,
    },
    runCost: step.technique.runCost,
    phase: 'pending',
    dependsOn: step.dependsOn,
    runs: [],
    skippedReason: undefined,
    startedAt: undefined,
    finishedAt: undefined,
  };
}

/** Not yet ended: pending, running, or waiting for budget. */
export function unfinished(step: StepState): boolean {
  return step.phase === 'pending' || step.phase === 'running' || step.phase === 'waiting-budget';
}

export class StepGraph {
  private readonly entries = new Map<string, { planned: PlannedStep; progress: StepState }>();

  /** Fills `state.steps` with a pending step per planned step, in plan order. */
  constructor(
    private readonly state: PipelineState,
    private readonly plan: PipelinePlan,
    private readonly ids: StepGraphIds,
  ) {
    const planned = new Map(plan.steps.map((s) => [s.id, s]));
    state.steps = [];
    for (const id of plan.order) {
      const step = planned.get(id);
      if (step === undefined) continue; // the planner puts every step in the order, and only those
      const progress = newStep(step);
      this.entries.set(id, { planned: step, progress });
      state.steps.push(progress);
    }
  }

  /** The steps in plan order (the state's own list). */
  get steps(): StepState[] {
    return this.state.steps;
  }

  planned(stepId: string): PlannedStep | undefined {
    return this.entries.get(stepId)?.planned;
  }

  progress(stepId: string): StepState | undefined {
    return this.entries.get(stepId)?.progress;
  }

  /** Every run's outputs of a step, earlier executions' first, by run. */
  outputsOf = (stepId: string): OutputRef[][] => {
    const step = this.progress(stepId);
    if (step === undefined) return [];
    return [...(step.earlier?.outputs ?? []), ...step.runs.map((r) => r.outputs)];
  };

  dependencies(step: StepState): StepState[] {
    return step.dependsOn.flatMap((id) => {
      const dep = this.progress(id);
      return dep ? [dep] : [];
    });
  }

  /** Pending and every dependency completed. */
  ready(step: StepState): boolean {
    return step.phase === 'pending' && this.dependencies(step).every((d) => d.phase === 'completed');
  }

  /** Steps whose dependencies failed (or were skipped or cancelled) are skipped, transitively. */
  skipBlocked(): void {
    let changed = true;
    while (changed) {
      changed = false;
      for (const step of this.steps) {
        if (step.phase !== 'pending') continue;
        const blocker = this.dependencies(step).find(
          (d) => d.phase === 'failed' || d.phase === 'skipped' || d.phase === 'cancelled',
        );
        if (blocker) {
          step.phase = 'skipped';
          step.skippedReason = `depends on step "${blocker.id}", which ${blocker.phase === 'skipped' ? 'was skipped' : blocker.phase}`;
          changed = true;
        }
      }
    }
  }

  /** A step's runs: one, one per listed element, or one per output of the step it fans out over. */
  expand(step: StepState, now: string): void {
    step.runs = this.runsFrom(step, 0);
    step.phase = 'running';
    step.startedAt = now;
    if (step.runs.length === 0) this.settle(step, now); // forEach over a step with no outputs: nothing to do
  }

  /** The step's forEach elements (one undefined element for a step without forEach). */
  private itemsOf(step: StepState): (string | undefined)[] {
    const fanOut = this.planned(step.id)?.fanOut;
    if (fanOut === undefined || fanOut.kind === 'none') return [undefined];
    if (fanOut.kind === 'list') return fanOut.items;
    return this.outputsOf(fanOut.fromStep)
      .flat()
      .map((o) => o.url);
  }

  /** Pending runs for the step's elements from index `from` on. */
  runsFrom(step: StepState, from: number): StepRunProgress[] {
    return this.itemsOf(step)
      .slice(from)
      .map((item, i) => this.pendingRun(step, from + i, item));
  }

  private pendingRun(step: StepState, index: number, item: string | undefined): StepRunProgress {
    return {
      index,
      item,
      workflowId: `${this.ids.workflowId}/${step.id}/${index}`,
      phase: 'pending',
      detail: undefined,
      runId: undefined,
      progress: 0,
      polls: 0,
      reservedUsd: 0,
      chargedUsd: 0,
      outputs: [],
      error: undefined,
      startedAt: undefined,
      finishedAt: undefined,
    };
  }

  /** Once all its runs ended: the step is failed, cancelled or completed (counting earlier executions'). */
  settle(step: StepState, now: string): void {
    if (step.runs.some((r) => r.phase === 'pending' || r.phase === 'running')) return;
    if (step.phase !== 'running' && step.phase !== 'waiting-budget') return;
    step.phase =
      step.runs.some((r) => r.phase === 'failed') || (step.earlier?.failed ?? 0) > 0
        ? 'failed'
        : step.runs.some((r) => r.phase === 'cancelled') || (step.earlier?.cancelled ?? 0) > 0
          ? 'cancelled'
          : 'completed';
    step.finishedAt = now;
  }

  /** Whether a later step that has not finished reads this step's outputs. */
  outputsNeeded(stepId: string): boolean {
    return this.plan.steps.some((p) => {
      const phase = this.progress(p.id)?.phase;
      if (phase !== 'pending' && phase !== 'running' && phase !== 'waiting-budget') return false;
      if (p.fanOut.kind === 'step' && p.fanOut.fromStep === stepId) return true;
      return Object.values(p.inputs).some(
        (i) => (i.kind === 'output-id' || i.kind === 'output-index') && i.fromStep === stepId,
      );
    });
  }
}
