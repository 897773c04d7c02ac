/**
 * runPipeline's money paths (issue 9) on a real Temporal dev server against the FLORA simulator: a reset
 * never bills a step twice, raiseBudget is an update that never lowers the budget, fail-fast keeps the
 * runs FLORA already has, and reservations are freed only on a child's proof.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { type WorkflowHandle, WorkflowUpdateFailedError } from '@temporalio/client';
import type { PipelineSpecInput } from '../src/pipelines/spec';
import {
  progressQuery,
  raiseBudgetSignal,
  raiseBudgetUpdate,
  runPipeline,
  statusQuery,
} from '../src/workflows';
import { FAST, type Harness, type RunningWorker } from './helpers/env';
import { useWorkflowTests } from './helpers/workflow-tests';
import { expectWorkflowFailure, waitFor } from './helpers/failures';

let h: Harness;
let worker: RunningWorker;

const { startPipeline, nextId } = useWorkflowTests('plm', (harness, w) => {
  h = harness;
  worker = w;
});
const start = (spec: PipelineSpecInput) => startPipeline(spec);

const IMAGE = 'https://images.example.com/fox.png';

describe('pipelines: a reset never bills a step twice', () => {
  test('reset to the first workflow task: the re-run children reuse their keys, FLORA creates nothing new', async () => {
    const handle = await start({
      name: 'reset-me',
      steps: [
        { id: 'poster', technique: 'text-to-image', inputs: { prompt: 'fox' } },
        {
          id: 'styles',
          technique: 'restyle-image',
          forEach: ['ink', 'oil'],
          inputs: { image: { fromStep: 'poster' }, style: { item: true } },
        },
      ],
    });
    const first = await handle.result();
    assert.equal(first.status, 'completed');
    assert.equal(h.sim.stats().runsCreated, 3);

    const history = await handle.fetchHistory();
    const firstTask = history.events?.find((e) => e.workflowTaskCompletedEventAttributes);
    assert.ok(firstTask?.eventId, 'a completed workflow task to reset to');
    const { runId } = await h.env.client.workflowService.resetWorkflowExecution({
      namespace: h.env.namespace ?? 'default',
      workflowExecution: { workflowId: handle.workflowId, runId: handle.firstExecutionRunId },
      reason: 'test: reset before any child started',
      workflowTaskFinishEventId: firstTask.eventId,
      requestId: randomUUID(),
    });
    const again = await h.env.client.workflow
      .getHandle<typeof runPipeline>(handle.workflowId, runId ?? undefined)
      .result();
    assert.equal(again.status, 'completed');
    const stats = h.sim.stats();
    assert.equal(stats.runsCreated, 3, 'every step ran again with the key it had: no new run, no new bill');
    assert.equal(stats.requests.createRunNested, 6, 'each step sent its create again, with the same key');
    assert.deepEqual(Object.values(stats.createsByIdempotencyKey), [1, 1, 1]);
    assert.deepEqual(Object.keys(stats.createsByIdempotencyKey).sort(), [
      `${handle.firstExecutionRunId}-poster-0`,
      `${handle.firstExecutionRunId}-styles-0`,
      `${handle.firstExecutionRunId}-styles-1`,
    ]);
    assert.deepEqual(
      again.steps.styles?.runs.map((r) => r.runId),
      first.steps.styles?.runs.map((r) => r.runId),
      'the same FLORA runs',
    );
  });
});

describe('pipelines: raiseBudget', () => {
  const WAITING: PipelineSpecInput = {
    name: 'raise',
    budgetUsd: 0.1,
    onBudgetExceeded: 'wait',
    steps: [
      { id: 'poster', technique: 'text-to-image', inputs: { prompt: 'fox' } },
      { id: 'clip', technique: 'image-to-video', inputs: { input_image: { fromStep: 'poster' } } },
    ],
  };

  test('the update refuses a lower, negative or non-finite budget, and returns the new ledger', async () => {
    const handle = await start(WAITING);
    await waitFor('waiting for budget', async () =>
      (await handle.query(progressQuery)).phase === 'waiting-budget' ? true : undefined,
    );
    for (const [usd, why] of [
      [0.05, /cannot lower the budget: \$0\.05 is below the current budgetUsd \$0\.1/],
      [-1, /finite number/],
      [Number.POSITIVE_INFINITY, /finite number/],
    ] as const) {
      await assert.rejects(handle.executeUpdate(raiseBudgetUpdate, { args: [usd] }), (err: unknown) => {
        assert.ok(err instanceof WorkflowUpdateFailedError, String(err));
        assert.match(err.cause?.message ?? '', why);
        return true;
      });
    }
    assert.equal((await handle.query(progressQuery)).ledger.budgetUsd, 0.1);
    const ledger = await handle.executeUpdate(raiseBudgetUpdate, { args: [1] });
    assert.equal(ledger.budgetUsd, 1);
    const result = await handle.result();
    assert.equal(result.status, 'completed');
    assert.equal(result.ledger.budgetUsd, 1);
    assert.equal(result.ledger.chargedUsd, 0.29);
  });

  /** The pipeline once it completed or waits on its budget: the bug this guards against waits forever. */
  const settled = (handle: WorkflowHandle<typeof runPipeline>) =>
    waitFor(
      'the pipeline to complete or wait on its budget',
      async () => {
        const p = await handle.query(progressQuery);
        return p.phase === 'completed' || p.phase === 'waiting-budget' ? p : undefined;
      },
      60_000,
    );

  test('a raise sent with the start is kept', async () => {
    const handle = await h.env.client.workflow.signalWithStart(runPipeline, {
      taskQueue: worker.taskQueue,
      workflowId: nextId(),
      args: [{ spec: { options: FAST, ...WAITING } }],
      signal: raiseBudgetSignal,
      signalArgs: [1],
    });
    const raised = await settled(handle);
    assert.equal(raised.ledger.budgetUsd, 1, 'the spec’s $0.10 did not overwrite the raise to $1');
    assert.equal(raised.phase, 'completed');
    assert.equal((await handle.result()).status, 'completed');
  });

  test('the old signal never lowers the budget', async () => {
    h.sim.setRunDuration(3_000, 'text-to-image');
    const lowered = await start({ ...WAITING, budgetUsd: 0.5 });
    // Sent once the spec's budget is in force (a signal in the start's first task would be overwritten by
    // it, hiding the bug) and before the clip is reserved.
    await waitFor('the poster to run', async () =>
      (await lowered.query(progressQuery)).steps.find((s) => s.id === 'poster')?.phase === 'running'
        ? true
        : undefined,
    );
    await lowered.signal(raiseBudgetSignal, 0.01);
    const done = await settled(lowered);
    assert.equal(done.ledger.budgetUsd, 0.5, 'a lower "raise" is ignored');
    assert.equal(done.phase, 'completed');
    assert.equal((await lowered.result()).status, 'completed');
  });
});

