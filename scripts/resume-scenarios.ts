/**
 * Scenarios for a resumed pipeline (`startPipeline(spec, { resume: true })`, issue 9): the execution is
 * handed the runs an earlier one paid for (`reuse` on its wire input) and takes them instead of creating
 * them. Before the `PipelineResume` patch the field is ignored (every step runs); after it the reused step
 * creates nothing; the straddle starts on the old code (waiting for a budget raise) and reuses on the new.
 */
import type { PipelineReuse, RunPipelineWireInput } from '../src/pipelines/wire';
import { progressQuery, raiseBudgetUpdate } from '../src/workflows';
import type { RunTechniqueResult } from '../src/workflows/types';
import { FAST } from '../test/helpers/env';
import type { RecordContext, Scenario } from './record-histories';

/** The last commit before `pipeline-resume-reuses-paid-runs-v1`. */
export const BEFORE_PIPELINE_RESUME = '48552f58a20148b4907d39099ec74d6f302e7e2f';

/** A real run to reuse: its output URL is served by the recorder's simulator, so the check finds it live. */
async function paidPoster(ctx: RecordContext, name: string): Promise<PipelineReuse> {
  const source = await ctx.startTechnique(`${name}-source`, {
    technique: 'text-to-image',
    inputs: { prompt: 'fox' },
    options: FAST,
  });
  const run = (await source.result()) as RunTechniqueResult;
  return {
    from: { workflowId: `fixture-${name}`, runId: 'an-earlier-execution' },
    steps: {
      poster: [{ index: 0, runId: run.runId, outputs: run.outputs, chargedUsd: run.chargedCost }],
    },
  };
}

function resumed(reuse: PipelineReuse, budgetUsd?: number): RunPipelineWireInput {
  return {
    spec: {
      name: 'resumed',
      options: FAST,
      ...(budgetUsd !== undefined ? { budgetUsd, onBudgetExceeded: 'wait' as const } : {}),
      steps: [
        { id: 'poster', technique: 'text-to-image', inputs: { prompt: 'fox' } },
        { id: 'voice', technique: 'text-to-speech', inputs: { text: 'hello' } },
      ],
    },
    reuse,
  };
}

export function resumeScenarios(): Scenario[] {
  return [
    // Recorded on the code before the patch (`reuse` is ignored and both steps run), and on the code after.
    ...['resume-before-pipeline', 'resume-pipeline'].map((name): Scenario => ({
      name,
      async record(ctx) {
        await ctx.save(name, await ctx.startPipeline(name, resumed(await paidPoster(ctx, name))));
      },
    })),
    {
      // Started on the old code, which waits for a raise (the whole plan is above the budget); the raise is
      // sent to the new code, which reuses the poster when it reaches it.
      name: 'straddle-resume-pipeline',
      async record(ctx) {
        const reuse = await paidPoster(ctx, 'straddle-resume-pipeline');
        await ctx.straddle('straddle-resume-pipeline', {
          from: BEFORE_PIPELINE_RESUME,
          start: (queue) => ctx.startPipeline('straddle-resume-pipeline', resumed(reuse, 0.01), queue),
          handoverWhen: async (handle) => (await handle.query(progressQuery)).phase === 'waiting-budget',
          afterHandover: async (handle) => {
            await handle.executeUpdate(raiseBudgetUpdate, { args: [10] });
          },
        });
      },
    },
  ];
}
