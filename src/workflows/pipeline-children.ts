/**
 * A pipeline's child `runTechnique` workflows, as Temporal calls: each started in its own cancellation
 * scope (so fail-fast can cancel the children that have no FLORA run and keep the others), its end
 * handed to the scheduler, and all of them awaited before the pipeline ends. The decisions (what to
 * launch, what a child's end means, what to cancel) are the scheduler's.
 */
import { CancellationScope, ParentClosePolicy, startChild } from '@temporalio/workflow';
import { FloraPipelineKey, FloraTechniqueKey } from '../domain/search-attribute-keys';
import type { Launch, PipelineScheduler, StopCancel } from '../pipelines/scheduler';
import { completedOutcome, outcomeOf } from './child-outcome';
import { runTechnique } from './run-technique';
import type { RunTechniqueResult } from './types';

const nowIso = () => new Date().toISOString();

export class PipelineChildren {
  /** Every child's scope: cancelling it cancels them all. */
  private readonly all = new CancellationScope();
  private readonly inFlight = new Map<string, Promise<void>>();
  /** One scope per child, by its workflow id. */
  private readonly scopes = new Map<string, CancellationScope>();

  constructor(
    private readonly scheduler: PipelineScheduler,
    /** The pipeline's name, and whether children carry the technique and pipeline as search attributes. */
    private readonly pipeline: { name: string; searchable: boolean },
    /** Called once a child ended and settled: the scheduler has something new to look at. */
    private readonly changed: () => void,
  ) {}

  /** Children started and not yet settled. */
  get size(): number {
    return this.inFlight.size;
  }

  start({ step, run, input }: Launch): void {
    const { name, searchable } = this.pipeline;
    const scope = new CancellationScope({ cancellable: true, parent: this.all });
    this.scopes.set(run.workflowId, scope);
    const promise = scope
      .run(async () => {
        const child = await startChild(runTechnique, {
          workflowId: run.workflowId,
          args: [input],
          parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
          ...(searchable
            ? {
                typedSearchAttributes: [
                  { key: FloraTechniqueKey, value: step.technique.slug ?? step.technique.techniqueId },
                  { key: FloraPipelineKey, value: name },
                ],
              }
            : {}),
          memo: { pipeline: name, step: step.id, index: run.index },
        });
        return child.result();
      })
      .then(
        (result: RunTechniqueResult) => this.scheduler.runEnded(run, step.id, completedOutcome(result)),
        (err: unknown) => this.scheduler.runEnded(run, step.id, outcomeOf(err)),
      )
      .finally(() => {
        this.scheduler.runSettled(step, run, nowIso());
        this.inFlight.delete(run.workflowId);
        this.scopes.delete(run.workflowId);
        this.changed();
      });
    this.inFlight.set(run.workflowId, promise);
  }

  /** Cancels what the scheduler decided to when the loop stopped. */
  cancel(decision: StopCancel): void {
    if (decision.kind === 'all') this.all.cancel();
    if (decision.kind === 'unpaid')
      for (const run of decision.runs) this.scopes.get(run.workflowId)?.cancel();
  }

  /** Runs already started are paid for: waits for them (or for their cancellation) to settle. */
  async settle(): Promise<void> {
    await CancellationScope.nonCancellable(() => Promise.all([...this.inFlight.values()]));
  }
}
