/**
 * Fixture scenarios for `flora-webhook-sparse-fallback-v1`: a run with a `callbackUrl` polls up to
 * `fallbackPollMaxMs` apart, plus one poll aimed past the predicted end. The "before" histories are the
 * `hook-*` ones (webhook-race-scenarios.ts), recorded on the fallback cadence this patch replaces; the
 * straddle starts on BEFORE_SPARSE_FALLBACK and hands over after its first poll, so the patched call comes
 * on the current code.
 */
import { statusQuery } from '../src/workflows';
import type { RunTechniqueInput } from '../src/workflows/types';
import type { RecordContext, Scenario } from './record-histories';
import { withReceiver } from './webhook-race-scenarios';

/** main before the sparse fallback (runs with a callback polled near pollMaxMs). */
const BEFORE_SPARSE_FALLBACK = 'fc1afc059ab04958c39a96513c43c2d82f88e34b';
const CALLBACK_BASE = 'https://hooks.flora-temporal.test/flora/webhook';

const fox = (options: RunTechniqueInput['options']): RunTechniqueInput => ({
  technique: 'text-to-image',
  inputs: { prompt: 'fox' },
  options: { ...options, callbackUrl: CALLBACK_BASE },
});

/** Every callback lost: sparse polls, one aimed at the predicted end, until one finds the end. */
function lost(name: string): Scenario {
  return {
    name,
    record: (ctx: RecordContext) =>
      withReceiver(ctx, { dropRate: 1 }, async () => {
        ctx.h.sim.setRunDuration(5_000);
        const input = fox({ pollMinMs: 300, pollMaxMs: 500, fallbackPollMaxMs: 1_500 });
        await ctx.save(name, await ctx.startTechnique(name, input));
      }),
  };
}

/** The callback arrives: one sparse poll before it, then the callback wakes the wait and one poll confirms. */
function woken(name: string): Scenario {
  return {
    name,
    record: (ctx: RecordContext) =>
      withReceiver(ctx, {}, async () => {
        ctx.h.sim.setRunDuration(3_000);
        const input = fox({ pollMinMs: 300, pollMaxMs: 500, fallbackPollMaxMs: 2_000 });
        await ctx.save(name, await ctx.startTechnique(name, input));
      }),
  };
}

export function sparseFallbackScenarios(): Scenario[] {
  return [
    lost('sparse-lost-callback'),
    woken('sparse-callback-woken'),
    {
      name: 'straddle-sparse-lost-callback',
      record: (ctx) =>
        withReceiver(ctx, { dropRate: 1 }, async () => {
          ctx.h.sim.setRunDuration(12_000);
          await ctx.straddle('straddle-sparse-lost-callback', {
            from: BEFORE_SPARSE_FALLBACK,
            start: (queue) =>
              ctx.startTechnique(
                'straddle-sparse-lost-callback',
                // The old code ignores fallbackPollMaxMs (unknown options are dropped); the new one uses it.
                fox({ pollMinMs: 1_000, pollMaxMs: 1_000, fallbackPollMaxMs: 3_000 }),
                queue,
              ),
            handoverWhen: async (handle) => (await handle.query(statusQuery)).polls >= 1,
          });
        }),
    },
  ];
}
