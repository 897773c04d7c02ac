/**
 * Fixture scenarios for `flora-cadence-corrects-overhead-v1` (each wait shortened by the measured poll-cycle
 * overhead). "Before" is covered by the `perf-*` fixtures (several plain timer cycles on the code before
 * it, local and regular-activity polls); "after" by the `overhead-*` ones below. The patch is asked once a
 * cycle has been measured (the third wait), so the straddle hands over after the first poll.
 */
import { statusQuery } from '../src/workflows';
import type { RunTechniqueInput } from '../src/workflows/types';
import type { Scenario } from './record-histories';

/** main before the overhead correction. */
const BEFORE_OVERHEAD_CORRECTION = 'fc1afc059ab04958c39a96513c43c2d82f88e34b';

/** Bounds wide enough that the correction shows in the timers: several polls in an 8 s run. */
const options = { pollMinMs: 500, pollMaxMs: 1_000 } as const;
const fox: RunTechniqueInput = { technique: 'text-to-image', inputs: { prompt: 'fox' }, options };

function after(name: string, input: RunTechniqueInput): Scenario {
  return {
    name,
    async record(ctx) {
      ctx.h.sim.setRunDuration(8_000);
      await ctx.save(name, await ctx.startTechnique(name, input));
    },
  };
}

export function overheadScenarios(): Scenario[] {
  return [
    after('overhead-completed-nested', fox),
    after('overhead-poll-mode-activity', { ...fox, options: { ...options, pollMode: 'activity' } }),
    {
      name: 'straddle-overhead-completed-nested',
      async record(ctx) {
        ctx.h.sim.setRunDuration(15_000);
        await ctx.straddle('straddle-overhead-completed-nested', {
          from: BEFORE_OVERHEAD_CORRECTION,
          start: (queue) => ctx.startTechnique('straddle-overhead-completed-nested', fox, queue),
          handoverWhen: async (handle) => (await handle.query(statusQuery)).polls >= 1,
        });
      },
    },
  ];
}
