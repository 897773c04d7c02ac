/**
 * A resumed pipeline taking the runs its earlier execution paid for: which steps are offered runs (once
 * each, when ready), taking or declining them, and what the reused runs save of the plan's price. Pure.
 */
import type { PipelinePlan } from './plan';
import type { ReuseCheck, ReuseOffer } from './scheduler-types';
import type { StepGraph } from './step-graph';
import type { PipelineReuse } from './wire';

export class ReuseTaker {
  /** Steps whose reuse offer was taken or declined (each is decided once). */
  private readonly decided = new Set<string>();

  constructor(
    private readonly graph: StepGraph,
    private readonly reuse: PipelineReuse | undefined,
  ) {}

  /** This execution was resumed (it may have nothing to offer). */
  get resumed(): boolean {
    return this.reuse !== undefined;
  }

  /** Some step is offered runs. */
  offersAny(): boolean {
    return this.reuse !== undefined && Object.values(this.reuse.steps).some((runs) => runs.length > 0);
  }

  /** What the offered runs cost in the plan (runs past a step's planned count are not counted). */
  reusedCostUsd(plan: PipelinePlan): number {
    let reused = 0;
    for (const step of plan.steps) {
      const runs =
        step.fanOut.kind === 'list' ? step.fanOut.items.length : step.fanOut.kind === 'none' ? 1 : 0;
      const offered = (this.reuse?.steps[step.id] ?? []).filter((r) => r.index < runs).length;
      reused += offered * step.technique.runCost;
    }
    return reused;
  }

  /** Pending steps, ready to run, offered runs and not decided yet. */
  offers(): ReuseOffer[] {
    if (this.reuse === undefined) return [];
    const offers: ReuseOffer[] = [];
    for (const step of this.graph.steps) {
      const runs = this.reuse.steps[step.id];
      if (runs === undefined || runs.length === 0 || this.decided.has(step.id)) continue;
      if (step.phase !== 'pending') continue;
      const deps = this.graph.dependencies(step);
      if (!deps.every((d) => d.phase === 'completed')) continue;
      // Its inputs are the same as in the earlier execution only when every run it reads from was taken
      // from there too; a dependency that ran again (an expired output, say) gave new outputs.
      if (deps.some((d) => d.runs.some((r) => r.reused === undefined))) {
        this.decided.add(step.id);
        continue;
      }
      offers.push({ step, runs });
    }
    return offers;
  }

  decline(offers: ReuseOffer[]): void {
    for (const offer of offers) this.decided.add(offer.step.id);
  }

  /**
   * Takes the offered runs into their steps: each becomes a completed run with the earlier outputs, charged
   * nothing here (its earlier charge is shown as `reused`). A run with an output whose URL no longer answers
   * is taken only when the worker has a saved copy of each such output; otherwise it runs again, saying why.
   */
  take(offers: ReuseOffer[], checks: ReuseCheck[][], now: string): void {
    const from = this.reuse?.from;
    if (from === undefined) return;
    offers.forEach((offer, o) => {
      const { step } = offer;
      this.decided.add(step.id);
      this.graph.expand(step, now);
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
      this.graph.settle(step, now);
    });
  }
}
