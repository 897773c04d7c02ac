/**
 * The pipeline's scheduling and billing rules, as a state machine the `runPipeline` workflow drives:
 * typed state in, decisions out (which runs to launch, when to stop and why, what a child's end does to
 * the ledger, how the pipeline ends). Pure: no Temporal, no clock (the caller passes `now`), so every
 * rule is unit-tested in milliseconds and the workflow keeps only the Temporal calls.
 *
 * This class holds the decisions about money and failure (launch order under concurrency and budget,
 * a child's end, fail-fast); its parts live beside it: the DAG's mechanics (`step-graph.ts`), building a
 * launch (`launch.ts`), a resume's reuse (`reuse-take.ts`), the end (`pipeline-end.ts`), and what one
 * execution hands the next (`carry.ts`).
 */
import { settleReservation } from './billing';
import { carrySteps, restoreSteps } from './carry';
import { launchRun } from './launch';
import { budgetLeftUsd, EPSILON_USD, ledgerOf } from './ledger';
import {
  cancelling,
  cancelOnStop,
  cancelUnstarted,
  pipelineFailureOf,
  resultOf,
  resultSteps,
  skipUnreached,
  type StopFacts,
} from './pipeline-end';
import { roundUsd, type PipelinePlan } from './plan';
import { ReuseTaker } from './reuse-take';
import { CURRENT_RULES, SHIPPED_RULES, type Rules } from './rules';
import type {
  ChildOutcome,
  FirstFailure,
  Pass,
  PipelineFailure,
  PipelineIds,
  ReuseCheck,
  ReuseOffer,
  StopCancel,
  UpfrontBudget,
} from './scheduler-types';
import type { PipelineSpec } from './spec';
import type { PipelineState } from './state';
import { StepGraph, unfinished } from './step-graph';
import {
  PipelineFailureType,
  type Ledger,
  type PipelineResult,
  type StepResult,
  type StepRunProgress,
} from './types';
import type { ContinuedPipeline, PipelineReuse, StepState } from './wire';

export { PipelineFailureType };
export { CURRENT_RULES, SHIPPED_RULES, type Rules };
export type {
  ChildOutcome,
  Launch,
  Pass,
  PipelineFailure,
  PipelineIds,
  ReuseCheck,
  ReuseOffer,
  StopCancel,
  UpfrontBudget,
} from './scheduler-types';

export class PipelineScheduler {
  private readonly graph: StepGraph;
  private readonly reuse: ReuseTaker;
  private firstFailure: FirstFailure | undefined;
  private budgetFailure: string | undefined;
  /** The plan's price less the reused runs', once the upfront check has asked (a resume only). */
  private plannedAfterReuse: number | undefined;

  constructor(
    readonly state: PipelineState,
    private readonly spec: PipelineSpec,
    private readonly plan: PipelinePlan,
    /** Children are `<workflowId>/<step>/<index>` and report to it. */
    private readonly ids: PipelineIds,
    private readonly rules: Rules = CURRENT_RULES,
    /** Set on a resumed execution: runs an earlier one paid for, by step and index. */
    reuse: PipelineReuse | undefined = undefined,
  ) {
    state.plannedCostUsd = plan.plannedCostUsd;
    this.graph = new StepGraph(state, plan, ids);
    this.reuse = new ReuseTaker(this.graph, reuse);
  }

  ledger(): Ledger {
    return ledgerOf(this.state.steps, this.state.budgetUsd, this.state.plannedCostUsd);
  }

  private budgetLeft(): number {
    return budgetLeftUsd(this.state.steps, this.state.budgetUsd);
  }

  private failedFast(): boolean {
    return this.firstFailure !== undefined && this.spec.onStepFailure === 'fail-fast';
  }

  /** The whole price, when known before anything runs, against the budget. */
  upfrontBudget(): UpfrontBudget {
    const { plan, state } = this;
    const planned = this.plannedCost();
    if (planned === undefined || state.budgetUsd === undefined || planned <= state.budgetUsd + EPSILON_USD)
      return { kind: 'ok' };
    const over =
      planned === plan.plannedCostUsd
        ? `The plan costs $${plan.plannedCostUsd} for ${plan.plannedRuns} runs, above budgetUsd ($${state.budgetUsd})`
        : `The runs left to create cost $${planned} (the plan, $${plan.plannedCostUsd}, less the runs reused), above budgetUsd ($${state.budgetUsd})`;
    if (this.spec.onBudgetExceeded === 'fail') {
      return {
        kind: 'fail',
        failure: {
          type: PipelineFailureType.BudgetExceeded,
          message: `${over}; nothing was created`,
          details: [{ ledger: this.ledger() }],
        },
      };
    }
    state.phase = 'waiting-budget';
    state.note = `${over}: waiting for the raiseBudget signal`;
    return { kind: 'wait' };
  }

