/**
 * Large-pipeline scenarios for scripts/record-histories.ts (issue 9, "Large pipelines"): a forEach
 * that crosses several continue-as-new boundaries, recorded before the change, after it and straddling it.
 */
import type { RunPipelineInput } from '../src/pipelines/types';
import { progressQuery } from '../src/workflows';
import { FAST } from '../test/helpers/env';
import type { Scenario } from './record-histories';

/** The main commit the large-pipeline changes started from. */
const BEFORE_SCALE = '9a1c43bbb02c4075cb1fea06714f4a0d226987a4';

/** A forEach of 12 prompts, 3 at a time. */
export function scaleForEach(name: string): RunPipelineInput {
  return {
    spec: {
      name,
      concurrency: 3,
      options: FAST,
      steps: [
        {
          id: 'frames',
          technique: 'text-to-image',
          forEach: Array.from({ length: 12 }, (_, i) => `fox ${i}`),
          inputs: { prompt: { item: true } },
        },
      ],
    },
  };
}

export function scaleScenarios(): Scenario[] {
  return [
    {
      // Recorded on the code before coalesced progress reports and batches (main at 9a1c43b).
      name: 'scale-before-pipeline-foreach',
      files: ['scale-before-pipeline-foreach', 'scale-before-pipeline-foreach-child-frames-0'],
      async record(ctx) {
        ctx.h.sim.setRunDuration(600);
        const handle = await ctx.startPipeline('scale-before-pipeline-foreach', scaleForEach('scale-before'));
        await ctx.save('scale-before-pipeline-foreach', handle);
        await ctx.saveWorkflow(
          'scale-before-pipeline-foreach-child-frames-0',
          `${handle.workflowId}/frames/0`,
        );
      },
    },
    {
      // Children report only a new run id and at most once a minute (Patches.CoalescedChildProgress).
      name: 'scale-coalesced-pipeline-foreach',
      files: ['scale-coalesced-pipeline-foreach', 'scale-coalesced-pipeline-foreach-child-frames-0'],
      async record(ctx) {
        ctx.h.sim.setRunDuration(600);
        const handle = await ctx.startPipeline(
          'scale-coalesced-pipeline-foreach',
          scaleForEach('scale-coalesced'),
        );
        await ctx.save('scale-coalesced-pipeline-foreach', handle);
        await ctx.saveWorkflow(
          'scale-coalesced-pipeline-foreach-child-frames-0',
          `${handle.workflowId}/frames/0`,
        );
      },
    },
    {
      // Children polling on the old code, finishing on the code that coalesces their reports.
      name: 'straddle-scale-coalesced-pipeline-foreach',
      files: [
        'straddle-scale-coalesced-pipeline-foreach',
        'straddle-scale-coalesced-pipeline-foreach-child-frames-0',
      ],
      async record(ctx) {
        ctx.h.sim.setRunDuration(4000);
        await ctx.straddle('straddle-scale-coalesced-pipeline-foreach', {
          from: BEFORE_SCALE,
          start: (queue) =>
            ctx.startPipeline(
              'straddle-scale-coalesced-pipeline-foreach',
              scaleForEach('straddle-scale-coalesced'),
              queue,
            ),
          handoverWhen: async (handle) =>
            (await handle.query(progressQuery)).steps.some((s) =>
              s.runs.some((r) => r.index === 0 && r.polls >= 1),
            ),
          alsoSave: [
            [
              'straddle-scale-coalesced-pipeline-foreach-child-frames-0',
              'fixture-straddle-scale-coalesced-pipeline-foreach/frames/0',
            ],
          ],
        });
      },
    },
    {
      // Batches of 5: the pipeline continues as new twice (Patches.PipelineBatches).
      name: 'scale-batches-pipeline-foreach',
      files: ['scale-batches-pipeline-foreach~first', 'scale-batches-pipeline-foreach~last'],
      async record(ctx) {
        ctx.h.sim.setRunDuration(600);
        const handle = await ctx.startPipeline('scale-batches-pipeline-foreach', {
          ...scaleForEach('scale-batches'),
          runsPerExecution: 5,
        });
        await handle.result();
        await ctx.save('scale-batches-pipeline-foreach~first', handle, handle.firstExecutionRunId);
        await ctx.save('scale-batches-pipeline-foreach~last', handle);
      },
    },
    {
      // Started on the code without batches (which ignores runsPerExecution), its first batch fills up
      // on the current code: that execution continues as new.
      name: 'straddle-scale-batches-pipeline-foreach',
      files: [
        'straddle-scale-batches-pipeline-foreach~first',
        'straddle-scale-batches-pipeline-foreach~last',
      ],
      async record(ctx) {
        ctx.h.sim.setRunDuration(2000);
        let firstRunId: string | undefined;
        await ctx.straddle('straddle-scale-batches-pipeline-foreach~last', {
          from: BEFORE_SCALE,
          start: async (queue) => {
            const handle = await ctx.startPipeline(
              'straddle-scale-batches-pipeline-foreach',
              { ...scaleForEach('straddle-scale-batches'), runsPerExecution: 5 },
              queue,
            );
            firstRunId = handle.firstExecutionRunId;
            return handle;
          },
          handoverWhen: async (handle) =>
            (await handle.query(progressQuery)).steps.some((s) => s.runs.some((r) => r.phase === 'running')),
        });
        const handle = ctx.h.env.client.workflow.getHandle('fixture-straddle-scale-batches-pipeline-foreach');
        await ctx.save('straddle-scale-batches-pipeline-foreach~first', handle, firstRunId);
      },
    },
  ];
}