describe('pipelines: fail-fast keeps paid work', () => {
  test('a sibling FLORA already runs finishes and its outputs are in the failure; one still creating is cancelled', async () => {
    h.sim.setRunDuration(2_500, 'image-to-video');
    // The top-level create route answers slowly: that sibling has no FLORA run yet when the failure comes.
    h.sim.addFault('createRunTopLevel', { kind: 'latency', latencyMs: 4_000, count: 1 });
    const handle = await start({
      name: 'keep-paid',
      steps: [
        { id: 'doomed', technique: 'text-to-image', inputs: { prompt: 'fox [sim:fail=safety_blocked]' } },
        { id: 'paid', technique: 'image-to-video', inputs: { input_image: IMAGE } },
        {
          id: 'creating',
          techniqueId: 'tech_img2vid01',
          workspaceId: 'ws_simulator',
          inputs: { input_image: IMAGE },
        },
      ],
    });
    const { app } = await expectWorkflowFailure(handle);
    assert.equal(app.type, 'safety_blocked');
    const details = app.details?.[0] as {
      steps: Record<string, { status: string; outputs: { url: string }[] }>;
    };
    assert.equal(details.steps.paid?.status, 'completed', 'the paid sibling finished');
    assert.equal(details.steps.paid?.outputs.length, 1, 'its output is in the failure');
    const paid = await h.env.client.workflow.getHandle(`${handle.workflowId}/paid/0`).describe();
    assert.equal(paid.status.name, 'COMPLETED');
    const creating = await h.env.client.workflow.getHandle(`${handle.workflowId}/creating/0`).describe();
    assert.equal(creating.status.name, 'CANCELLED', 'the sibling without a FLORA run was cancelled');
    const progress = await handle.query(progressQuery);
    assert.match(progress.note ?? '', /failed/);
  });
});

