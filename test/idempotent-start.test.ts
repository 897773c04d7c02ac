/**
 * An explicit workflow id is an idempotent request (client library, real dev server and simulator):
 * the same request attaches or returns the completed result and creates nothing; a different request
 * is refused naming what differs; a failed or cancelled one runs again only with `rerun`.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  FINGERPRINT_MEMO_KEY,
  FloraWorkflows,
  RerunRequiredError,
  runTechnique,
  WorkflowIdConflictError,
} from '../src/client';
import { FAST, type Harness, type RunningWorker, useHarness } from './helpers/env';
import { expectWorkflowCancelled, waitFor } from './helpers/failures';

let h: Harness;
let worker: RunningWorker;
let flora: FloraWorkflows;
let seq = 0;

useHarness({}, (harness, w) => {
  h = harness;
  worker = w;
  flora = new FloraWorkflows(h.env.client, { taskQueue: worker.taskQueue, allowFastPolling: true });
});

const id = (name: string) => `idem-${name}-${process.pid}-${++seq}`;
const speech = (text: string) => ({ technique: 'text-to-speech', inputs: { text }, options: FAST });

describe('an explicit workflow id is an idempotent request', () => {
  test('same request while running: attached, one create; different inputs or technique: refused', async () => {
    h.sim.setRunDuration(1_500);
    const workflowId = id('running');
    const first = await flora.startRun(speech('hello'), { workflowId });
    assert.equal(first.start?.action, 'started');
    const again = await flora.startRun(speech('hello'), { workflowId });
    assert.equal(again.start?.action, 'attached');
    assert.equal(again.start?.comparedWith, 'memo');

    await assert.rejects(flora.startRun(speech('goodbye'), { workflowId }), (err) => {
      assert.ok(err instanceof WorkflowIdConflictError);
      assert.deepEqual(err.differs, ['inputs']);
      assert.match(err.message, new RegExp(`workflow ${workflowId} \\(running\\).*inputs differs`));
      return true;
    });
    await assert.rejects(
      flora.startRun(
        { technique: 'text-to-image', inputs: { prompt: 'hello' }, options: FAST },
        { workflowId },
      ),
      (err) => err instanceof WorkflowIdConflictError && err.differs.join() === 'inputs,technique',
    );
    const [a, b] = await Promise.all([first.result(), again.result()]);
    assert.equal(a.runId, b.runId);
    assert.equal(h.sim.stats().runsCreated, 1);
  });

  test('same request after it completed: its result, nothing created; a different one: refused', async () => {
    const workflowId = id('completed');
    const first = await flora.startRun(speech('once'), { workflowId });
    const done = await first.result();
    const again = await flora.startRun(speech('once'), { workflowId, rerun: true });
    assert.equal(again.start?.action, 'completed', 'rerun never re-runs a completed workflow');
    assert.equal((await again.result()).runId, done.runId);
    assert.equal(h.sim.stats().runsCreated, 1, 'nothing billed again');
    await assert.rejects(
      flora.startRun(speech('twice'), { workflowId }),
      (err) => err instanceof WorkflowIdConflictError && /\(completed\)/.test(err.message),
    );
  });

  test('failed or cancelled: refused without rerun; with rerun a new execution (billed) starts', async () => {
    h.sim.queueRunFailure('text-to-speech', 'safety_blocked');
    const workflowId = id('failed');
    const first = await flora.startRun(speech('blocked'), { workflowId });
    await assert.rejects(first.result());
    await assert.rejects(flora.startRun(speech('blocked'), { workflowId }), (err) => {
      assert.ok(err instanceof RerunRequiredError);
      assert.equal(err.status, 'FAILED');
      assert.match(err.message, /ended failed; nothing was started.*--rerun.*billed/);
      return true;
    });
    assert.equal(h.sim.stats().runsCreated, 1);
    const rerun = await flora.startRun(speech('blocked'), { workflowId, rerun: true });
    assert.equal(rerun.start?.action, 'rerun');
    assert.equal(rerun.start?.existing?.status, 'FAILED');
    assert.equal((await rerun.result()).status, 'completed');
    assert.equal(h.sim.stats().runsCreated, 2);

    h.sim.setRunDuration(60_000);
    const cancelledId = id('cancelled');
    const slow = await flora.startRun(speech('slow'), { workflowId: cancelledId });
    await waitFor('a poll', async () => ((await slow.status()).polls >= 1 ? true : undefined));
    await slow.cancel();
    await expectWorkflowCancelled(slow.handle);
    await assert.rejects(
      flora.startRun(speech('slow'), { workflowId: cancelledId }),
      (err) => err instanceof RerunRequiredError && err.status === 'CANCELLED',
    );
    await assert.rejects(
      flora.startRun(speech('other'), { workflowId: cancelledId, rerun: true }),
      WorkflowIdConflictError,
      'rerun still needs the same request',
    );
  });

  test('a workflow started without a fingerprint is compared by its start input from history', async () => {
    h.sim.setRunDuration(1_500);
    const workflowId = id('legacy');
    // How clients before fingerprints started a run: no requestFingerprint in the memo.
    const legacy = await h.env.client.workflow.start(runTechnique, {
      taskQueue: worker.taskQueue,
      workflowId,
      args: [speech('old')],
      memo: { technique: 'text-to-speech' },
    });
    const description = await legacy.describe();
    assert.equal(description.memo?.[FINGERPRINT_MEMO_KEY], undefined);
    const same = await flora.startRun(speech('old'), { workflowId });
    assert.equal(same.start?.action, 'attached');
    assert.equal(same.start?.comparedWith, 'history');
    await assert.rejects(
      flora.startRun(speech('new'), { workflowId }),
      (err) => err instanceof WorkflowIdConflictError && err.differs.join() === 'inputs',
    );
    await legacy.result();
    assert.equal(h.sim.stats().runsCreated, 1);
  });

  test('pipelines: same spec attaches or returns the result; a changed spec is refused naming the field', async () => {
    const spec = {
      name: 'idem-chain',
      options: FAST,
      steps: [{ id: 'voice', technique: 'text-to-speech', inputs: { text: 'hi' } }],
    };
    const workflowId = id('pipeline');
    const first = await flora.startPipeline(spec, { workflowId });
    assert.equal(first.start?.action, 'started');
    await first.result();
    const again = await flora.startPipeline(spec, { workflowId });
    assert.equal(again.start?.action, 'completed');
    assert.equal((await again.result()).status, 'completed');
    await assert.rejects(
      flora.startPipeline({ ...spec, budgetUsd: 1 }, { workflowId }),
      (err) => err instanceof WorkflowIdConflictError && err.differs.join() === 'budgetUsd',
    );
    await assert.rejects(
      flora.startRun(speech('hi'), { workflowId }),
      (err) => err instanceof WorkflowIdConflictError && /runPipeline workflow, not a run/.test(err.message),
    );
    assert.equal(h.sim.stats().runsCreated, 1);
  });
});
