/**
 * Activities of the two baseline patterns from Temporal's guidance on polling, written for FLORA:
 * a create (same idempotent body as ours), then either one long activity that polls and heartbeats
 * (frequent polling), or one short check that fails until the run is done (infrequent polling: the
 * retry policy is the timer). Used by the benchmark only.
 */
import { ApplicationFailure, Context, heartbeat } from '@temporalio/activity';
import type { FloraClient } from '../../src/flora/client';

export interface BaselineRun {
  slug: string;
  runId: string;
}

export interface BaselineCreate {
  slug: string;
  prompt: string;
  idempotencyKey: string;
}

export interface BaselineOutcome {
  runId: string;
  status: string;
  progress: number;
  polls: number;
}

const terminal = (status: string): boolean => status === 'completed' || status === 'failed';

export function createBaselineActivities(flora: FloraClient) {
  return {
    async baselineCreate(req: BaselineCreate): Promise<BaselineRun> {
      const created = await flora.createRunNested({
        slug: req.slug,
        inputs: [{ id: 'prompt', type: 'text', value: req.prompt }],
        idempotencyKey: req.idempotencyKey,
      });
      return { slug: req.slug, runId: created.data.run_id };
    },

    /** Frequent polling: one activity for the whole run, a poll every `intervalMs`, a heartbeat after each. */
    async baselinePollHeartbeating(run: BaselineRun & { intervalMs: number }): Promise<BaselineOutcome> {
      const ctx = Context.current();
      let polls = 0;
      for (;;) {
        const snapshot = await flora.getRun({ technique: run.slug, runId: run.runId });
        polls += 1;
        if (terminal(snapshot.status)) {
          return { runId: run.runId, status: snapshot.status, progress: snapshot.progress ?? 0, polls };
        }
        heartbeat({ progress: snapshot.progress });
        await ctx.sleep(run.intervalMs);
      }
    },

    /** Infrequent polling: one poll; not done yet is a retryable failure. */
    async baselineCheckOnce(run: BaselineRun): Promise<BaselineOutcome> {
      const snapshot = await flora.getRun({ technique: run.slug, runId: run.runId });
      if (!terminal(snapshot.status)) {
        throw ApplicationFailure.retryable(`run ${run.runId} is ${snapshot.status}`, 'NotDoneYet');
      }
      const attempt = Context.current().info.attempt;
      return { runId: run.runId, status: snapshot.status, progress: snapshot.progress ?? 0, polls: attempt };
    },
  };
}

export type BaselineActivities = ReturnType<typeof createBaselineActivities>;