describe('pipelines: reservations are freed only on proof', () => {
  const clips = (extra: Partial<PipelineSpecInput>): PipelineSpecInput => ({
    name: 'clips',
    ...extra,
    steps: [
      { id: 'board', technique: 'storyboard', inputs: { prompt: 'fox' } },
      {
        id: 'clips',
        technique: 'image-to-video',
        forEach: { fromStep: 'board' },
        inputs: { input_image: { item: true } },
      },
      ...(extra.steps ?? []),
    ],
  });

  test('a poll 404 on one child: its price stays reserved, the ledger matches FLORA’s bill, within $1.00', async () => {
    h.sim.setRunDuration(1_500, 'image-to-video');
    const handle = await start(
      clips({
        budgetUsd: 1,
        concurrency: 1,
        onStepFailure: 'continue',
        steps: [{ id: 'extra', technique: 'image-to-video', inputs: { input_image: IMAGE } }],
      }),
    );
    // Once the first clip's run was seen, its polls answer 404 (on both routes): the child ends
    // not_found while its FLORA run goes on and is billed.
    await waitFor('the first clip to be polled', async () => {
      const child = h.env.client.workflow.getHandle(`${handle.workflowId}/clips/0`);
      return (await child.query(statusQuery)).polls > 0 ? true : undefined;
    });
    h.sim.addFault('getRun', { kind: 'status4xx', status: 404, count: 2 });
    const { app } = await expectWorkflowFailure(handle);
    assert.equal(app.type, 'budget_exceeded', 'the last run did not fit');
    const details = app.details?.[0] as {
      ledger: { chargedUsd: number; reservedUsd: number };
      steps: Record<string, { runs: { error?: { type: string } }[] }>;
    };
    assert.equal(details.steps.clips?.runs[0]?.error?.type, 'not_found');
    await waitFor('FLORA to finish every run', () =>
      Promise.resolve(h.sim.stats().billedUsd >= 0.87 - 1e-9 ? true : undefined),
    );
    const stats = h.sim.stats();
    assert.equal(stats.runsCreated, 4, 'storyboard and three clips; the extra run never fitted');
    assert.ok(stats.billedUsd <= 1 + 1e-9, `billed ${stats.billedUsd}`);
    assert.equal(
      Math.round((details.ledger.chargedUsd + details.ledger.reservedUsd) * 100) / 100,
      Math.round(stats.billedUsd * 100) / 100,
      'charged plus reserved is what FLORA billed',
    );
  });

  test('budget `fail` waits for runs in flight: a clip that failed at FLORA frees room and the last clip runs', async () => {
    h.sim.queueRunFailure('image-to-video', 'safety_blocked');
    const handle = await start(clips({ budgetUsd: 0.7, concurrency: 4, onStepFailure: 'continue' }));
    const result = await handle.result();
    assert.equal(result.status, 'partial');
    assert.equal(h.sim.stats().runsCreated, 4, 'the third clip ran in the room the failed one freed');
    assert.equal(result.ledger.chargedUsd, 0.62);
    assert.equal(result.ledger.reservedUsd, 0);
    assert.ok(h.sim.stats().billedUsd <= 0.7 + 1e-9);
  });
});
