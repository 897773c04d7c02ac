/**
 * Fixture scenarios for the runTechnique money paths of issue 9, one group per patch: "before" (frozen,
 * recorded on the code before the change), "after" (the current code, carrying the patch marker) and a
 * straddle (started on the code before the change, finished on the current code).
 */
import type { WorkflowHandle } from '@temporalio/client';
import { statusQuery } from '../src/workflows';
import type { RunPipelineInput } from '../src/pipelines/types';
import type { RunTechniqueInput } from '../src/workflows/types';
import { FAST } from '../test/helpers/env';
import type { RecordContext, Scenario } from './record-histories';

/** main before the issue 9 runTechnique changes landed (their "before" fixtures were recorded on it). */
const BEFORE_ISSUE_9 = '221eb81';

const fox: RunTechniqueInput = { technique: 'text-to-image', inputs: { prompt: 'fox' }, options: FAST };
/** First poll after 2 s: time for a straddle to hand over between the create and the first poll. */
const SLOW_FIRST_POLL = { pollMinMs: 2_000, pollMaxMs: 2_000 };

const cancelledDuringCreate = (name: string): RunPipelineInput => ({
  spec: {
    name,
    options: FAST,
    steps: [{ id: 'only', technique: 'text-to-image', inputs: { prompt: 'fox' } }],
  },
});

/** Cancels the pipeline `handle` once its one child is creating (its create delayed by a latency fault). */
async function cancelWhenChildCreates(ctx: RecordContext, handle: WorkflowHandle): Promise<boolean> {
  const child = ctx.h.env.client.workflow.getHandle(`${handle.workflowId}/only/0`);
  const phase = await child
    .query(statusQuery)
    .then((s) => s.phase)
    .catch(() => undefined);
  if (phase !== 'creating') return false;
  await handle.cancel();
  return true;
}

