/**
 * The money paths of runTechnique (issue 9), on a real Temporal dev server against the FLORA simulator:
 * the wait before a re-create, poll 404s and 401/403s on a run that exists, bounded 409 adoption, and the
 * `{ runId, runIds, mayBeBilled }` every unsuccessful end carries for a pipeline's budget.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Client } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { progressQuery, runPipeline, runTechnique, statusQuery } from '../src/workflows';
import type { RunTechniqueEndDetails, RunTechniqueInput } from '../src/workflows/types';
import { FAST, startHarness, startWorker, type Harness, type RunningWorker, useHarness } from './helpers/env';
import { expectWorkflowCancelled, expectWorkflowFailure, waitFor } from './helpers/failures';

/** A scheduled activity's name without the `flora.` prefix new executions use (prefixed-names patch). */
function activityName(e: {
  activityTaskScheduledEventAttributes?: { activityType?: { name?: string | null } | null } | null;
}): string | undefined {
  return e.activityTaskScheduledEventAttributes?.activityType?.name?.replace(/^flora\./, '') ?? undefined;
}

let h: Harness;
let worker: RunningWorker;
let seq = 0;

useHarness({}, (harness, w) => {
  h = harness;
  worker = w;
});

function start(input: RunTechniqueInput, queue = worker.taskQueue, client: Client = h.env.client) {
  return client.workflow.start(runTechnique, {
    taskQueue: queue,
    workflowId: `money-${process.pid}-${++seq}`,
    args: [input],
  });
}

const PROMPT = { technique: 'text-to-image', inputs: { prompt: 'a red fox at dawn' } } as const;
const EventType = temporal.api.enums.v1.EventType;

function endOf(app: { details?: unknown[] | undefined }): RunTechniqueEndDetails {
  const details = app.details?.[0] as RunTechniqueEndDetails | undefined;
  assert.ok(details, 'the failure carries details');
  assert.ok(Array.isArray(details.runIds), 'details.runIds is a list');
  assert.equal(typeof details.mayBeBilled, 'boolean');
  return details;
}

describe('a transient run failure is re-created after a jittered wait, not at once', () => {
  test('model_timeout: a durable timer of recreateDelayMs..3× runs before the second create', async () => {
    h.sim.queueRunFailure('text-to-image', 'model_timeout');
    const handle = await start({ ...PROMPT, options: { ...FAST, recreateDelayMs: 1_000 } });
    const note = await waitFor('the wait before the re-create', async () => {
      const s = await handle.query(statusQuery);
      return s.note?.includes('creating a fresh run in') ? s.note : undefined;
    });
    assert.match(note, /failed with model_timeout/);
    const result = await handle.result();
    assert.equal(result.attempts, 2);
    assert.equal(h.sim.stats().runsCreated, 2);

    // Between the failed run's last poll and the second create, the history holds one timer of 1–3 s.
    const events = (await handle.fetchHistory()).events ?? [];
    const creates = events.flatMap((e, i) => (activityName(e) === 'createRun' ? [i] : []));
    assert.equal(creates.length, 2);
    // A poll is a regular activity, or (since the local-poll patch) a local activity's marker.
    const polls = events.flatMap((e, i) =>
      (activityName(e) === 'pollRunOnce' ||
        e.markerRecordedEventAttributes?.markerName === 'core_local_activity') &&
      i < (creates[1] ?? 0)
        ? [i]
        : [],
    );
    const lastPoll = polls[polls.length - 1] ?? 0;
    const timers = events
      .slice(lastPoll, creates[1])
      .filter((e) => e.eventType === EventType.EVENT_TYPE_TIMER_STARTED)
      .map(
        (e) =>
          Number(e.timerStartedEventAttributes?.startToFireTimeout?.seconds ?? 0) * 1000 +
          Math.round((e.timerStartedEventAttributes?.startToFireTimeout?.nanos ?? 0) / 1e6),
      );
    assert.equal(timers.length, 1, 'one wait between the failed run and the re-create');
    const [waitMs = 0] = timers;
    assert.ok(waitMs >= 1_000 && waitMs <= 3_000, `waited ${waitMs} ms, expected 1000..3000`);
  });
});

