/**
 * Sparse fallback polling of runs with a `callbackUrl` (flora-webhook-sparse-fallback-v1), end to end: the
 * real dev server, a worker, the simulator sending (or losing) signed callbacks and the receiver. The
 * assertions count FLORA's poll requests and history events, never time.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { temporal } from '@temporalio/proto';
import type { WorkflowHandle } from '@temporalio/client';
import { runTechnique } from '../src/workflows';
import { Patches } from '../src/workflows/patches';
import { tookPatch } from './helpers/patches';
import type { RunTechniqueInput, RunTechniqueResult } from '../src/workflows/types';
import { startWebhookReceiver, type ListeningWebhookReceiver } from '../src/webhooks/receiver';
import { expectWorkflowFailure } from './helpers/failures';
import { startHarness, startWorker, type Harness, type RunningWorker } from './helpers/env';

const EventType = temporal.api.enums.v1.EventType;
const CALLBACK_BASE = 'https://hooks.flora-temporal.test/flora/webhook';
const PROMPT = { technique: 'text-to-image', inputs: { prompt: 'a fox' } } as const;
/** A plain cadence that polls about every second: what a callback run's fallback was before the patch. */
const QUICK = { pollMinMs: 500, pollMaxMs: 1_000 } as const;

let h: Harness;
let worker: RunningWorker;
let receiver: ListeningWebhookReceiver;
let seq = 0;

before(async () => {
  h = await startHarness({ webhookSecret: 'whsec_sparse_secret' });
  worker = await startWorker(h);
  receiver = await startWebhookReceiver({ secrets: [h.sim.webhookSecret], client: h.env.client });
});
after(async () => {
  await receiver.close();
  await worker.stop();
  await h.close();
});
beforeEach(() => {
  h.sim.reset();
  h.sim.setCallbacks({ deliverTo: new URL(receiver.url).origin, retryDelayMs: 50 });
});

function start(input: RunTechniqueInput): Promise<WorkflowHandle<typeof runTechnique>> {
  seq += 1;
  return h.env.client.workflow.start(runTechnique, {
    taskQueue: worker.taskQueue,
    workflowId: `sparse-fallback-${seq}-${Date.now()}`,
    args: [input],
  });
}

/** The result, or a clear failure instead of a test timeout when nothing ends the run. */
async function resultWithin(handle: WorkflowHandle, ms = 90_000): Promise<RunTechniqueResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('the workflow did not end')), ms);
  });
  try {
    return (await Promise.race([handle.result(), timeout])) as RunTechniqueResult;
  } finally {
    clearTimeout(timer);
    await handle.terminate().catch(() => undefined);
  }
}

/** Every string and payload in a history, decoded (a marker's patch id is in a payload's bytes). */
function historyText(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (value instanceof Uint8Array) out.push(Buffer.from(value).toString('utf8'));
  else if (Array.isArray(value)) for (const v of value) historyText(v, out);
  else if (value !== null && typeof value === 'object')
    for (const v of Object.values(value as Record<string, unknown>)) historyText(v, out);
  return out;
}

async function history(handle: WorkflowHandle): Promise<{ types: number[]; text: string }> {
  const events = (await handle.fetchHistory()).events ?? [];
  return { types: events.map((e) => Number(e.eventType)), text: historyText(events).join('\n') };
}

describe('sparse fallback polling of callback runs', () => {
  test('a callback run polls FLORA once where the pollMaxMs fallback polled several times', async () => {
    // Same 6 s run, same pollMaxMs, callbacks delivered. Only the fallback's longest wait differs:
    // pollMaxMs (the fallback cadence before the patch) against the default (30 s).
    const polls: Record<string, number> = {};
    for (const [label, fallback] of [
      ['pollMaxMs', { fallbackPollMaxMs: QUICK.pollMaxMs }],
      ['default', {}],
    ] as const) {
      h.sim.reset();
      h.sim.setCallbacks({ deliverTo: new URL(receiver.url).origin, retryDelayMs: 50 });
      h.sim.setRunDuration(6_000);
      const handle = await start({
        ...PROMPT,
        options: { ...QUICK, ...fallback, callbackUrl: CALLBACK_BASE },
      });
      const result = await resultWithin(handle);
      assert.equal(result.status, 'completed', label);
      assert.equal(h.sim.stats().runsCreated, 1, label);
      polls[label] = h.sim.stats().requests.getRun ?? 0;
      assert.equal(result.polls, polls[label], `${label}: every FLORA poll counted`);
      const { types, text } = await history(handle);
      assert.ok(types.includes(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED), `${label}: called back`);
      assert.ok(tookPatch(text, Patches.WebhookSparseFallback), `${label}: the patch is taken`);
      if (label === 'default') {
        // The first fallback wait (about 30 s) was cut short by the callback; it confirmed with one poll.
        assert.ok(types.includes(EventType.EVENT_TYPE_TIMER_CANCELED), 'the callback woke the wait');
        assert.ok(!types.includes(EventType.EVENT_TYPE_TIMER_FIRED), 'no fallback poll was due in 6 s');
      }
    }
    assert.equal(polls.default, 1, 'the callback alone ended the run: one confirming poll');
    assert.ok((polls.pollMaxMs ?? 0) >= 2, `the pollMaxMs fallback polled ${polls.pollMaxMs} times`);
  });

  test('every callback lost: the fallback polls still complete the run', async () => {
    h.sim.setCallbacks({ dropRate: 1 });
    h.sim.setRunDuration(4_000);
    const handle = await start({
      ...PROMPT,
      options: { ...QUICK, fallbackPollMaxMs: 2_000, callbackUrl: CALLBACK_BASE },
    });
    const result = await resultWithin(handle);
    assert.equal(result.status, 'completed');
    assert.ok(result.outputs.length > 0);
    assert.ok(result.polls >= 1);
    assert.deepEqual(
      h.sim.deliveries().map((d) => d.outcome),
      ['dropped'],
      'FLORA never delivered the callback',
    );
    const { types, text } = await history(handle);
    assert.ok(!types.includes(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED), 'no callback reached it');
    assert.ok(
      !types.includes(EventType.EVENT_TYPE_TIMER_CANCELED),
      'every wait ran out: polls found the end',
    );
    assert.ok(tookPatch(text, Patches.WebhookSparseFallback));
  });

  test('fallbackPollMaxMs below pollMaxMs, or without callbackUrl, is refused before any create', async () => {
    for (const [options, message] of [
      [{ ...QUICK, fallbackPollMaxMs: 500, callbackUrl: CALLBACK_BASE }, /at least pollMaxMs \(1000\)/],
      [{ ...QUICK, fallbackPollMaxMs: 60_000 }, /only to runs with options\.callbackUrl/],
    ] as const) {
      const { app } = await expectWorkflowFailure(await start({ ...PROMPT, options }));
      assert.equal(app.type, 'invalid_request');
      assert.match(app.message, /options\.fallbackPollMaxMs/);
      assert.match(app.message, message);
    }
    assert.equal(h.sim.stats().runsCreated, 0);
  });
});
