/**
 * A resumed pipeline whose batch fills up while an ended (reused) run follows one that never started:
 * runs 1 and 3 of four are taken from an earlier execution, and the batch (one run) is full once run 0
 * launched. Before `Patches.PipelineCarryGaps` the carry was refused and the execution ran every remaining
 * run itself; after it, the reused run 3 is carried as it is and the execution continues as new.
 */
import type { PipelineReuse, RunPipelineWireInput } from '../src/pipelines/wire';
import { progressQuery } from '../src/workflows';
import type { RunTechniqueResult } from '../src/workflows/types';
import { FAST } from '../test/helpers/env';
import type { RecordContext, Scenario } from './record-histories';

/** The last commit before `pipeline-carry-runs-after-a-gap-v1`. */
const BEFORE_CARRY_GAPS = '75c38ac9af1147ea4a8a6aa77afefd3b457de970';

/** Runs 1 and 3 of the step, from a real run whose output URL the recorder's simulator serves. */
async function paidFrames(ctx: RecordContext, name: string): Promise<PipelineReuse> {
  const source = await ctx.startTechnique(`${name}-source`, {
    technique: 'text-to-image',
    inputs: { prompt: 'fox' },
    options: FAST,
  });
  const run = (await source.result()) as RunTechniqueResult;
  const taken = (index: number) => ({
    index,
    runId: run.runId,
    outputs: run.outputs,
    chargedUsd: run.chargedCost,
  });
  return {
    from: { workflowId: `fixture-${name}`, runId: 'an-earlier-execution' },
    steps: { frames: [taken(1), taken(3)] },
  };
}

function gapped(reuse: PipelineReuse): RunPipelineWireInput {
  return {
    spec: {
      name: 'carry-gap',
      concurrency: 1,
      options: FAST,
      steps: [
        {
          id: 'frames',
          technique: 'text-to-image',
          forEach: ['fox 0', 'fox 1', 'fox 2', 'fox 3'],
          inputs: { prompt: { item: true } },
        },
      ],
    },
    reuse,
    runsPerExecution: 1,
  };
}

export function carryGapScenarios(): Scenario[] {
  return [
    {
      // On the code before the patch: the carry is refused and the one execution runs runs 0 and 2.
      name: 'carry-gap-before-pipeline',
      async record(ctx) {
        const reuse = await paidFrames(ctx, 'carry-gap-before-pipeline');
        const handle = await ctx.startPipeline('carry-gap-before-pipeline', gapped(reuse));
        await ctx.save('carry-gap-before-pipeline', handle);
      },
    },
    {
      // After it: the first execution carries run 3 as it is and continues as new.
      name: 'carry-gap-pipeline',
      files: ['carry-gap-pipeline~first', 'carry-gap-pipeline~last'],
      async record(ctx) {
        const reuse = await paidFrames(ctx, 'carry-gap-pipeline');
        const handle = await ctx.startPipeline('carry-gap-pipeline', gapped(reuse));
        await handle.result();
        await ctx.save('carry-gap-pipeline~first', handle, handle.firstExecutionRunId);
        await ctx.save('carry-gap-pipeline~last', handle);
      },
    },
    {
      // Started on the old code (run 0 in flight), its full batch tries to carry on the new code.
      name: 'straddle-carry-gap-pipeline',
      files: ['straddle-carry-gap-pipeline~first', 'straddle-carry-gap-pipeline~last'],
      async record(ctx) {
        ctx.h.sim.setRunDuration(2000);
        const reuse = await paidFrames(ctx, 'straddle-carry-gap-pipeline');
        let firstRunId: string | undefined;
        await ctx.straddle('straddle-carry-gap-pipeline~last', {
          from: BEFORE_CARRY_GAPS,
          start: async (queue) => {
            const handle = await ctx.startPipeline('straddle-carry-gap-pipeline', gapped(reuse), queue);
            firstRunId = handle.firstExecutionRunId;
            return handle;
          },
          handoverWhen: async (handle) =>
            (await handle.query(progressQuery)).steps.some((s) => s.runs.some((r) => r.phase === 'running')),
        });
        const handle = ctx.h.env.client.workflow.getHandle('fixture-straddle-carry-gap-pipeline');
        await ctx.save('straddle-carry-gap-pipeline~first', handle, firstRunId);
      },
    },
  ];
}
