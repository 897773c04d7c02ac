/**
 * Large pipelines (issue 9) in miniature, on a real Temporal dev server against the FLORA simulator: the
 * batch size lowered (`runsPerExecution`) so a forEach of 30 crosses several continue-as-new boundaries.
 * Every child is created exactly once per key, keys come from the first execution, the ledger, the
 * budget (and a raise) and outputs carry over, the result is a summary, each execution's history stays
 * bounded, and a spec beyond the documented limits is refused before anything is created.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { InvalidPipelineError, startPipeline } from '../src/client/pipelines';
import { PipelineLimits } from '../src/pipelines/limits';
import type { PipelineSpecInput } from '../src/pipelines/spec';
import type { RunPipelineInput } from '../src/pipelines/types';
import { progressQuery, raiseBudgetUpdate, runPipeline } from '../src/workflows';
import { FAST, type Harness, type RunningWorker, startWorker, taskQueue, useHarness } from './helpers/env';
import { expectWorkflowFailure, waitFor } from './helpers/failures';

let h: Harness;
let worker: RunningWorker;
let seq = 0;

useHarness({}, (harness, w) => {
  h = harness;
  worker = w;
});

function start(input: RunPipelineInput) {
  return h.env.client.workflow.start(runPipeline, {
    taskQueue: worker.taskQueue,
    workflowId: `scale-${process.pid}-${++seq}`,
    args: [input],
  });
}

/** Each execution of a workflow, first to last, with its history's length. */
async function executions(client: Client, workflowId: string, firstRunId: string) {
  const out: { runId: string; events: number }[] = [];
  let runId: string | undefined = firstRunId;
  while (runId !== undefined) {
    const history: temporal.api.history.v1.IHistory = await client.workflow
      .getHandle(workflowId, runId)
      .fetchHistory();
    const events: temporal.api.history.v1.IHistoryEvent[] = history.events ?? [];
    out.push({ runId, events: events.length });
    const next = events.find((e) => e.workflowExecutionContinuedAsNewEventAttributes);
    runId = next?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return out;
}

describe('large pipelines: batches continue as new between them', () => {
  test('a forEach of 30 in batches of 10: each child created once per key, summary result, bounded histories', async () => {
    h.sim.setRunDuration(200);
    const spec: PipelineSpecInput = {
      name: 'frames',
      budgetUsd: 2,
      concurrency: 4,
      options: FAST,
      steps: [
        {
          id: 'frames',
          technique: 'text-to-image',
          forEach: Array.from({ length: 30 }, (_, i) => `fox ${i}`),
          inputs: { prompt: { item: true } },
        },
      ],
    };
    const handle = await start({ spec, runsPerExecution: 10 });
    const result = await handle.result();

    assert.equal(result.status, 'completed');
    assert.ok((result.executions ?? 1) >= 3, `executions: ${result.executions}`);
    const frames = result.steps.frames;
    assert.deepEqual(frames?.counts, {
      total: 30,
      pending: 0,
      running: 0,
      completed: 30,
      failed: 0,
      cancelled: 0,
    });
    assert.equal(frames?.runsListed, 'none');
    assert.deepEqual(frames?.runs, []);
    assert.equal(frames?.childWorkflowIds, `${handle.workflowId}/frames/{0..29}`);
    assert.equal(result.ledger.chargedUsd, 1.2);
    assert.equal(result.ledger.reservedUsd, 0);
    assert.equal(result.ledger.steps.frames?.runs, 30);

    // Exactly one FLORA create per child, under keys from the FIRST execution's run id.
    const stats = h.sim.stats();
    assert.equal(stats.runsCreated, 30);
    const keys = Object.keys(stats.createsByIdempotencyKey).sort();
    assert.deepEqual(
      keys,
      Array.from({ length: 30 }, (_, i) => `${handle.firstExecutionRunId}-frames-${i}`).sort(),
    );
    assert.ok(Object.values(stats.createsByIdempotencyKey).every((n) => n === 1));
    for (const i of [0, 15, 29]) {
      const child = await h.env.client.workflow.getHandle(`${handle.workflowId}/frames/${i}`).describe();
      assert.equal(child.status.name, 'COMPLETED', `child ${i}`);
    }

    const runs = await executions(h.env.client, handle.workflowId, handle.firstExecutionRunId);
    assert.equal(runs.length, result.executions);
    for (const run of runs)
      assert.ok(run.events <= 10 * 15 + 60, `an execution of ${run.events} events for at most 10 runs`);
    // The summary does not grow with the runs.
    assert.ok(JSON.stringify(result).length < 4_000, `result of ${JSON.stringify(result).length} bytes`);
  });

  test('budget, a raise and outputs carry over: clips over a storyboard wait for raiseBudget in the second execution', async () => {
    h.sim.setRunDuration(200);
    const handle = await start({
      spec: {
        name: 'board-clips',
        budgetUsd: 0.62, // the storyboard and two clips
        onBudgetExceeded: 'wait',
        options: FAST,
        steps: [
          { id: 'board', technique: 'storyboard', inputs: { prompt: 'fox' } },
          {
            id: 'clips',
            technique: 'image-to-video',
            forEach: { fromStep: 'board' },
            inputs: { input_image: { item: true } },
          },
        ],
      },
      runsPerExecution: 2,
    });
    await waitFor('the third clip to wait for budget after continuing as new', async () => {
      const description = await h.env.client.workflow.getHandle(handle.workflowId).describe();
      if (description.runId === handle.firstExecutionRunId) return undefined;
      const p = await handle.query(progressQuery);
      return p.phase === 'waiting-budget' ? p : undefined;
    });
    const progress = await handle.query(progressQuery);
    assert.deepEqual(progress.steps.find((s) => s.id === 'clips')?.counts, {
      total: 3,
      pending: 1,
      running: 0,
      completed: 2,
      failed: 0,
      cancelled: 0,
    });
    assert.equal(progress.ledger.chargedUsd, 0.62);
    const ledger = await handle.executeUpdate(raiseBudgetUpdate, { args: [1] });
    assert.equal(ledger.budgetUsd, 1);
    const result = await handle.result();
    assert.equal(result.status, 'completed');
    assert.equal(result.executions, 2);
    assert.equal(result.ledger.chargedUsd, 0.87);
    assert.equal(result.ledger.budgetUsd, 1);
    const stats = h.sim.stats();
    assert.equal(stats.runsCreated, 4);
    assert.ok(Object.values(stats.createsByIdempotencyKey).every((n) => n === 1));
    assert.ok(
      Object.keys(stats.createsByIdempotencyKey).every((k) => k.startsWith(handle.firstExecutionRunId)),
      'keys from the first execution',
    );
  });
});

describe('large pipelines: limits', () => {
  const tooMany = (n: number): PipelineSpecInput => ({
    name: 'too-many',
    options: FAST,
    steps: [
      {
        id: 'frames',
        technique: 'text-to-image',
        forEach: Array.from({ length: n }, (_, i) => `f${i}`),
        inputs: { prompt: { item: true } },
      },
    ],
  });

  test('a forEach over the limit is refused by the client, naming the field, and by the workflow, with zero creates', async () => {
    await assert.rejects(
      startPipeline(h.env.client, tooMany(PipelineLimits.forEachItems + 1), {
        taskQueue: worker.taskQueue,
        allowFastPolling: true,
      }),
      (err: unknown) =>
        err instanceof InvalidPipelineError &&
        /steps\[0\]\.forEach: a forEach list has at most 10000/.test(err.message),
    );
    // Started directly, past the client's check: the workflow must refuse the spec itself. Bounded (a
    // refusal takes one workflow task), so a workflow that skipped the check and launched runs fails
    // this test (timed out) instead of hanging it.
    const handle = await h.env.client.workflow.start(runPipeline, {
      taskQueue: worker.taskQueue,
      workflowId: `scale-${process.pid}-${++seq}`,
      args: [{ spec: tooMany(PipelineLimits.forEachItems + 1) }],
      workflowExecutionTimeout: '3 minutes',
    });
    const { app } = await expectWorkflowFailure(handle);
    assert.equal(app.type, 'invalid_pipeline');
    assert.match(
      app.message,
      /steps\[0\]\.forEach: a forEach list has at most 10000 elements \(this one has 10001\)/,
    );
    assert.equal(h.sim.stats().runsCreated, 0);
  });
});

describe('large pipelines: the worker outlives a slow activation', () => {
  // A vm timeout that stops a workflow activation inside a promise callback corrupts Node's async hook
  // stack and aborts the whole worker process (docs/operations.md). The SDK's 5 s is wall-clock time: a
  // loaded machine passed it during the 5,000-run benchmark and the process died.
  test('createFloraWorker gives an activation 60 s, not the SDK default 5 s; its option overrides it', async () => {
    assert.equal(worker.worker.options.isolateExecutionTimeoutMs, 60_000);
    const custom = await startWorker(h, taskQueue(), h.flora, { isolateExecutionTimeout: '7s' });
    try {
      assert.equal(custom.worker.options.isolateExecutionTimeoutMs, 7_000);
    } finally {
      await custom.stop();
    }
  });
});
