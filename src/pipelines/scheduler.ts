/**
 * The pipeline's scheduling and billing rules, as a state machine the `runPipeline` workflow drives:
 * typed state in, decisions out (which runs to launch, when to stop and why, what a child's end does to
 * the ledger, how the pipeline ends). Pure: no Temporal, no clock (the caller passes `now`), so every
 * rule is unit-tested in milliseconds and the workflow keeps only the Temporal calls.
 */
import type { OutputRef } from '../workflows/types';
import { settleReservation, type EndEvidence } from './billing';
import { foldEndedRuns, noEarlierRuns } from './carry';
import { CURRENT_RULES, SHIPPED_RULES, type Rules } from './rules';
import { budgetLeftUsd, EPSILON_USD, ledgerOf } from './ledger';
import { listsEveryRun, resultStep } from './summary';
import { resolveInputs, roundUsd, type PipelinePlan, type PlannedStep } from './plan';
import type { PipelineSpec } from './spec';
import type { PipelineState } from './state';
import {
  PipelineFailureType,
  type Ledger,
  type PipelineResult,
  type StepResult,
  type StepRunProgress,
} from './types';
import type {
  ChildRunInput,
  ContinuedPipeline,
  ContinuedStep,
  PipelineReuse,
  ReusedRunInput,
  StepState,
} from './wire';

export { PipelineFailureType };
export { CURRENT_RULES, SHIPPED_RULES, type Rules };

/** A step a resume offers runs for, ready to take them (its dependencies completed): the workflow checks them. */
export interface ReuseOffer {
  step: StepState;
  runs: ReusedRunInput[];
}

/** What the output check found, per offered run (same order as `ReuseOffer.runs`). */
export interface ReuseCheck {
  /** Outputs whose URL did not answer, and why. */
  expired: { outputId: string; url: string; problem: string }[];
  /** Outputs whose URL could not be checked (no answer): taken anyway, and noted. */
  unchecked?: { outputId: string; url: string; problem: string }[];
  /** Saved copies the worker has. */
  localFiles: { outputId: string; file: string }[];
}

/** The pipeline's workflow id and its first execution's run id (stable across resets and continue-as-new). */
export interface PipelineIds {
  workflowId: string;
  firstExecutionRunId: string;
}

export interface RunError {
  type: string;
  message: string;
}

/** How a child ended, as the workflow learned it. */
export type ChildOutcome =
  | {
      kind: 'completed';
      runId: string;
      polls: number;
      outputs: OutputRef[];
      chargedCost: number;
      /** The run completed (and was charged) but saving its outputs failed. */
      downloadError?: RunError | undefined;
    }
  | { kind: 'failed'; error: RunError; evidence: EndEvidence }
  | { kind: 'cancelled'; error: RunError; evidence: EndEvidence };

/** What to cancel when the loop stops. */
export type StopCancel =
  | { kind: 'none' }
  | { kind: 'all' }
  /** Only these runs: FLORA has runs for the others, which finish and keep their outputs. */
  | { kind: 'unpaid'; runs: StepRunProgress[] };

/** One child to start now. */
export interface Launch {
  step: StepState;
  run: StepRunProgress;
  planned: PlannedStep;
  /** The child's input, with its inputs resolved from earlier steps' outputs. */
  input: ChildRunInput;
}

export type StopReason = 'fail-fast' | 'budget' | 'done';

/** One pass of the scheduler: children to start (in this order), and whether the loop ends after them. */
export interface Pass {
  launches: Launch[];
  /** A run failed before it could start (an input could not be resolved): look again at once. */
  changed: boolean;
  stop: StopReason | undefined;
}

/** A failure to end the pipeline with: the workflow turns it into a non-retryable ApplicationFailure. */
export interface PipelineFailure {
  type: string;
  message: string;
  details: unknown[];
}

export type UpfrontBudget = { kind: 'ok' } | { kind: 'fail'; failure: PipelineFailure } | { kind: 'wait' };

