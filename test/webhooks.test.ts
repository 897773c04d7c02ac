/**
 * Webhook acceleration end to end: the real dev server, a worker, the simulator sending signed callbacks
 * and the receiver signalling the workflow. The assertions count polls and history events, never time.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { temporal } from '@temporalio/proto';
import type { WorkflowHandle } from '@temporalio/client';
import { runTechnique, statusQuery } from '../src/workflows';
import { Patches } from '../src/workflows/patches';
import { tookPatch } from './helpers/patches';
import type { RunTechniqueInput, RunTechniqueResult } from '../src/workflows/types';
import { startWebhookReceiver, type ListeningWebhookReceiver } from '../src/webhooks/receiver';
import { expectWorkflowFailure } from './helpers/failures';
import { FAST, startHarness, startWorker, taskQueue, type Harness, type RunningWorker } from './helpers/env';
import { createActivities } from '../src/activities';
import { FloraClient } from '../src/flora/client';

const EventType = temporal.api.enums.v1.EventType;
/** The public https URL FLORA calls; the simulator forwards it to the receiver, as a TLS proxy would. */
const CALLBACK_BASE = 'https://hooks.flora-temporal.test/flora/webhook';
/** A poll interval no test waits for: a run that completes within a test was woken by its callback. */
const NEVER = { pollMinMs: 600_000, pollMaxMs: 600_000 } as const;
const PROMPT = { technique: 'text-to-image', inputs: { prompt: 'a fox' } } as const;
/** Fallback polls at the FAST cadence (not the sparse 30 s default): these tests are about polling finding the end. */
const FAST_FALLBACK = { ...FAST, fallbackPollMaxMs: FAST.pollMaxMs } as const;

let h: Harness;
let worker: RunningWorker;
let receiver: ListeningWebhookReceiver;
let seq = 0;

before(async () => {
  h = await startHarness({ webhookSecret: 'whsec_e2e_secret' });
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

function start(
  input: RunTechniqueInput,
  queue = worker.taskQueue,
): Promise<WorkflowHandle<typeof runTechnique>> {
  seq += 1;
  return h.env.client.workflow.start(runTechnique, {
    taskQueue: queue,
    workflowId: `webhook-${seq}-${Date.now()}`,
    args: [input],
  });
}

/** The result, or a clear failure instead of a test timeout when nothing wakes the workflow. */
async function resultWithin(
  handle: WorkflowHandle<typeof runTechnique>,
  ms = 60_000,
): Promise<RunTechniqueResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('the workflow was not woken: no callback reached it')), ms);
  });
  try {
    return await Promise.race([handle.result(), timeout]);
  } finally {
    clearTimeout(timer);
    await handle.terminate().catch(() => undefined);
  }
}

/** Every string and payload in a history, decoded: what a reader of the history could see. */
function historyText(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (value instanceof Uint8Array) out.push(Buffer.from(value).toString('utf8'));
  else if (Array.isArray(value)) for (const v of value) historyText(v, out);
  else if (value !== null && typeof value === 'object')
    for (const v of Object.values(value as Record<string, unknown>)) historyText(v, out);
  return out;
}

async function eventTypes(handle: WorkflowHandle): Promise<number[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).map((e) => Number(e.eventType));
}

