/**
 * Fixture scenarios for runs with `options.activityTaskQueue`: their polls run as regular activities on
 * that queue (`flora-polls-on-activity-task-queue-v1`) instead of as local activities in the workflow
 * worker, which in that set-up need not hold a FLORA client. "Before" (`aq-before-*`) was recorded on
 * BEFORE_POLLS_ON_ACTIVITY_QUEUE (local polls), "after" (`aq-*`) on the change, and the straddle starts on
 * the old code and hands over after its first (local) poll.
 */
import { createFloraActivityWorker } from '../src/worker/worker';
import { statusQuery } from '../src/workflows';
import type { RunPipelineInput } from '../src/pipelines/types';
import type { RunTechniqueInput } from '../src/workflows/types';
import { FAST } from '../test/helpers/env';
import type { RecordContext, Scenario } from './record-histories';

/** main before polls followed `options.activityTaskQueue`. */
const BEFORE_POLLS_ON_ACTIVITY_QUEUE = '34bf3e2';

/** The FLORA activity queue of these scenarios (fixed, so the histories name the same queue each time). */
const ACTIVITY_QUEUE = 'fixture-flora-activities';

const fox = (options: RunTechniqueInput['options'] = FAST): RunTechniqueInput => ({
  technique: 'text-to-image',
  inputs: { prompt: 'fox' },
  options: { ...options, activityTaskQueue: ACTIVITY_QUEUE },
});

const pipeline: RunPipelineInput = {
  spec: {
    name: 'activity-queue',
    options: { ...FAST, activityTaskQueue: ACTIVITY_QUEUE },
    steps: [
      { id: 'still', technique: 'text-to-image', inputs: { prompt: 'fox' } },
      { id: 'clip', technique: 'image-to-video', inputs: { input_image: { fromStep: 'still' } } },
    ],
  },
};

/** Runs `body` with a FLORA-only activity worker serving ACTIVITY_QUEUE. */
async function withActivityWorker(ctx: RecordContext, body: () => Promise<void>): Promise<void> {
  const worker = await createFloraActivityWorker({
    connection: ctx.h.env.nativeConnection,
    namespace: ctx.h.env.namespace ?? 'default',
    taskQueue: ACTIVITY_QUEUE,
    flora: ctx.h.flora,
  });
  const running = worker.run();
  try {
    await body();
  } finally {
    worker.shutdown();
    await running;
  }
}

function technique(name: string): Scenario {
  return {
    name,
    record: (ctx) =>
      withActivityWorker(ctx, async () => {
        await ctx.save(name, await ctx.startTechnique(name, fox()));
      }),
  };
}

function pipelineScenario(name: string): Scenario {
  return {
    name,
    files: [name, `${name}-child-clip-0`],
    record: (ctx) =>
      withActivityWorker(ctx, async () => {
        const handle = await ctx.startPipeline(name, pipeline);
        await ctx.save(name, handle);
        await ctx.saveWorkflow(`${name}-child-clip-0`, `${handle.workflowId}/clip/0`);
      }),
  };
}

export function activityQueueScenarios(): Scenario[] {
  return [
    technique('aq-before-completed-nested'),
    pipelineScenario('aq-before-pipeline'),
    technique('aq-completed-nested'),
    pipelineScenario('aq-pipeline'),
    {
      name: 'straddle-aq-completed-nested',
      record: (ctx) =>
        withActivityWorker(ctx, async () => {
          // Long enough that the current code polls more than once after the handover.
          ctx.h.sim.setRunDuration(6_000);
          await ctx.straddle('straddle-aq-completed-nested', {
            from: BEFORE_POLLS_ON_ACTIVITY_QUEUE,
            start: (queue) =>
              ctx.startTechnique(
                'straddle-aq-completed-nested',
                fox({ pollMinMs: 500, pollMaxMs: 1_000 }),
                queue,
              ),
            handoverWhen: async (handle) => (await handle.query(statusQuery)).polls >= 1,
          });
        }),
    },
  ];
}
