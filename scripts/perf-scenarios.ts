/**
 * Fixture scenarios for issue 11's runTechnique changes: polls as local activities
 * (`flora-poll-local-activity-v1`) and the predictive cadence (`flora-predictive-cadence-v1`). "Before" is
 * covered by the `names-*` and `issue9-*` fixtures (recorded on the code before both changes); "after" by the
 * `perf-*` ones below; the straddle starts on BEFORE_ISSUE_11 and hands over after its first poll, so its
 * later polls take both patches.
 */
import { statusQuery } from '../src/workflows';
import type { RunTechniqueInput } from '../src/workflows/types';
import { FAST } from '../test/helpers/env';
import type { RecordContext, Scenario } from './record-histories';

/** main before issue 11's workflow changes. */
const BEFORE_ISSUE_11 = '9a1c43b';

const fox: RunTechniqueInput = { technique: 'text-to-image', inputs: { prompt: 'fox' }, options: FAST };

function simple(name: string, input: RunTechniqueInput, before?: (ctx: RecordContext) => void): Scenario {
  return {
    name,
    async record(ctx) {
      before?.(ctx);
      await ctx.save(name, await ctx.startTechnique(name, input));
    },
  };
}

export function perfScenarios(): Scenario[] {
  return [
    simple('perf-poll-not-found', fox, (ctx) =>
      ctx.h.sim.addFault('getRun', { kind: 'status4xx', status: 404, count: 2 }),
    ),
    simple('perf-poll-unauthorized', fox, (ctx) =>
      ctx.h.sim.addFault('getRun', { kind: 'status4xx', status: 401, count: 2 }),
    ),
    // A poll answered 429 with retry-after 1 s: the local activity's own retry, at the delay FLORA asked.
    simple('perf-poll-rate-limited', fox, (ctx) =>
      ctx.h.sim.addFault('getRun', { kind: 'rateLimit', retryAfterSeconds: 1, count: 1 }),
    ),
    // The regular-activity poll, kept as an option.
    simple('perf-poll-mode-activity', { ...fox, options: { ...FAST, pollMode: 'activity' } }),
    {
      name: 'straddle-perf-completed-nested',
      async record(ctx) {
        // Long enough that the current code, after the handover, polls more than once (the cadence's patch
        // is checked when it waits, after a poll that did not find the run done).
        ctx.h.sim.setRunDuration(15_000);
        await ctx.straddle('straddle-perf-completed-nested', {
          from: BEFORE_ISSUE_11,
          start: (queue) =>
            ctx.startTechnique(
              'straddle-perf-completed-nested',
              {
                technique: 'text-to-image',
                inputs: { prompt: 'fox' },
                options: { pollMinMs: 500, pollMaxMs: 1_000 },
              },
              queue,
            ),
          handoverWhen: async (handle) => (await handle.query(statusQuery)).polls >= 1,
        });
      },
    },
  ];
}