  /** While waiting up front: true once the budget covers the plan's price. */
  budgetCoversPlan(): boolean {
    return (
      this.state.budgetUsd !== undefined &&
      (this.plannedAfterReuse ?? this.plan.plannedCostUsd ?? 0) <= this.state.budgetUsd + EPSILON_USD
    );
  }

  /**
   * The price up front: the plan's, or on a resume (when the rule holds) the plan's less the runs offered
   * for reuse, since those are not created again. Asked once, by the upfront check.
   */
  private plannedCost(): number | undefined {
    const full = this.plan.plannedCostUsd;
    if (full === undefined || !this.reuse.offersAny() || !this.rules.reuseFromResume()) return full;
    this.plannedAfterReuse = roundUsd(Math.max(0, full - this.reuse.reusedCostUsd(this.plan)));
    this.state.plannedCostUsd = this.plannedAfterReuse;
    return this.plannedAfterReuse;
  }

  /**
   * Steps ready to run (dependencies completed) that the resume offers runs for and that were not decided
   * yet. The workflow checks their outputs, then calls `takeReuse` (or `declineReuse`), before `next`.
   */
  reuseOffers(): ReuseOffer[] {
    if (!this.reuse.resumed) return [];
    if (this.failedFast()) return [];
    this.graph.skipBlocked();
    return this.reuse.offers();
  }

  /** The rule said no (a history recorded before resumes): the steps run as usual. */
  declineReuse(offers: ReuseOffer[]): void {
    this.reuse.decline(offers);
  }

  /** Takes the offered runs into their steps (see ReuseTaker.take). */
  takeReuse(offers: ReuseOffer[], checks: ReuseCheck[][], now: string): void {
    this.reuse.take(offers, checks, now);
  }

  /** After the budget check up front: the DAG starts. */
  startRunning(): void {
    this.state.note = undefined;
    this.state.phase = 'running';
  }

  /**
   * One look at the DAG: skip what can no longer run, expand steps whose dependencies completed, and
   * launch pending runs in plan order while there is room (`inFlight` children already running, at most
   * `concurrency`) and money.
   */
  next(inFlight: number, now: string, launch = true): Pass {
    const pass: Pass = { launches: [], changed: false, stop: undefined };
    if (this.failedFast()) {
      pass.stop = 'fail-fast';
      return pass;
    }
    this.graph.skipBlocked();
    for (const step of this.state.steps) {
      if (this.graph.ready(step)) this.graph.expand(step, now);
    }
    if (!launch) {
      // Between batches: the runs in flight end, then the workflow continues as new.
      this.state.note = `continuing as new once the ${inFlight} run(s) in flight end`;
      return this.doneUnless(pass, inFlight);
    }
    let running = inFlight;
    let blockedByBudget: { step: StepState; cost: number } | undefined;
    for (const step of this.state.steps) {
      if (step.phase !== 'running' && step.phase !== 'waiting-budget') continue;
      for (const run of step.runs) {
        if (run.phase !== 'pending' || running >= this.spec.concurrency) continue;
        if (step.runCost > this.budgetLeft() + EPSILON_USD) {
          blockedByBudget ??= { step, cost: step.runCost };
          step.phase = 'waiting-budget';
          break; // the step's other runs cost the same: none fits either
        }
        if (step.phase === 'waiting-budget') step.phase = 'running';
        const launched = launchRun(this.graph, step, run, now, this.ids, this.rules);
        if (launched.kind === 'launched') {
          pass.launches.push(launched.launch);
          running += 1;
        } else {
          if (launched.kind === 'unresolved')
            this.firstFailure ??= { step: step.id, index: run.index, error: launched.error };
          pass.changed = true;
        }
      }
    }
    if (blockedByBudget) {
      const l = this.ledger();
      const why =
        `step "${blockedByBudget.step.id}" needs $${blockedByBudget.cost} per run, but budgetUsd $${this.state.budgetUsd} ` +
        `has $${roundUsd(Math.max(0, this.budgetLeft()))} left (charged $${l.chargedUsd}, reserved $${l.reservedUsd})`;
      if (this.spec.onBudgetExceeded === 'fail') {
        if (
          running === 0 ||
          !this.rules.failBudgetOnlyWhenShort() ||
          this.chargedProvesShort(blockedByBudget.cost)
        ) {
          this.budgetFailure = why;
          pass.stop = 'budget';
          return pass;
        }
        // Runs in flight hold reservations that may yet be freed or charged below their price: decide
        // once they end (each end is looked at again).
        this.state.phase = 'waiting-budget';
        this.state.note = `${why}: waiting for the runs in flight to end before deciding`;
        return this.doneUnless(pass, running);
      }
      this.state.phase = 'waiting-budget';
      this.state.note = `${why}: waiting for the raiseBudget signal`;
    } else {
      this.state.phase = 'running';
      this.state.note = undefined;
    }
    return this.doneUnless(pass, running);
  }

