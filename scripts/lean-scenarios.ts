/**
 * Fixture scenarios for `flora-lean-run-v1`: one patch asked per execution standing for the older ones,
 * and the schema read as a local activity in the first workflow task. "Before" is covered by the `perf-*`
 * and `aq-before-*`/`aq-*` fixtures (recorded on the code before it); "after" by the `lean-*` ones (every
 * technique path, a failed schema read, a run on an activity queue, a pipeline); the straddles start on
 * BEFORE_LEAN_RUN and hand over after the create, before the first poll, so the current code answers the
 * older patches one by one (its first task replays without the lean marker), and the one that continues as
 * new takes the lean patch in its next execution.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { createFloraActivityWorker } from '../src/worker/worker';
import { statusQuery } from '../src/workflows';
import type { RunPipelineInput } from '../src/pipelines/types';
import type { RunTechniqueInput } from '../src/workflows/types';
import { FAST } from '../test/helpers/env';
import type { RecordContext, Scenario } from './record-histories';

/** main before flora-lean-run-v1. */
const BEFORE_LEAN_RUN = 'c464a16';

/** The FLORA activity queue of the activity-queue scenario (fixed, so the history names the same queue). */
const ACTIVITY_QUEUE = 'fixture-flora-activities';

const fox: RunTechniqueInput = { technique: 'text-to-image', inputs: { prompt: 'fox' }, options: FAST };

/** Slow enough polls that the handover (after the create, before the first poll) lands in between. */
const SLOW = { pollMinMs: 3_000, pollMaxMs: 4_000 } as const;

function simple(name: string, input: RunTechniqueInput, before?: (ctx: RecordContext) => void): Scenario {
  return {
    name,
    async record(ctx) {
      before?.(ctx);
      await ctx.save(name, await ctx.startTechnique(name, input));
    },
  };
}

/** Hands over once the run is created and before its first poll. */
async function handoverBeforeFirstPoll(handle: WorkflowHandle): Promise<boolean> {
  const status = await handle.query(statusQuery);
  return status.runId !== undefined && status.polls === 0;
}

const pipeline: RunPipelineInput = {
  spec: {
    name: 'lean',
    options: FAST,
    steps: [
      { id: 'still', technique: 'text-to-image', inputs: { prompt: 'fox' } },
      { id: 'clip', technique: 'image-to-video', inputs: { input_image: { fromStep: 'still' } } },
    ],
  },
};

export function leanScenarios(): Scenario[] {
  return [
    // A schema read that fails (404): the run fails with FLORA's not_found, as through the regular activity.
    simple('lean-technique-not-found', { technique: 'no-such-technique', inputs: {}, options: FAST }),
    // A schema read answered 429 once: the local activity's own retry, at the delay FLORA asked.
    simple('lean-technique-rate-limited', fox, (ctx) =>
      ctx.h.sim.addFault('getTechnique', { kind: 'rateLimit', retryAfterSeconds: 1, count: 1 }),
    ),
    // pollMode 'activity': the schema read stays a regular activity too.
    simple('lean-poll-mode-activity', { ...fox, options: { ...FAST, pollMode: 'activity' } }),
    {
      // activityTaskQueue: every FLORA request on that queue, the schema read included.
      name: 'lean-aq-completed-nested',
      async record(ctx) {
        const worker = await createFloraActivityWorker({
          connection: ctx.h.env.nativeConnection,
          namespace: ctx.h.env.namespace ?? 'default',
          taskQueue: ACTIVITY_QUEUE,
          flora: ctx.h.flora,
        });
        const running = worker.run();
        try {
          const input = { ...fox, options: { ...FAST, activityTaskQueue: ACTIVITY_QUEUE } };
          await ctx.save(
            'lean-aq-completed-nested',
            await ctx.startTechnique('lean-aq-completed-nested', input),
          );
        } finally {
          worker.shutdown();
          await running;
        }
      },
    },
    {
      // A pipeline's children are runTechnique executions: they take the lean patch; the pipeline does not.
      name: 'lean-pipeline',
      files: ['lean-pipeline', 'lean-pipeline-child-clip-0'],
      async record(ctx) {
        const handle = await ctx.startPipeline('lean-pipeline', pipeline);
        await ctx.save('lean-pipeline', handle);
        await ctx.saveWorkflow('lean-pipeline-child-clip-0', `${handle.workflowId}/clip/0`);
      },
    },
    {
      name: 'straddle-lean-completed-nested',
      async record(ctx) {
        ctx.h.sim.setRunDuration(8_000);
        await ctx.straddle('straddle-lean-completed-nested', {
          from: BEFORE_LEAN_RUN,
          start: (queue) =>
            ctx.startTechnique('straddle-lean-completed-nested', { ...fox, options: SLOW }, queue),
          handoverWhen: handoverBeforeFirstPoll,
        });
      },
    },
    {
      // Started before the patch, continued as new after the handover: its next execution takes it.
      name: 'straddle-lean-continued-as-new',
      files: ['straddle-lean-continued-as-new~first', 'straddle-lean-continued-as-new~last'],
      async record(ctx) {
        ctx.h.sim.setRunDuration(12_000);
        let firstRunId: string | undefined;
        await ctx.straddle('straddle-lean-continued-as-new~last', {
          from: BEFORE_LEAN_RUN,
          start: async (queue) => {
            const handle = await ctx.startTechnique(
              'straddle-lean-continued-as-new',
              { ...fox, options: { ...SLOW, maxHistoryEvents: 20 } },
              queue,
            );
            firstRunId = handle.firstExecutionRunId;
            return handle;
          },
          handoverWhen: handoverBeforeFirstPoll,
        });
        const handle = ctx.h.env.client.workflow.getHandle('fixture-straddle-lean-continued-as-new');
        await ctx.save('straddle-lean-continued-as-new~first', handle, firstRunId);
      },
    },
  ];
}