async function waitUntil(check: () => Promise<boolean>): Promise<void> {
  const until = Date.now() + 60_000;
  while (!(await check().catch(() => false))) {
    if (Date.now() > until) throw new Error('condition never held');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Status phase `polling` with no poll yet: the create is done, the first poll's timer runs. */
const beforeFirstPoll = async (handle: WorkflowHandle) => {
  const s = await handle.query(statusQuery);
  return s.phase === 'polling' && s.polls === 0 && s.runId !== undefined;
};

function simple(
  name: string,
  input: RunTechniqueInput,
  before?: (ctx: RecordContext) => void,
  frozen = false,
): Scenario {
  return {
    name,
    frozen,
    async record(ctx) {
      before?.(ctx);
      await ctx.save(name, await ctx.startTechnique(name, input));
    },
  };
}

function cancelledScenario(name: string, frozen: boolean): Scenario {
  return {
    name,
    files: [name, `${name}-child`],
    frozen,
    async record(ctx) {
      ctx.h.sim.addFault('createRunNested', { kind: 'latency', latencyMs: 3000, count: 1 });
      const handle = await ctx.startPipeline(name, cancelledDuringCreate(name));
      await waitUntil(() => cancelWhenChildCreates(ctx, handle));
      await ctx.save(name, handle);
      await ctx.saveWorkflow(`${name}-child`, `${handle.workflowId}/only/0`);
    },
  };
}

const notFound = (ctx: RecordContext) =>
  ctx.h.sim.addFault('getRun', { kind: 'status4xx', status: 404, count: 2 });
const unauthorized = (ctx: RecordContext) =>
  ctx.h.sim.addFault('getRun', { kind: 'status4xx', status: 401, count: 2 });
const filesGone = (ctx: RecordContext) =>
  ctx.h.sim.addFault('getFile', { kind: 'status4xx', status: 404, count: 20 });
const lostCreate409 = (ctx: RecordContext) => {
  ctx.h.sim.setIdempotencyMode('conflict');
  ctx.h.sim.addFault('createRunNested', { kind: 'dropResponse', count: 1 });
};
const downloaded = (dir: string): RunTechniqueInput => ({ ...fox, options: { ...FAST, downloadTo: dir } });
const recreate = { ...fox, options: { ...FAST, recreateDelayMs: 500 } };

function straddleTechnique(
  name: string,
  input: RunTechniqueInput,
  setup: (ctx: RecordContext) => void,
  handoverWhen: (handle: WorkflowHandle) => Promise<boolean> = beforeFirstPoll,
): Scenario {
  return {
    name,
    async record(ctx) {
      setup(ctx);
      await ctx.straddle(name, {
        from: BEFORE_ISSUE_9,
        start: (queue) => ctx.startTechnique(name, input, queue),
        handoverWhen,
      });
    },
  };
}

export function moneyScenarios(): Scenario[] {
  return [
    // Before: recorded on BEFORE_ISSUE_9's workflow code (with the simulator's status4xx fault).
    simple(
      'poll-not-found',
      fox,
      (ctx) => ctx.h.sim.addFault('getRun', { kind: 'status4xx', status: 404, count: 1 }),
      true,
    ),
    simple(
      'poll-unauthorized',
      fox,
      (ctx) => ctx.h.sim.addFault('getRun', { kind: 'status4xx', status: 401, count: 1 }),
      true,
    ),
    { ...simple('downloaded', downloaded('fixtures/downloaded'), undefined, true), servesFiles: true },
    {
      ...simple('download-failed', downloaded('fixtures/download-failed'), filesGone, true),
      servesFiles: true,
    },
    cancelledScenario('pipeline-cancelled-during-create', true),

    // After: the current code takes each new path.
    simple('issue9-recreated-after-model-timeout', recreate, (ctx) =>
      ctx.h.sim.queueRunFailure('text-to-image', 'model_timeout'),
    ),
    simple('issue9-poll-not-found', fox, notFound),
    simple('issue9-poll-unauthorized', fox, unauthorized),
    simple('issue9-adopted-after-409', fox, lostCreate409),
    {
      ...simple('issue9-download-failed', downloaded('fixtures/issue9-download-failed'), filesGone),
      servesFiles: true,
    },
    cancelledScenario('issue9-pipeline-cancelled-during-create', false),

    // Straddles: started before each change, finished after it.
    straddleTechnique(
      'straddle-recreate-backoff',
      { ...recreate, options: { ...recreate.options, ...SLOW_FIRST_POLL } },
      (ctx) => ctx.h.sim.queueRunFailure('text-to-image', 'model_timeout'),
    ),
    straddleTechnique('straddle-poll-not-found', { ...fox, options: SLOW_FIRST_POLL }, notFound),
    straddleTechnique('straddle-poll-unauthorized', { ...fox, options: SLOW_FIRST_POLL }, unauthorized),
    {
      ...straddleTechnique(
        'straddle-download-failed',
        { ...fox, options: { ...SLOW_FIRST_POLL, downloadTo: 'fixtures/straddle-download-failed' } },
        filesGone,
      ),
      servesFiles: true,
    },
    straddleTechnique(
      'straddle-adopted-after-409',
      fox,
      (ctx) => {
        // The schema read is slow, so the old worker hands over before the create.
        ctx.h.sim.addFault('getTechnique', { kind: 'latency', latencyMs: 3000, count: 1 });
        lostCreate409(ctx);
      },
      async (handle) => (await handle.query(statusQuery)).phase === 'validating',
    ),
    {
      name: 'straddle-pipeline-cancelled-during-create',
      files: ['straddle-pipeline-cancelled-during-create', 'straddle-pipeline-cancelled-during-create-child'],
      async record(ctx) {
        const name = 'straddle-pipeline-cancelled-during-create';
        ctx.h.sim.addFault('createRunNested', { kind: 'latency', latencyMs: 3000, count: 1 });
        await ctx.straddle(name, {
          from: BEFORE_ISSUE_9,
          start: (queue) => ctx.startPipeline(name, cancelledDuringCreate(name), queue),
          // Cancelled while the child's create is in flight on the old worker; the child learns the
          // create's outcome on the current code.
          handoverWhen: (handle) => cancelWhenChildCreates(ctx, handle),
          alsoSave: [[`${name}-child`, `fixture-${name}/only/0`]],
        });
      },
    },
  ];
}