interface StepEntry {
  planned: PlannedStep;
  progress: StepState;
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

function unfinished(step: StepState): boolean {
  return step.phase === 'pending' || step.phase === 'running' || step.phase === 'waiting-budget';
}

export class PipelineScheduler {
  private readonly entries = new Map<string, StepEntry>();
  private firstFailure: { step: string; index: number; error: RunError } | undefined;
  private budgetFailure: string | undefined;
  /** Steps whose reuse offer was taken or declined (each is decided once). */
  private readonly reuseDecided = new Set<string>();
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
    private readonly reuse: PipelineReuse | undefined = undefined,
  ) {
    const planned = new Map(plan.steps.map((s) => [s.id, s]));
    state.plannedCostUsd = plan.plannedCostUsd;
    state.steps = [];
    for (const id of plan.order) {
      const step = planned.get(id);
      if (step === undefined) continue; // the planner puts every step in the order, and only those
      const progress = newStep(step);
      this.entries.set(id, { planned: step, progress });
      state.steps.push(progress);
    }
  }

  ledger(): Ledger {
    return ledgerOf(this.state.steps, this.state.budgetUsd, this.state.plannedCostUsd);
  }

  private budgetLeft(): number {
    return budgetLeftUsd(this.state.steps, this.state.budgetUsd);
  }

  private outputsOf = (stepId: string): OutputRef[][] => {
    const step = this.entries.get(stepId)?.progress;
    if (step === undefined) return [];
    return [...(step.earlier?.outputs ?? []), ...step.runs.map((r) => r.outputs)];
  };

  private dependencies(step: StepState): StepState[] {
    return step.dependsOn.flatMap((id) => {
      const dep = this.entries.get(id);
      return dep ? [dep.progress] : [];
    });
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
    if (full === undefined || !this.hasReuse() || !this.rules.reuseFromResume()) return full;
    let reused = 0;
    for (const step of this.plan.steps) {
      const runs =
        step.fanOut.kind === 'list' ? step.fanOut.items.length : step.fanOut.kind === 'none' ? 1 : 0;
      const offered = (this.reuse?.steps[step.id] ?? []).filter((r) => r.index < runs).length;
      reused += offered * step.technique.runCost;
    }
    this.plannedAfterReuse = roundUsd(Math.max(0, full - reused));
    this.state.plannedCostUsd = this.plannedAfterReuse;
    return this.plannedAfterReuse;
  }

  private hasReuse(): boolean {
    return this.reuse !== undefined && Object.values(this.reuse.steps).some((runs) => runs.length > 0);
  }

  /**
   * Steps ready to run (dependencies completed) that the resume offers runs for and that were not decided
   * yet. The workflow checks their outputs, then calls `takeReuse` (or `declineReuse`), before `next`.
   */
  reuseOffers(): ReuseOffer[] {
    if (this.reuse === undefined) return [];
    if (this.firstFailure && this.spec.onStepFailure === 'fail-fast') return [];
    this.skipBlocked();
    const offers: ReuseOffer[] = [];
    for (const step of this.state.steps) {
      const runs = this.reuse.steps[step.id];
      if (runs === undefined || runs.length === 0 || this.reuseDecided.has(step.id)) continue;
      if (step.phase !== 'pending') continue;
      const deps = this.dependencies(step);
      if (!deps.every((d) => d.phase === 'completed')) continue;
      // Its inputs are the same as in the earlier execution only when every run it reads from was taken
      // from there too; a dependency that ran again (an expired output, say) gave new outputs.
      if (deps.some((d) => d.runs.some((r) => r.reused === undefined))) {
        this.reuseDecided.add(step.id);
        continue;
      }
      offers.push({ step, runs });
    }
    return offers;
  }

  /** The rule said no (a history recorded before resumes): the steps run as usual. */
  declineReuse(offers: ReuseOffer[]): void {
    for (const offer of offers) this.reuseDecided.add(offer.step.id);
  }

