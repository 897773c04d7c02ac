/**
 * runTechnique under faults, on a real Temporal dev server against the FLORA simulator: rate limits,
 * server errors, lost create responses (both idempotency behaviours), cancellation, the deadline,
 * continue-as-new and a worker restart mid-run. Every test checks the one promise that matters most:
 * exactly one billable create.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FloraWorkflows } from '../src/client';
import { statusQuery } from '../src/workflows';
import type { RunTechniqueInput } from '../src/workflows/types';
import { FAST, startWorker, taskQueue, type Harness, type RunningWorker } from './helpers/env';
import { useWorkflowTests } from './helpers/workflow-tests';
import { expectWorkflowCancelled, expectWorkflowFailure, waitFor } from './helpers/failures';

let h: Harness;
let worker: RunningWorker;

const { startTechnique, nextId } = useWorkflowTests('res', (harness, w) => {
  h = harness;
  worker = w;
});
const start = (input: RunTechniqueInput, queue?: string) => startTechnique(input, { queue });

const PROMPT = { technique: 'text-to-image', inputs: { prompt: 'a red fox at dawn' } } as const;

describe('transient HTTP failures are survived', () => {
  test('429 with and without retry-after, and 5xx on every route, still end in one completed run', async () => {
    h.sim.addFault('getTechnique', { kind: 'status5xx', status: 503, count: 1 });
    h.sim.addFault('createRunNested', { kind: 'rateLimit', retryAfterSeconds: 1, count: 1 });
    h.sim.addFault('createRunNested', { kind: 'status5xx', status: 500, count: 1 });
    h.sim.addFault('getRun', { kind: 'rateLimit', retryAfterSeconds: null, count: 1 });
    h.sim.addFault('getRun', { kind: 'status5xx', count: 2 });
    const handle = await start({ ...PROMPT, options: FAST });
    const result = await handle.result();
    assert.equal(result.status, 'completed');
    const stats = h.sim.stats();
    assert.equal(stats.runsCreated, 1);
    assert.equal(
      Object.values(stats.createsByIdempotencyKey).reduce((a, b) => a + b, 0),
      1,
    );
    assert.equal(stats.requests.createRunNested, 3, 'two faulted create attempts, then the real one');
    assert.equal(stats.responses['createRunNested 429'], 1);
    assert.equal(stats.responses['getRun 429'], 1);
  });

  test('a connection reset and a garbled body are retried like any transient failure', async () => {
    h.sim.addFault('getRun', { kind: 'reset', count: 1 });
    h.sim.addFault('getRun', { kind: 'malformedJson', count: 1 });
    const result = await (await start({ ...PROMPT, options: FAST })).result();
    assert.equal(result.status, 'completed');
    assert.equal(h.sim.stats().runsCreated, 1);
  });
});

describe('a lost create response never becomes a second billed run', () => {
  test('replay behaviour: the retry gets the original run back (200, idempotent-replayed)', async () => {
    h.sim.setIdempotencyMode('replay');
    h.sim.addFault('createRunNested', { kind: 'dropResponse', count: 1 });
    const handle = await start({ ...PROMPT, options: FAST });
    const result = await handle.result();
    const stats = h.sim.stats();
    assert.equal(stats.requests.createRunNested, 2);
    assert.equal(stats.runsCreated, 1);
    const [key, creates] = Object.entries(stats.createsByIdempotencyKey)[0] ?? [];
    assert.equal(creates, 1);
    assert.equal(key, `${(await handle.describe()).runId}-1`);
    assert.equal(h.sim.getRun(result.runId)?.run_id, result.runId);
  });

  test('409 behaviour: the run is found in /technique-runs and adopted', async () => {
    h.sim.setIdempotencyMode('conflict');
    h.sim.addFault('createRunNested', { kind: 'dropResponse', count: 1 });
    const handle = await start({ ...PROMPT, options: FAST });
    const result = await handle.result();
    const stats = h.sim.stats();
    assert.equal(stats.responses['createRunNested 409'], 1);
    assert.equal(stats.requests.listRuns, 1);
    assert.equal(stats.runsCreated, 1);
    assert.equal(
      h.sim.getRun(result.runId)?.run_id,
      result.runId,
      'the adopted run is the one the lost create made',
    );
  });

  test('409 with two candidate runs fails non-retryably, naming the key and both run ids', async () => {
    h.sim.setIdempotencyMode('conflict');
    // Another client of the same account starts the same technique at the same moment.
    const other = await h.flora.createRunNested({
      slug: 'text-to-image',
      inputs: [{ id: 'prompt', type: 'text', value: 'other' }],
    });
    h.sim.addFault('createRunNested', { kind: 'dropResponse', count: 1 });
    const handle = await start({ ...PROMPT, options: FAST });
    const { app } = await expectWorkflowFailure(handle);
    assert.equal(app.type, 'idempotency_unresolved');
    assert.equal(app.nonRetryable, true);
    const key = `${(await handle.describe()).runId}-1`;
    assert.match(app.message, new RegExp(`idempotency key ${key}`));
    assert.match(app.message, new RegExp(other.data.run_id));
    assert.match(app.message, /attachRunId/);
    const details = app.details?.[0] as { idempotencyKey: string; candidateRunIds: string[] };
    assert.equal(details.idempotencyKey, key);
    assert.equal(details.candidateRunIds.length, 2);
    assert.equal(h.sim.stats().runsCreated, 2, 'the other client and our lost create: nothing more');
  });
});

describe('a lost create response never adopts a run another workflow owns', () => {
  test('409: a sibling workflow’s run (listed in its FloraRunId) is excluded; our own run is adopted', async () => {
    h.sim.setIdempotencyMode('conflict');
    h.sim.setRunDuration(60_000);
    const flora = new FloraWorkflows(h.env.client, { taskQueue: worker.taskQueue, allowFastPolling: true });
    const sibling = await flora.startRun({ ...PROMPT, options: FAST }, { workflowId: `sibling-${nextId()}` });
    const siblingRunId = await waitFor('the sibling’s run id in visibility', async () => {
      const status = await sibling.status();
      if (!status.runId) return undefined;
      const rows = await flora.listRuns({ floraRunId: status.runId });
      return rows.length === 1 ? status.runId : undefined;
    });
    h.sim.setRunDuration(400);
    h.sim.addFault('createRunNested', { kind: 'dropResponse', count: 1 });
    const handle = await start({ ...PROMPT, options: FAST });
    const result = await handle.result();
    assert.notEqual(result.runId, siblingRunId);
    assert.equal(h.sim.stats().runsCreated, 2, 'the sibling’s run and ours, nothing more');
    await sibling.cancel();
  });
});

describe('cancellation, deadline, continue-as-new', () => {
  test('cancelling stops polling promptly; the status says the FLORA run keeps going', async () => {
    h.sim.setRunDuration(60_000);
    const handle = await start({ ...PROMPT, options: FAST });
    await waitFor('polling', async () => ((await handle.query(statusQuery)).polls >= 1 ? true : undefined));
    await handle.cancel();
    await expectWorkflowCancelled(handle);
    const status = await handle.query(statusQuery);
    assert.equal(status.phase, 'cancelled');
    assert.match(status.note ?? '', new RegExp(`run ${status.runId} keeps going`));
    const pollsAtCancel = h.sim.stats().requests.getRun;
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(h.sim.stats().requests.getRun, pollsAtCancel, 'no poll after the cancellation');
  });

  test('cancelling while the create is in flight waits for it, so the paid run is not lost', async () => {
    h.sim.setRunDuration(60_000);
    h.sim.addFault('createRunNested', { kind: 'latency', latencyMs: 1_500, count: 1 });
    const handle = await start({ ...PROMPT, options: FAST });
    await waitFor('the create', async () =>
      (await handle.query(statusQuery)).phase === 'creating' ? true : undefined,
    );
    await handle.cancel();
    await expectWorkflowCancelled(handle);
    const status = await handle.query(statusQuery);
    assert.equal(status.phase, 'cancelled');
    assert.equal(h.sim.stats().runsCreated, 1);
    assert.match(status.runId ?? '', /^run_/, 'the run created by the in-flight create is recorded');
    assert.match(status.note ?? '', new RegExp(`run ${status.runId} keeps going`));
  });

  test('the deadline fails with a typed timeout that carries the run id', async () => {
    h.sim.setRunDuration(60_000);
    const handle = await start({ ...PROMPT, options: { ...FAST, deadline: '2s' } });
    const { app } = await expectWorkflowFailure(handle);
    assert.equal(app.type, 'deadline_exceeded');
    const details = app.details?.[0] as { runId: string };
    assert.match(details.runId, /^run_/);
    assert.match(app.message, new RegExp(`FLORA run ${details.runId} was still running`));
    assert.equal(h.sim.stats().runsCreated, 1);
  });

  test('a low maxHistoryEvents continues as new and carries the run, counters and key', async () => {
    h.sim.setRunDuration(4_000);
    const handle = await start({ ...PROMPT, options: { ...FAST, maxHistoryEvents: 20 } });
    const result = await handle.result();
    const description = await handle.describe();
    const history = await handle.fetchHistory();
    const first = await h.env.client.workflow
      .getHandle(handle.workflowId, handle.firstExecutionRunId)
      .fetchHistory();
    assert.notEqual(
      description.runId,
      handle.firstExecutionRunId,
      'the result came from a later run of the chain',
    );
    assert.ok(
      first.events?.some((e) => e.workflowExecutionContinuedAsNewEventAttributes),
      'the first run ended by continuing as new',
    );
    assert.ok((history.events?.length ?? 0) < 80, 'each run of the chain keeps its history short');
    assert.equal(result.attempts, 1);
    assert.equal(result.polls, h.sim.stats().requests.getRun, 'poll count carried across runs');
    assert.deepEqual(h.sim.stats().createsByIdempotencyKey, { [`${handle.firstExecutionRunId}-1`]: 1 });
    // The carried state travels as `continued` (issue 10), and still as the legacy `resume` for workers
    // from before the rename; histories that carry only `resume` replay (test/replay.test.ts).
    const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    assert.ok(payload, 'the continued run has an input');
    const carried = h.env.client.options.loadedDataConverter.payloadConverter.fromPayload<{
      continued?: { runId?: string };
      resume?: { runId?: string };
    }>(payload);
    assert.equal(carried.continued?.runId, result.runId);
    assert.deepEqual(carried.resume, carried.continued);
  });
});

describe('worker restart mid-run', () => {
  test('stop the worker while it polls, start a new one: the run completes with exactly one create', async () => {
    h.sim.setRunDuration(5_000);
    const queue = taskQueue();
    const first = await startWorker(h, queue);
    const handle = await start({ ...PROMPT, options: FAST }, queue);
    await waitFor('polling', async () => ((await handle.query(statusQuery)).polls >= 2 ? true : undefined));
    await first.stop();
    const pollsWhileDown = h.sim.stats().requests.getRun;
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(h.sim.stats().requests.getRun, pollsWhileDown, 'nobody polls while no worker runs');
    const second = await startWorker(h, queue);
    try {
      const result = await handle.result();
      assert.equal(result.status, 'completed');
      assert.equal(h.sim.stats().runsCreated, 1);
      assert.deepEqual(Object.values(h.sim.stats().createsByIdempotencyKey), [1]);
      assert.ok(result.polls > 2);
    } finally {
      await second.stop();
    }
  });
});
