/**
 * Fixture scenarios for runs with a `callbackUrl` whose last poll was not woken by the callback: the
 * callback was lost (polling finds the end), or it landed while the poll that found the end was still
 * running in its workflow task. "Before" (`hook-before-*`) was recorded on BEFORE_WEBHOOK_END_RACE, "after"
 * (`hook-*`) on the change, and the straddle starts on the old code and hands over after its first poll.
 */
import { FloraClient } from '../src/flora/client';
import { startWebhookReceiver } from '../src/webhooks/receiver';
import { floraRunEventSignal, statusQuery } from '../src/workflows';
import type { RunTechniqueInput } from '../src/workflows/types';
import { startWorker } from '../test/helpers/env';
import type { RecordContext, Scenario } from './record-histories';

/** main before the webhook fallback cadence and the end in the task after the poll. */
const BEFORE_WEBHOOK_END_RACE = '980533a';
const CALLBACK_BASE = 'https://hooks.flora-temporal.test/flora/webhook';

/** Slow enough that the run's end and its callback fall inside the first poll (see `midPoll`). */
const MID_POLL = { runMs: 1_500, pollMs: 500, pollLatencyMs: 3_000 } as const;

/** Runs `body` with a webhook receiver the simulator delivers to (the TLS proxy a real one sits behind). */
export async function withReceiver(
  ctx: RecordContext,
  callbacks: { dropRate?: number },
  body: () => Promise<void>,
): Promise<void> {
  const receiver = await startWebhookReceiver({
    secrets: [ctx.h.sim.webhookSecret],
    client: ctx.h.env.client,
  });
  ctx.h.sim.setCallbacks({ deliverTo: new URL(receiver.url).origin, ...callbacks });
  try {
    await body();
  } finally {
    await receiver.close();
  }
}

const fox = (options: RunTechniqueInput['options']): RunTechniqueInput => ({
  technique: 'text-to-image',
  inputs: { prompt: 'fox' },
  options: { ...options, callbackUrl: CALLBACK_BASE },
});

/** The callback is lost: the poll that finds the end was woken by its timer. */
function lostCallback(name: string, failed: boolean): Scenario {
  return {
    name,
    record: (ctx) =>
      withReceiver(ctx, { dropRate: 1 }, async () => {
        ctx.h.sim.setRunDuration(1_500);
        if (failed) ctx.h.sim.queueRunFailure('text-to-image', 'safety_blocked');
        await ctx.save(name, await ctx.startTechnique(name, fox({ pollMinMs: 500, pollMaxMs: 500 })));
      }),
  };
}

/**
 * The poll timer fires before the run ends, FLORA holds that poll for 3 s (its answer says completed), and
 * the run's callback reaches the workflow meanwhile, while the workflow task that runs the poll is open.
 */
function midPoll(name: string): Scenario {
  return {
    name,
    record: (ctx) =>
      withReceiver(ctx, {}, async () => {
        ctx.h.sim.setRunDuration(MID_POLL.runMs);
        ctx.h.sim.addFault('getRun', { kind: 'latency', latencyMs: MID_POLL.pollLatencyMs, count: 1 });
        // The harness's client gives up after 2 s; this poll takes 3.
        const flora = new FloraClient({
          baseUrl: ctx.h.sim.baseUrl,
          apiKey: ctx.h.sim.apiKey,
          timeoutMs: 10_000,
        });
        const worker = await startWorker(ctx.h, undefined, flora);
        try {
          const { pollMs } = MID_POLL;
          const input = fox({ pollMinMs: pollMs, pollMaxMs: pollMs });
          await ctx.save(name, await ctx.startTechnique(name, input, worker.taskQueue));
        } finally {
          await worker.stop();
          await flora.close();
        }
      }),
  };
}

/**
 * A run event before the run ended (no real callback comes): the poll it wakes does not confirm it, so the
 * next waits come near `pollMinMs` and then near `pollMaxMs` again.
 */
function earlyCallback(name: string): Scenario {
  return {
    name,
    record: (ctx) =>
      withReceiver(ctx, { dropRate: 1 }, async () => {
        ctx.h.sim.setRunDuration(6_000);
        const handle = await ctx.startTechnique(name, fox({ pollMinMs: 500, pollMaxMs: 2_000 }));
        for (;;) {
          const { polls, runId } = await handle.query(statusQuery);
          if (polls >= 1 && runId !== undefined) {
            await handle.signal(floraRunEventSignal, { runId, type: 'run.completed' });
            break;
          }
          await new Promise((r) => setTimeout(r, 100));
        }
        await ctx.save(name, handle);
      }),
  };
}

export function webhookRaceScenarios(): Scenario[] {
  return [
    lostCallback('hook-before-lost-callback', false),
    lostCallback('hook-before-lost-callback-failed', true),
    midPoll('hook-before-callback-mid-poll'),
    // On the change: the fallback cadence, and the end in the task after the poll.
    lostCallback('hook-lost-callback', false),
    lostCallback('hook-lost-callback-failed', true),
    midPoll('hook-callback-mid-poll'),
    earlyCallback('hook-early-callback'),
    {
      name: 'straddle-hook-lost-callback',
      record: (ctx) =>
        withReceiver(ctx, { dropRate: 1 }, async () => {
          // Long enough that the current code, after the handover (a worker start), still polls more than once.
          ctx.h.sim.setRunDuration(15_000);
          await ctx.straddle('straddle-hook-lost-callback', {
            from: BEFORE_WEBHOOK_END_RACE,
            start: (queue) =>
              ctx.startTechnique(
                'straddle-hook-lost-callback',
                fox({ pollMinMs: 1_000, pollMaxMs: 1_000 }),
                queue,
              ),
            handoverWhen: async (handle) => (await handle.query(statusQuery)).polls >= 1,
          });
        }),
    },
  ];
}