describe('webhook acceleration', () => {
  test('a callback wakes the poll timer: one poll, completed long before the first poll would be due', async () => {
    const handle = await start({ ...PROMPT, options: { ...NEVER, callbackUrl: CALLBACK_BASE } });
    const result = await resultWithin(handle);
    assert.equal(result.status, 'completed');
    // Pure polling at this cadence makes its first poll only when the 10-minute timer fires.
    assert.equal(result.polls, 1);
    assert.equal(h.sim.activity().runs[0]?.polls, 1);
    const types = await eventTypes(handle);
    assert.ok(types.includes(EventType.EVENT_TYPE_TIMER_CANCELED), 'the poll timer was cut short');
    assert.ok(!types.includes(EventType.EVENT_TYPE_TIMER_FIRED), 'no timer ran out');
    assert.ok(types.includes(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED));
    const text = historyText(await handle.fetchHistory()).join('\n');
    assert.ok(tookPatch(text, Patches.WebhookWake), 'the patch is taken');
    assert.ok((receiver.stats().signalled ?? 0) >= 1);
  });

  test('the callback URL carries the workflow id, is in the create body, and a retried create sends it unchanged', async () => {
    // The first create's answer is lost after FLORA made the run: the retry must send the same body (a
    // different one would get 422 idempotency_conflict) and get the same run back.
    h.sim.setIdempotencyMode('replay');
    h.sim.addFault('createRunNested', { kind: 'dropResponse', count: 1 });
    // FLORA did make the run, so the retry waits only briefly here (2 min in production).
    const quick = await startWorker(h, taskQueue(), h.flora, {
      workerOptions: { activities: createActivities({ flora: h.flora, unknownCreateRetryDelayMs: 200 }) },
    });
    const handle = await start(
      { ...PROMPT, options: { ...NEVER, callbackUrl: `${CALLBACK_BASE}?tenant=a` } },
      quick.taskQueue,
    );
    const result = await resultWithin(handle).finally(() => quick.stop());
    const stats = h.sim.stats();
    assert.equal(stats.requests.createRunNested, 2, 'the create was retried');
    assert.equal(stats.runsCreated, 1);
    assert.equal(stats.responses['createRunNested 422'], undefined);
    const expected = `${CALLBACK_BASE}?tenant=a&wf=${encodeURIComponent(handle.workflowId)}`;
    assert.equal(h.sim.getRun(result.runId)?.callback_url, expected);
    assert.equal(result.polls, 1);
  });

  test('a lost callback: polling finds the end anyway', async () => {
    h.sim.setCallbacks({ dropRate: 1 });
    const handle = await start({ ...PROMPT, options: { ...FAST_FALLBACK, callbackUrl: CALLBACK_BASE } });
    const result = await resultWithin(handle);
    assert.equal(result.status, 'completed');
    assert.ok(result.polls >= 1);
    assert.deepEqual(
      h.sim.deliveries().map((d) => d.outcome),
      ['dropped'],
    );
    assert.ok(!(await eventTypes(handle)).includes(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED));
  });

  test('forged and stale callbacks are refused (401) and never signal; polling finds the end', async () => {
    for (const knob of [{ forge: true }, { ageSeconds: 400 }]) {
      h.sim.reset();
      h.sim.setCallbacks({ deliverTo: new URL(receiver.url).origin, retryDelayMs: 20, ...knob });
      const handle = await start({ ...PROMPT, options: { ...FAST_FALLBACK, callbackUrl: CALLBACK_BASE } });
      const result = await resultWithin(handle);
      assert.equal(result.status, 'completed');
      // Delivered (and retried) after the run ended; wait for FLORA's attempts to be answered.
      for (let i = 0; i < 100 && h.sim.deliveries().length < 4; i++)
        await new Promise((r) => setTimeout(r, 50));
      const outcomes = h.sim.deliveries().map((d) => d.outcome);
      assert.deepEqual(
        outcomes,
        [401, 401, 401, 401],
        `${JSON.stringify(knob)}: first attempt and 3 retries`,
      );
      assert.ok(!(await eventTypes(handle)).includes(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED));
    }
  });

  test('a duplicated callback is harmless: one signal, one poll, one run', async () => {
    h.sim.setCallbacks({ duplicate: true });
    const before = receiver.stats();
    const handle = await start({ ...PROMPT, options: { ...NEVER, callbackUrl: CALLBACK_BASE } });
    const result = await resultWithin(handle);
    assert.equal(result.polls, 1);
    assert.equal(h.sim.stats().runsCreated, 1);
    for (let i = 0; i < 100 && h.sim.deliveries().length < 2; i++)
      await new Promise((r) => setTimeout(r, 50));
    const after = receiver.stats();
    assert.equal((after.signalled ?? 0) - (before.signalled ?? 0), 1);
    assert.equal((after.duplicate ?? 0) - (before.duplicate ?? 0), 1);
  });

  test('a callback landing while the poll that found the end runs: no failed task, FLORA polled once', async () => {
    // The poll timer fires before the run ends; FLORA holds that poll for 3 s and answers "completed"; the
    // run's callback reaches the workflow meanwhile, during the workflow task that runs the poll. The server
    // refuses to close a workflow in a task during which a signal arrived, which used to drop the poll's
    // result and poll again (flora-webhook-end-in-next-task-v1).
    h.sim.setRunDuration(1_500);
    h.sim.addFault('getRun', { kind: 'latency', latencyMs: 3_000, count: 1 });
    const flora = new FloraClient({ baseUrl: h.sim.baseUrl, apiKey: h.sim.apiKey, timeoutMs: 10_000 });
    const slow = await startWorker(h, taskQueue(), flora);
    try {
      const handle = await start(
        {
          ...PROMPT,
          // The poll timer must fire before the run ends: fallback polls every 500 ms, not the sparse default.
          options: { pollMinMs: 500, pollMaxMs: 500, fallbackPollMaxMs: 500, callbackUrl: CALLBACK_BASE },
        },
        slow.taskQueue,
      );
      const result = await resultWithin(handle);
      assert.equal(result.status, 'completed');
      const types = await eventTypes(handle);
      // The scenario happened: the callback arrived, and not while the workflow waited (it would have
      // cancelled the poll timer), so during the poll.
      assert.ok(
        types.includes(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED),
        'the callback was signalled',
      );
      assert.ok(!types.includes(EventType.EVENT_TYPE_TIMER_CANCELED), 'the callback did not wake a wait');
      assert.ok(!types.includes(EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED), 'no workflow task failed');
      assert.equal(h.sim.activity().runs[0]?.polls, 1, 'FLORA answered one poll');
      assert.equal(h.sim.stats().requests.getRun, 1, 'FLORA got one poll request');
      assert.equal(result.polls, 1);
    } finally {
      await slow.stop();
      await flora.close();
    }
  });

  test('a failed run is confirmed by its poll, not taken from the callback', async () => {
    h.sim.queueRunFailure('text-to-image', 'safety_blocked');
    const handle = await start({ ...PROMPT, options: { ...NEVER, callbackUrl: CALLBACK_BASE } });
    const { app } = await expectWorkflowFailure(handle);
    assert.equal(app.type, 'safety_blocked');
    assert.equal((await handle.query(statusQuery)).polls, 1);
  });

  test('the webhook secret is nowhere in the history; bad callback URLs are refused before any create', async () => {
    const handle = await start({ ...PROMPT, options: { ...NEVER, callbackUrl: CALLBACK_BASE } });
    await resultWithin(handle);
    const text = historyText(await handle.fetchHistory()).join('\n');
    assert.ok(text.includes(CALLBACK_BASE), 'the decoded history does hold the create input');
    assert.ok(!text.includes(h.sim.webhookSecret));
    assert.ok(!text.includes('whsec_'));

    for (const [input, message] of [
      [{ ...PROMPT, options: { callbackUrl: 'http://hooks.example.com/x' } }, /https/],
      [{ ...PROMPT, options: { callbackUrl: `${CALLBACK_BASE}?wf=other` } }, /"wf"/],
      [
        {
          techniqueId: 'tech_txt2img01',
          workspaceId: 'ws_simulator',
          inputs: { prompt: 'x' },
          options: { callbackUrl: CALLBACK_BASE },
        },
        /top-level create/,
      ],
    ] as const) {
      const { app } = await expectWorkflowFailure(await start(input));
      assert.equal(app.type, 'invalid_request');
      assert.match(app.message, /options\.callbackUrl/);
      assert.match(app.message, message);
    }
    assert.equal(h.sim.stats().runsCreated, 1);
  });
});