  /**
   * Takes the offered runs into their steps: each becomes a completed run with the earlier outputs, charged
   * nothing here (its earlier charge is shown as `reused`). A run with an output whose URL no longer answers
   * is taken only when the worker has a saved copy of each such output; otherwise it runs again, saying why.
   */
  takeReuse(offers: ReuseOffer[], checks: ReuseCheck[][], now: string): void {
    const from = this.reuse?.from;
    if (from === undefined) return;
    offers.forEach((offer, o) => {
      const { step } = offer;
      this.reuseDecided.add(step.id);
      this.expand(step, now);
      offer.runs.forEach((reused, r) => {
        const run = step.runs[reused.index];
        const check = checks[o]?.[r];
        if (run === undefined || run.phase !== 'pending' || check === undefined) return;
        const saved = new Set(check.localFiles.map((f) => f.outputId));
        const lost = check.expired.filter((e) => !saved.has(e.outputId));
        if (lost.length > 0) {
          run.notReused =
            `FLORA run ${reused.runId} from the earlier execution was not reused: ` +
            lost.map((e) => `output "${e.outputId}" (${e.url}) ${e.problem}`).join('; ') +
            ', and no saved copy was found: it runs again and is billed';
          return;
        }
        run.phase = 'completed';
        run.runId = reused.runId;
        run.progress = 100;
        run.outputs = reused.outputs;
        run.chargedUsd = 0;
        run.reservedUsd = 0;
        run.reused = {
          workflowId: from.workflowId,
          workflowRunId: from.runId,
          chargedUsd: reused.chargedUsd,
          ...(check.expired.length > 0 ? { expired: check.expired } : {}),
          ...(check.unchecked?.length ? { unchecked: check.unchecked } : {}),
          ...(check.localFiles.length > 0 ? { localFiles: check.localFiles } : {}),
        };
        run.startedAt = now;
        run.finishedAt = now;
      });
      this.settleStep(step, now);
    });
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
    if (this.firstFailure && this.spec.onStepFailure === 'fail-fast') {
      pass.stop = 'fail-fast';
      return pass;
    }
    this.skipBlocked();
    for (const step of this.state.steps) {
      if (step.phase === 'pending' && this.dependencies(step).every((d) => d.phase === 'completed'))
        this.expand(step, now);
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
        const launch = this.launch(step, run, now);
        if (launch) {
          pass.launches.push(launch);
          running += 1;
        } else {
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

  /** Steps whose dependencies failed (or were skipped or cancelled) are skipped, transitively. */
  private skipBlocked(): void {
    let changed = true;
    while (changed) {
      changed = false;
      for (const step of this.state.steps) {
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
  private expand(step: StepState, now: string): void {
    step.runs = this.runsFrom(step, 0);
    step.phase = 'running';
    step.startedAt = now;
    if (step.runs.length === 0) this.settleStep(step, now); // forEach over a step with no outputs: nothing to do
  }

  /** The step's forEach elements (one undefined element for a step without forEach). */
  private itemsOf(step: StepState): (string | undefined)[] {
    const fanOut = this.entries.get(step.id)?.planned.fanOut;
    if (fanOut === undefined || fanOut.kind === 'none') return [undefined];
    if (fanOut.kind === 'list') return fanOut.items;
    return this.outputsOf(fanOut.fromStep)
      .flat()
      .map((o) => o.url);
  }

  /** Pending runs for the step's elements from index `from` on. */
  private runsFrom(step: StepState, from: number): StepRunProgress[] {
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

  /** Reserves the run's price and builds the child's input; a run whose inputs cannot be resolved fails here. */
  private launch(step: StepState, run: StepRunProgress, now: string): Launch | undefined {
    const entry = this.entries.get(step.id);
    if (entry === undefined) return undefined;
    const p = entry.planned;
    const resolved = resolveInputs(p, run.item, this.outputsOf);
    run.startedAt = now;
    if (!resolved.ok) {
      run.phase = 'failed';
      run.error = { type: PipelineFailureType.StepFailed, message: resolved.problem };
      run.finishedAt = run.startedAt;
      this.firstFailure ??= { step: step.id, index: run.index, error: run.error };
      this.settleStep(step, now);
      return undefined;
    }
    run.phase = 'running';
    run.reservedUsd = step.runCost;
    const input: ChildRunInput = {
      ...p.target,
      inputs: resolved.inputs,
      options: {
        ...p.options,
        // One directory per run, so outputs with the same id from different steps never collide.
        ...(p.options.downloadTo !== undefined
          ? { downloadTo: `${p.options.downloadTo}/${step.id}-${run.index}` }
          : {}),
        // A child's own default key comes from its own first execution, which a reset of the pipeline
        // replaces: the same step would be created (and billed) again. This key survives resets.
        ...(this.rules.childKeysFromPipeline()
          ? { idempotencyKey: childIdempotencyKey(this.ids.firstExecutionRunId, step.id, run.index) }
          : {}),
      },
      schema: p.technique,
      reportTo: { workflowId: this.ids.workflowId, step: step.id, index: run.index },
    };
    return { step, run, planned: p, input };
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
    this.settleStep(step, now);
  }

  private settleStep(step: StepState, now: string): void {
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

  /**
   * After the loop: what to cancel. fail-fast after a failure cancels the children still running; since
   * `Patches.PipelineKeepPaidWork` only those without a FLORA run (FLORA has no cancel, so cancelling a
   * created run saves nothing and throws its outputs away).
   */
  cancelOnStop(): StopCancel {
    const first = this.firstFailure;
    if (!first || this.spec.onStepFailure !== 'fail-fast') return { kind: 'none' };
    if (!this.rules.keepPaidWork()) {
      this.state.note = `step "${first.step}" failed: cancelling running steps`;
      return { kind: 'all' };
    }
    const running = this.state.steps.flatMap((s) => s.runs.filter((r) => r.phase === 'running'));
    const unpaid = running.filter((r) => r.runId === undefined);
    this.state.note =
      `step "${first.step}" failed: cancelling ${unpaid.length} run(s) not yet created at FLORA; ` +
      `${running.length - unpaid.length} run(s) FLORA already has finish and keep their outputs`;
    return { kind: 'unpaid', runs: unpaid };
  }

  /** Once every started child ended: steps never reached are skipped, saying why. */
  skipUnreached(): void {
    for (const step of this.state.steps) {
      if (step.phase === 'pending' || step.phase === 'waiting-budget') {
        step.phase = 'skipped';
        step.skippedReason ??= this.budgetFailure
          ? 'the budget ran out'
          : this.firstFailure
            ? `the pipeline stopped after step "${this.firstFailure.step}" failed`
            : 'not reached';
      }
    }
  }

  /** The pipeline itself was cancelled. */
  cancelling(): void {
    this.state.phase = 'cancelled';
    this.state.note =
      'Cancelled: running steps were cancelled; their FLORA runs keep going at FLORA (it has no cancel).';
  }

  /** Once the cancelled children ended: steps never started are cancelled too. */
  cancelUnstarted(): void {
    for (const step of this.state.steps)
      if (step.phase === 'pending' || step.phase === 'waiting-budget') step.phase = 'cancelled';
  }

  /** How the pipeline fails, if it does: the budget ran out (`fail`), or a step failed (`fail-fast`). */
  failure(): PipelineFailure | undefined {
    if (this.budgetFailure) {
      return {
        type: PipelineFailureType.BudgetExceeded,
        message: `Budget reached: ${this.budgetFailure}. Runs already started finished; nothing more was created.`,
        details: [{ ledger: this.ledger(), steps: this.resultSteps() }],
      };
    }
    const first = this.firstFailure;
    if (first && this.spec.onStepFailure === 'fail-fast') {
      return {
        type: first.error.type,
        message: `Step "${first.step}" (run ${first.index}) failed: ${first.error.message}`,
        details: [{ step: first.step, index: first.index, ledger: this.ledger(), steps: this.resultSteps() }],
      };
    }
    return undefined;
  }

  resultSteps(): Record<string, StepResult> {
    const all = listsEveryRun(this.state.steps);
    return Object.fromEntries(
      this.state.steps.map((s) => {
        const started = s.startedAt ? Date.parse(s.startedAt) : undefined;
        const finished = s.finishedAt ? Date.parse(s.finishedAt) : undefined;
        const status: StepResult['status'] =
          s.phase === 'completed' || s.phase === 'failed' || s.phase === 'cancelled' ? s.phase : 'skipped';
        return [
          s.id,
          {
            status,
            technique: s.technique,
            ...resultStep(s, all, this.ids.workflowId),
            skippedReason: s.skippedReason,
            durationMs: started !== undefined && finished !== undefined ? finished - started : undefined,
          },
        ];
      }),
    );
  }

  /** The pipeline's result; the phase becomes `completed`, or `partial` when a step did not complete. */
  result(
    steps: Record<string, StepResult>,
    startedAtMs: number,
    finishedAtMs: number,
    executions = 1,
  ): PipelineResult {
    const skipped = this.state.steps
      .filter((s) => s.phase === 'skipped')
      .map((s) => ({ step: s.id, reason: s.skippedReason ?? 'skipped' }));
    const partial = this.state.steps.some((s) => s.phase !== 'completed');
    this.state.phase = partial ? 'partial' : 'completed';
    return {
      workflowId: this.ids.workflowId,
      name: this.spec.name,
      status: partial ? 'partial' : 'completed',
      steps,
      ledger: this.ledger(),
      timings: {
        startedAt: new Date(startedAtMs).toISOString(),
        finishedAt: new Date(finishedAtMs).toISOString(),
        durationMs: finishedAtMs - startedAtMs,
      },
      skipped,
      ...(executions > 1 ? { executions } : {}),
    };
  }

  /** Whether a later step that has not finished reads this step's outputs. */
  private outputsNeeded(stepId: string): boolean {
    return this.plan.steps.some((p) => {
      const phase = this.entries.get(p.id)?.progress.phase;
      if (phase !== 'pending' && phase !== 'running' && phase !== 'waiting-budget') return false;
      if (p.fanOut.kind === 'step' && p.fanOut.fromStep === stepId) return true;
      return Object.values(p.inputs).some(
        (i) => (i.kind === 'output-id' || i.kind === 'output-index') && i.fromStep === stepId,
      );
    });
  }

  /**
   * The state the next execution starts from, once no run is in flight: each step's ended runs summed
   * (with their outputs while a later step reads them). Undefined when it cannot be carried (a run in
   * flight, or an ended run after one that never started).
   */
  carry(): Pick<ContinuedPipeline, 'steps' | 'firstFailure'> | undefined {
    const steps: ContinuedStep[] = [];
    for (const step of this.state.steps) {
      if (step.runs.some((r) => r.phase === 'running')) return undefined;
      const keep = this.outputsNeeded(step.id);
      const folded = foldEndedRuns(step.earlier ?? noEarlierRuns(keep), step.runs, keep);
      if (folded === undefined) return undefined;
      steps.push({
        id: step.id,
        phase: step.phase,
        total: (step.earlier?.count ?? 0) + step.runs.length,
        earlier: folded.earlier,
        skippedReason: step.skippedReason,
        startedAt: step.startedAt,
        finishedAt: step.finishedAt,
      });
    }
    return { steps, firstFailure: this.firstFailure };
  }

  /**
   * An execution continued as new: each step as the last one left it. Runs that had ended are in
   * `earlier`; the others are pending again under the same indexes (so the same child ids and keys).
   */
  restore(continued: Pick<ContinuedPipeline, 'steps' | 'firstFailure'>, now: string): void {
    this.firstFailure = continued.firstFailure;
    for (const carried of continued.steps) {
      const step = this.entries.get(carried.id)?.progress;
      if (step === undefined) continue;
      step.phase = carried.phase;
      step.skippedReason = carried.skippedReason;
      step.startedAt = carried.startedAt;
      step.finishedAt = carried.finishedAt;
      step.earlier = carried.earlier;
      step.runs =
        carried.phase === 'running' || carried.phase === 'waiting-budget'
          ? this.runsFrom(step, carried.earlier.count).slice(0, carried.total - carried.earlier.count)
          : [];
      if (step.runs.length === 0) this.settleStep(step, now);
    }
  }
}

/** A child's idempotency key: the pipeline's first execution, the step and the run's index. */
export function childIdempotencyKey(firstExecutionRunId: string, stepId: string, index: number): string {
  return `${firstExecutionRunId}-${stepId}-${index}`;
}
