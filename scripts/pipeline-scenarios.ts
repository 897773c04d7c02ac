/**
 * More runPipeline scenarios for scripts/record-histories.ts: fail-fast with a cancelled sibling, the
 * budget running out (`fail`, and `wait` up front and mid-run with raiseBudget), forEach over a step's
 * outputs, a cancelled pipeline and steps that download their outputs.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { FloraClient } from '../src/flora/client';
import type { PipelineSpecInput } from '../src/pipelines/spec';
import { startSimulator } from '../src/simulator';
import { progressQuery, raiseBudgetSignal, raiseBudgetUpdate } from '../src/workflows';
import { FAST, startWorker, taskQueue } from '../test/helpers/env';
import { waitFor } from '../test/helpers/failures';
import type { RecordContext, Scenario } from './record-histories';

const IMAGE = 'https://images.example.com/fox.png';

/** A storyboard of three frames, then one clip per frame: the price is known only after the storyboard. */
export function storyboardClips(name: string, extra: Partial<PipelineSpecInput>): PipelineSpecInput {
  return {
    name,
    options: FAST,
    ...extra,
    steps: [
      { id: 'board', technique: 'storyboard', inputs: { prompt: 'fox' } },
      {
        id: 'clips',
        technique: 'image-to-video',
        forEach: { fromStep: 'board' },
        inputs: { input_image: { item: true } },
      },
    ],
  };
}

export const FAIL_FAST: PipelineSpecInput = {
  name: 'fail-fast',
  options: FAST,
  steps: [
    { id: 'doomed', technique: 'text-to-image', inputs: { prompt: 'fox [sim:fail=safety_blocked]' } },
    { id: 'slow', technique: 'image-to-video', inputs: { input_image: IMAGE } },
    { id: 'after', technique: 'image-to-video', inputs: { input_image: { fromStep: 'doomed' } } },
  ],
};

export const BUDGET_WAIT: PipelineSpecInput = {
  name: 'budget-wait',
  budgetUsd: 0.1,
  onBudgetExceeded: 'wait',
  options: FAST,
  steps: [
    { id: 'poster', technique: 'text-to-image', inputs: { prompt: 'fox' } },
    { id: 'clip', technique: 'image-to-video', inputs: { input_image: { fromStep: 'poster' } } },
  ],
};

/** Waits until the pipeline's progress query shows `phase`. */
export async function waitForPhase(handle: WorkflowHandle, phase: string): Promise<void> {
  await waitFor(`pipeline phase ${phase}`, async () =>
    (await handle.query(progressQuery)).phase === phase ? true : undefined,
  );
}

export function morePipelineScenarios(prefix: string, frozen: boolean): Scenario[] {
  const simple = (
    name: string,
    spec: PipelineSpecInput,
    before?: (ctx: RecordContext) => void,
  ): Scenario => ({
    name: `${prefix}${name}`,
    frozen,
    async record(ctx) {
      before?.(ctx);
      await ctx.save(`${prefix}${name}`, await ctx.startPipeline(`${prefix}${name}`, { spec }));
    },
  });
  return [
    // fail-fast: one step fails while a sibling's FLORA run is still going; the sibling is cancelled.
    simple('pipeline-fail-fast', FAIL_FAST, (ctx) => ctx.h.sim.setRunDuration(60_000, 'image-to-video')),
    // The budget runs out mid-run with `fail`.
    simple('pipeline-budget-fail', storyboardClips('budget-fail', { budgetUsd: 0.7, concurrency: 1 })),
    // forEach over a step's outputs, the runs in parallel.
    simple('pipeline-foreach', storyboardClips('foreach', {})),
    {
      // The plan is over budget up front with `wait`; raiseBudget lets it run.
      name: `${prefix}pipeline-budget-wait`,
      frozen,
      async record(ctx) {
        const handle = await ctx.startPipeline(`${prefix}pipeline-budget-wait`, { spec: BUDGET_WAIT });
        await waitForPhase(handle, 'waiting-budget');
        await handle.signal(raiseBudgetSignal, 1);
        await ctx.save(`${prefix}pipeline-budget-wait`, handle);
      },
    },
    {
      // The budget runs out mid-run with `wait`; raiseBudget resumes it.
      name: `${prefix}pipeline-budget-wait-midrun`,
      frozen,
      async record(ctx) {
        const handle = await ctx.startPipeline(`${prefix}pipeline-budget-wait-midrun`, {
          spec: storyboardClips('budget-wait-midrun', {
            budgetUsd: 0.4,
            concurrency: 1,
            onBudgetExceeded: 'wait',
          }),
        });
        await waitForPhase(handle, 'waiting-budget');
        await handle.signal(raiseBudgetSignal, 2);
        await ctx.save(`${prefix}pipeline-budget-wait-midrun`, handle);
      },
    },
    {
      // Cancelled while two steps run and a third waits for one of them.
      name: `${prefix}pipeline-cancelled`,
      frozen,
      async record(ctx) {
        ctx.h.sim.setRunDuration(20_000);
        const handle = await ctx.startPipeline(`${prefix}pipeline-cancelled`, {
          spec: {
            name: 'cancelled',
            options: FAST,
            steps: [
              { id: 'a', technique: 'image-to-video', inputs: { input_image: IMAGE } },
              { id: 'b', technique: 'cctv-cam', inputs: { input_image: IMAGE } },
              { id: 'c', technique: 'caption-image', inputs: { image: { fromStep: 'b' } } },
            ],
          },
        });
        await waitFor('both runs reported', async () => {
          const p = await handle.query(progressQuery);
          return p.steps.flatMap((s) => s.runs.map((r) => r.runId)).filter(Boolean).length === 2
            ? true
            : undefined;
        });
        await handle.cancel();
        await ctx.save(`${prefix}pipeline-cancelled`, handle);
      },
    },
    {
      // Steps with options.downloadTo, on a worker with a download root and a simulator that serves the
      // files (on loopback http, which a step input would refuse: the steps are independent).
      name: `${prefix}pipeline-download`,
      frozen,
      async record(ctx) {
        const root = await mkdtemp(join(tmpdir(), 'flora-fixture-downloads-'));
        const sim = await startSimulator({ runDurationMs: 400, serveFiles: true });
        const flora = new FloraClient({ baseUrl: sim.baseUrl, apiKey: sim.apiKey, timeoutMs: 2_000 });
        const worker = await startWorker(ctx.h, taskQueue(), flora, { downloadRoot: root });
        try {
          const handle = await ctx.startPipeline(
            `${prefix}pipeline-download`,
            {
              spec: {
                name: 'download',
                options: { ...FAST, downloadTo: 'fixture' },
                steps: [
                  { id: 'poster', technique: 'text-to-image', inputs: { prompt: 'fox' } },
                  { id: 'voice', technique: 'text-to-speech', inputs: { text: 'hello' } },
                ],
              },
            },
            worker.taskQueue,
          );
          await ctx.save(`${prefix}pipeline-download`, handle);
        } finally {
          await worker.stop();
          await flora.close();
          await sim.close();
          await rm(root, { recursive: true, force: true });
        }
      },
    },
  ];
}

