/**
 * Fixture scenarios for runs with a `callbackUrl` whose last poll was not woken by the callback: the
 * callback was lost (polling finds the end), or it landed while the poll that found the end was still
 * running in its workflow task. "Before" (`hook-before-*`) was recorded on BEFORE_WEBHOOK_END_RACE, "after"
 * (`hook-*`) on the change, and the straddle starts on the old code and hands over after its first poll.
 */
import { FloraClient } from '../src/flora/client';
import { startWebhookReceiver } from '../src/webhooks/receiver';
import { statusQuery } from '../src/workflows';
import type { RunTechniqueInput } from '../src/workflows/types';
import { startWorker } from '../test/helpers/env';
import type { RecordContext, Scenario } from './record-histories';

/** main before the webhook fallback cadence and the end in the task after the poll. */
const BEFORE_WEBHOOK_END_RACE = '980533a';
const CALLBACK_BASE = 'https://hooks.flora-temporal.test/flora/webhook';

/** Slow enough that the run's end and its callback fall inside the first poll (see `midPoll`). */
const MID_POLL = { runMs: 1_500, pollMs: 500, pollLatencyMs: 3_000 } as const;

/** Runs `body` with a webhook receiver the simulator delivers to (the TLS proxy a real one sits behind). */
async function withReceiver(
  ctx: RecordContext,
  callbacks: { dropRate?: number },
  body: () => Promise<void>,
): Promise<void> {
  const receiver = await startWebhookReceiver({ secrets: [ctx.h.sim.webhookSecret], client: ctx.h.env.client });
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
        const flora = new FloraClient({ baseUrl: ctx.h.sim.baseUrl, apiKey: ctx.h.sim.apiKey, timeoutMs: 10_000 });
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

export function webhookRaceScenarios(): Scenario[] {
  return [
    lostCallback('hook-before-lost-callback', false),
    lostCallback('hook-before-lost-callback-failed', true),
    midPoll('hook-before-callback-mid-poll'),
  ];
}