describe('a poll 404 on a run that exists is not final at once', () => {
  test('404s on the first polls of a fresh run (read-after-write lag): retried, the run completes', async () => {
    h.sim.addFault('getRun', { kind: 'status4xx', status: 404, count: 3 });
    const result = await (await start({ ...PROMPT, options: FAST })).result();
    assert.equal(result.status, 'completed');
    assert.equal(h.sim.stats().runsCreated, 1);
    assert.equal(h.sim.stats().responses['getRun 404'], 3);
  });

  test('an attached run: one more poll on the canonical route, then a second 404 is final (may be billed)', async () => {
    const run = await h.flora.createRunNested({
      slug: 'text-to-image',
      inputs: [{ id: 'prompt', type: 'text', value: 'fox' }],
    });
    h.sim.addFault('getRun', { kind: 'status4xx', status: 404, count: 1 });
    const ok = await (
      await start({ ...PROMPT, options: { ...FAST, attachRunId: run.data.run_id } })
    ).result();
    assert.equal(ok.runId, run.data.run_id, 'the canonical retry found it');

    h.sim.addFault('getRun', { kind: 'status4xx', status: 404, count: 2 });
    const handle = await start({ ...PROMPT, options: { ...FAST, attachRunId: run.data.run_id } });
    const { error, app } = await expectWorkflowFailure(handle);
    assert.equal(app.type, 'not_found');
    const end = endOf(error.cause as { details?: unknown[] });
    assert.equal(end.runId, run.data.run_id);
    assert.equal(end.mayBeBilled, true, 'a run FLORA does not show may still be billed');
  });
});

describe('401/403 on a poll of a run that exists is retried until the deadline', () => {
  test('401s on polls: the status says why, and the run completes once FLORA answers again', async () => {
    h.sim.setRunDuration(1_500);
    h.sim.addFault('getRun', { kind: 'status4xx', status: 401, count: 4 });
    const handle = await start({ ...PROMPT, options: FAST });
    const note = await waitFor('the status to say why polls are retried', async () => {
      const s = await handle.query(statusQuery);
      return s.note?.includes('invalid_api_key') ? s.note : undefined;
    });
    assert.match(note, /FLORA_API_KEY/);
    const result = await handle.result();
    assert.equal(result.status, 'completed');
    assert.equal(h.sim.stats().runsCreated, 1);
    assert.equal((await handle.query(statusQuery)).note, undefined, 'the note goes once polls work');
  });

  test('403 on every poll: ends at the deadline (not forbidden), naming the run, which may be billed', async () => {
    h.sim.addFault('getRun', { kind: 'status4xx', status: 403, count: 10_000 });
    const handle = await start({ ...PROMPT, options: { ...FAST, deadline: 3_000 } });
    const { error, app } = await expectWorkflowFailure(handle);
    assert.equal(app.type, 'deadline_exceeded');
    const end = endOf(error.cause as { details?: unknown[] });
    assert.match(end.runId ?? '', /^run_/);
    assert.equal(end.mayBeBilled, true);
    assert.ok((h.sim.stats().responses['getRun 403'] ?? 0) >= 2, 'polled more than once');
  });
});

describe('every unsuccessful end says whether anything may have been billed', () => {
  test('bad input: nothing created, mayBeBilled false', async () => {
    const handle = await start({
      technique: 'restyle-image',
      inputs: { image: 'http://x.test/a.png' },
      options: FAST,
    });
    const { error, app } = await expectWorkflowFailure(handle);
    assert.equal(app.type, 'invalid_request');
    const end = endOf(error.cause as { details?: unknown[] });
    assert.deepEqual(end.runIds, []);
    assert.equal(end.mayBeBilled, false);
    assert.ok(
      Array.isArray((error.cause as unknown as { details: { problems: unknown[] }[] }).details[0]?.problems),
    );
  });

  test('a run that failed at FLORA: runIds name it, mayBeBilled false (failed runs are not charged)', async () => {
    const handle = await start({
      technique: 'text-to-image',
      inputs: { prompt: 'fox [sim:fail=safety_blocked]' },
      options: FAST,
    });
    const { error, app } = await expectWorkflowFailure(handle);
    assert.equal(app.type, 'safety_blocked');
    const end = endOf(error.cause as { details?: unknown[] });
    assert.equal(end.runIds.length, 1);
    assert.equal(end.mayBeBilled, false);
  });

  test('402 on the first create attempt: false; 402 on a retried attempt: true', async () => {
    const poor = await startHarness({ credits: 0.01 });
    const w = await startWorker(poor);
    try {
      const input = {
        technique: 'image-to-video',
        inputs: { input_image: 'https://images.example.com/fox.png' },
        options: FAST,
      };
      const first = await poor.env.client.workflow.start(runTechnique, {
        taskQueue: w.taskQueue,
        workflowId: `poor-first-${process.pid}`,
        args: [input],
      });
      const refused = await expectWorkflowFailure(first);
      assert.equal(refused.app.type, 'insufficient_credits');
      assert.equal(endOf(refused.error.cause as { details?: unknown[] }).mayBeBilled, false);

      // The first attempt's answer is lost (it may have created a run), the retry gets 402.
      poor.sim.addFault('createRunNested', { kind: 'status5xx', count: 1 });
      const retried = await poor.env.client.workflow.start(runTechnique, {
        taskQueue: w.taskQueue,
        workflowId: `poor-retried-${process.pid}`,
        args: [input],
      });
      const after = await expectWorkflowFailure(retried);
      assert.equal(after.app.type, 'insufficient_credits');
      assert.equal((after.app.details?.[0] as { attempt?: number }).attempt, 2);
      assert.equal(endOf(after.error.cause as { details?: unknown[] }).mayBeBilled, true);
    } finally {
      await w.stop();
      await poor.close();
    }
  });
});

