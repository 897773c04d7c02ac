/**
 * Fixture scenarios for `flora-lean-run-v2` and `flora-cadence-caps-overhead-v1` (the cycle overhead only
 * caps a wait at pollMaxMs less it). "Before" is covered by the `lean-*` and `overhead-*` fixtures (fresh
 * runs on the code before them, several corrected waits each). "After": a fresh run that takes the v2 lean
 * patch (so the cap is implied, no marker) with bounds wide enough that several far waits are capped. The
 * straddles start on BEFORE_LEAN_RUN_V2: one hands over after the first poll, so the cap patch is asked on
 * its own (the execution took the v1 lean patch) once a cycle has been measured; one continues as new after
 * the handover, so its next execution takes the v2 lean patch.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { statusQuery } from '../src/workflows';
import type { RunTechniqueInput } from '../src/workflows/types';
import type { Scenario } from './record-histories';

/** main before flora-lean-run-v2 and flora-cadence-caps-overhead-v1. */
const BEFORE_LEAN_RUN_V2 = '3883d5a109a484bcf82cf59df39063aa060db73a';

/**
 * Bounds with room for far waits (3 s less up to 0.3 s of jitter) that the cap shortens only when they
 * pass 3 s less the measured overhead: several of each in a 20 s run.
 */
const options = { pollMinMs: 1_000, pollMaxMs: 3_000 } as const;
const fox: RunTechniqueInput = { technique: 'text-to-image', inputs: { prompt: 'fox' }, options };

/** Slow enough polls that the handover (after the create, before the first poll) lands in between. */
const SLOW = { pollMinMs: 3_000, pollMaxMs: 4_000 } as const;

async function handoverBeforeFirstPoll(handle: WorkflowHandle): Promise<boolean> {
  const status = await handle.query(statusQuery);
  return status.runId !== undefined && status.polls === 0;
}

export function leanV2Scenarios(): Scenario[] {
  return [
    {
      name: 'lean-v2-caps-overhead-completed-nested',
      async record(ctx) {
        ctx.h.sim.setRunDuration(20_000);
        const name = 'lean-v2-caps-overhead-completed-nested';
        await ctx.save(name, await ctx.startTechnique(name, fox));
      },
    },
    {
      name: 'straddle-caps-overhead-completed-nested',
      async record(ctx) {
        ctx.h.sim.setRunDuration(20_000);
        await ctx.straddle('straddle-caps-overhead-completed-nested', {
          from: BEFORE_LEAN_RUN_V2,
          start: (queue) => ctx.startTechnique('straddle-caps-overhead-completed-nested', fox, queue),
          handoverWhen: async (handle) => (await handle.query(statusQuery)).polls >= 1,
        });
      },
    },
    {
      // Started before the v2 lean patch, continued as new after the handover: its next execution takes it.
      name: 'straddle-lean-v2-continued-as-new',
      files: ['straddle-lean-v2-continued-as-new~first', 'straddle-lean-v2-continued-as-new~last'],
      async record(ctx) {
        ctx.h.sim.setRunDuration(12_000);
        let firstRunId: string | undefined;
        await ctx.straddle('straddle-lean-v2-continued-as-new~last', {
          from: BEFORE_LEAN_RUN_V2,
          start: async (queue) => {
            const handle = await ctx.startTechnique(
              'straddle-lean-v2-continued-as-new',
              { ...fox, options: { ...SLOW, maxHistoryEvents: 20 } },
              queue,
            );
            firstRunId = handle.firstExecutionRunId;
            return handle;
          },
          handoverWhen: handoverBeforeFirstPoll,
        });
        const handle = ctx.h.env.client.workflow.getHandle('fixture-straddle-lean-v2-continued-as-new');
        await ctx.save('straddle-lean-v2-continued-as-new~first', handle, firstRunId);
      },
    },
  ];
}