  private doneUnless(pass: Pass, running: number): Pass {
    if (!this.state.steps.some(unfinished) && running === 0) pass.stop = 'done';
    return pass;
  }

  /** Charged spend alone leaves less than `cost` of the budget: no reservation freed later can help. */
  private chargedProvesShort(cost: number): boolean {
    const { budgetUsd } = this.state;
    if (budgetUsd === undefined) return false;
    return this.ledger().chargedUsd + cost > budgetUsd + EPSILON_USD;
  }

  /** A child ended. Its step settles (and the scheduler looks again) in `runSettled`. */
  runEnded(run: StepRunProgress, stepId: string, outcome: ChildOutcome): void {
    if (outcome.kind === 'completed') {
      run.phase = 'completed';
      run.runId = outcome.runId;
      run.progress = 100;
      run.polls = outcome.polls;
      run.outputs = outcome.outputs;
      run.chargedUsd = outcome.chargedCost;
      run.reservedUsd = 0;
      // Paid outputs count as completed: downstream steps use their URLs even when saving them failed.
      if (outcome.downloadError !== undefined) run.downloadError = outcome.downloadError;
      return;
    }
    const cancelled = outcome.kind === 'cancelled';
    run.phase = cancelled ? 'cancelled' : 'failed';
    run.error = outcome.error;
    settleReservation(
      run,
      { cancelled, errorType: outcome.error.type, evidence: outcome.evidence },
      this.rules.freeOnlyOnProof(),
    );
    if (!cancelled) this.firstFailure ??= { step: stepId, index: run.index, error: run.error };
  }

  /** After `runEnded`: the run's end time, and its step's phase once all its runs ended. */
  runSettled(step: StepState, run: StepRunProgress, now: string): void {
    run.finishedAt = now;
    this.graph.settle(step, now);
  }

  private stopFacts(): StopFacts {
    const { state, spec, rules, firstFailure, budgetFailure } = this;
    return { state, spec, rules, firstFailure, budgetFailure };
  }

  /** After the loop: what to cancel (see pipeline-end.ts). */
  cancelOnStop(): StopCancel {
    return cancelOnStop(this.stopFacts());
  }

  /** Once every started child ended: steps never reached are skipped, saying why. */
  skipUnreached(): void {
    skipUnreached(this.stopFacts());
  }

  /** The pipeline itself was cancelled. */
  cancelling(): void {
    cancelling(this.state);
  }

  /** Once the cancelled children ended: steps never started are cancelled too. */
  cancelUnstarted(): void {
    cancelUnstarted(this.state);
  }

  /** How the pipeline fails, if it does: the budget ran out (`fail`), or a step failed (`fail-fast`). */
  failure(): PipelineFailure | undefined {
    return pipelineFailureOf(this.stopFacts(), this.ledger(), () => this.resultSteps());
  }

  resultSteps(): Record<string, StepResult> {
    return resultSteps(this.state, this.ids.workflowId);
  }

  /** The pipeline's result; the phase becomes `completed`, or `partial` when a step did not complete. */
  result(
    steps: Record<string, StepResult>,
    startedAtMs: number,
    finishedAtMs: number,
    executions = 1,
  ): PipelineResult {
    const head = { workflowId: this.ids.workflowId, name: this.spec.name, ledger: this.ledger() };
    return resultOf(this.state, head, steps, startedAtMs, finishedAtMs, executions);
  }

  /**
   * The state the next execution starts from, once no run is in flight (see carry.ts). `carryGaps` (the
   * workflow's patch check) is asked only when a resume left an ended run after one that never started.
   */
  carry(carryGaps: () => boolean): Pick<ContinuedPipeline, 'steps' | 'firstFailure'> | undefined {
    return carrySteps(this.graph, this.firstFailure, carryGaps);
  }

  /** An execution continued as new: each step as the last one left it (see carry.ts). */
  restore(continued: Pick<ContinuedPipeline, 'steps' | 'firstFailure'>, now: string): void {
    this.firstFailure = continued.firstFailure;
    restoreSteps(this.graph, continued.steps, now);
  }
}