describe('409 adoption is bounded and needs a checked owner', () => {
  test('visibility cannot say who owns the candidate (no search attributes): unresolved, not adopted', async () => {
    const namespace = `no-attributes-${process.pid}`;
    await h.env.client.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
    const client = new Client({ connection: h.env.connection, namespace });
    const other = await startWorker(h, undefined, h.flora, { namespace });
    try {
      h.sim.setIdempotencyMode('conflict');
      h.sim.addFault('createRunNested', { kind: 'dropResponse', count: 1 });
      const handle = await start({ ...PROMPT, options: FAST }, other.taskQueue, client);
      const { app } = await expectWorkflowFailure(handle);
      assert.equal(app.type, 'idempotency_unresolved');
      const details = app.details?.[0] as {
        candidateRunIds: string[];
        ownershipChecked: boolean;
        mayBeBilled: boolean;
      };
      assert.equal(details.candidateRunIds.length, 1, 'the candidate is named for the operator');
      assert.equal(details.ownershipChecked, false);
      assert.equal(details.mayBeBilled, true);
      assert.match(app.message, /could not say whether another workflow owns it/);
      assert.equal(h.sim.stats().requests.listRuns, 3, 'looked up three times before giving up');
      assert.equal(h.sim.stats().runsCreated, 1);
    } finally {
      await other.stop();
    }
  });

  test('a reset to before the create: the 409 on its first attempt adopts the run made before the reset', async () => {
    h.sim.setIdempotencyMode('conflict');
    const handle = await start({ ...PROMPT, options: FAST });
    const first = await handle.result();
    // Past the clock-skew margin of the first attempt, so only the reset-aware window finds the run.
    await new Promise((resolve) => setTimeout(resolve, 31_000));
    const events = (await handle.fetchHistory()).events ?? [];
    const createAt = events.findIndex((e) => activityName(e) === 'createRun');
    const resetTo = events
      .slice(0, createAt)
      .filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
      .pop();
    assert.ok(resetTo?.eventId, 'a workflow task completed before the create');
    const reset = await h.env.client.workflowService.resetWorkflowExecution({
      namespace: 'default',
      workflowExecution: { workflowId: handle.workflowId },
      workflowTaskFinishEventId: resetTo.eventId,
      reason: 'test: reset to before the create',
      requestId: `reset-${process.pid}-${seq}`,
    });
    const again = await h.env.client.workflow
      .getHandle<typeof runTechnique>(handle.workflowId, reset.runId ?? undefined)
      .result();
    assert.equal(again.runId, first.runId, 'the run made before the reset, adopted');
    assert.equal(h.sim.stats().runsCreated, 1, 'the reset billed nothing new');
    assert.equal(h.sim.stats().responses['createRunNested 409'], 1);
  });
});

describe('a child cancelled during its create tells its pipeline the run id', () => {
  test('cancel the pipeline while the child’s create is in flight: the pipeline knows the paid run', async () => {
    h.sim.addFault('createRunNested', { kind: 'latency', latencyMs: 2_000, count: 1 });
    const id = `money-pipeline-${process.pid}-${++seq}`;
    const handle = await h.env.client.workflow.start(runPipeline, {
      taskQueue: worker.taskQueue,
      workflowId: id,
      args: [
        {
          spec: {
            name: 'cancel-mid-create',
            options: FAST,
            steps: [{ id: 'only', technique: 'text-to-image', inputs: { prompt: 'fox' } }],
          },
        },
      ],
    });
    const child = h.env.client.workflow.getHandle(`${id}/only/0`);
    await waitFor('the child to be creating', async () =>
      (await child.query(statusQuery)).phase === 'creating' ? true : undefined,
    );
    await handle.cancel();
    await expectWorkflowCancelled(handle);
    await expectWorkflowCancelled(child);
    assert.equal(h.sim.stats().runsCreated, 1, 'the create in flight finished');
    const childStatus = await child.query(statusQuery);
    assert.match(childStatus.runId ?? '', /^run_/);
    const progress = await handle.query(progressQuery);
    assert.equal(
      progress.steps[0]?.runs[0]?.runId,
      childStatus.runId,
      'the pipeline knows the run its cancelled child paid for',
    );
  });
});
