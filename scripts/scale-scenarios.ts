/**
 * Large-pipeline scenarios for scripts/record-histories.ts (issue 9, "Large pipelines"): a forEach
 * that crosses several continue-as-new boundaries, recorded before the change, after it and straddling it.
 */
import type { RunPipelineInput } from '../src/pipelines/types';
import { FAST } from '../test/helpers/env';
import type { Scenario } from './record-histories';

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
        await ctx.saveWorkflow('scale-before-pipeline-foreach-child-frames-0', `${handle.workflowId}/frames/0`);
      },
    },
  ];
}