/** main after the scheduler refactor, before issue 9's pipeline patches. */
const BEFORE_PIPELINE_MONEY = '66e5793';

/**
 * Issue 9's pipeline patches: the paths recorded on the new code (`issue9-*`), and histories that start
 * on the code before the patches and finish on it (`straddle-pipeline-*`), each reaching the patched
 * decision after the handover.
 */
export function pipelineMoneyScenarios(): Scenario[] {
  const parallelBudget = storyboardClips('budget-fail-parallel', { budgetUsd: 0.7 });
  return [
    ...morePipelineScenarios('issue9-', false),
    {
      // Two clips in flight when the third does not fit: `fail` waits for them before deciding.
      name: 'issue9-pipeline-budget-fail-parallel',
      async record(ctx) {
        const name = 'issue9-pipeline-budget-fail-parallel';
        await ctx.save(name, await ctx.startPipeline(name, { spec: parallelBudget }));
      },
    },
    {
      // raiseBudget as an update (accepted and completed in the history).
      name: 'issue9-pipeline-budget-update',
      async record(ctx) {
        const name = 'issue9-pipeline-budget-update';
        const handle = await ctx.startPipeline(name, { spec: BUDGET_WAIT });
        await waitForPhase(handle, 'waiting-budget');
        await handle.executeUpdate(raiseBudgetUpdate, { args: [1] });
        await ctx.save(name, handle);
      },
    },
    {
      // Child keys and the budget rule: the clips launch after the handover.
      name: 'straddle-pipeline-budget-fail-parallel',
      async record(ctx) {
        ctx.h.sim.setRunDuration(2_000, 'storyboard');
        const name = 'straddle-pipeline-budget-fail-parallel';
        await ctx.straddle(name, {
          from: BEFORE_PIPELINE_MONEY,
          start: (queue) => ctx.startPipeline(name, { spec: parallelBudget }, queue),
          handoverWhen: async (handle) =>
            (await handle.query(progressQuery)).steps.some((s) => s.runs.some((r) => r.progress > 0)),
        });
      },
    },
    {
      // Freeing on proof and fail-fast keeping paid work: the failure comes after the handover.
      name: 'straddle-pipeline-fail-fast',
      async record(ctx) {
        ctx.h.sim.setRunDuration(2_500, 'text-to-image');
        ctx.h.sim.setRunDuration(5_000, 'image-to-video');
        const name = 'straddle-pipeline-fail-fast';
        await ctx.straddle(name, {
          from: BEFORE_PIPELINE_MONEY,
          start: (queue) => ctx.startPipeline(name, { spec: FAIL_FAST }, queue),
          handoverWhen: async (handle) =>
            (await handle.query(progressQuery)).steps.every((s) => s.id === 'after' || s.runs[0]?.runId),
        });
      },
    },
    {
      // The raiseBudget signal after the handover.
      name: 'straddle-pipeline-budget-wait',
      async record(ctx) {
        const name = 'straddle-pipeline-budget-wait';
        await ctx.straddle(name, {
          from: BEFORE_PIPELINE_MONEY,
          start: (queue) => ctx.startPipeline(name, { spec: BUDGET_WAIT }, queue),
          handoverWhen: async (handle) => (await handle.query(progressQuery)).phase === 'waiting-budget',
          afterHandover: async (handle) => handle.signal(raiseBudgetSignal, 1),
        });
      },
    },
  ];
}
