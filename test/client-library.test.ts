/**
 * The client library (FloraWorkflows) on a real dev server: start, wait, query, cancel, attach, list, and
 * the search attributes and memo that let an operator find a FLORA run in Temporal.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FloraWorkflows, FloraRunIdKey, FloraTechniqueKey } from '../src/client';
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

const id = (name: string) => `lib-${name}-${process.pid}-${++seq}`;
const IMAGE = 'https://images.example.com/fox.png';

/** Visibility is eventually consistent: list until the expected rows show up. */
function listUntil(
  what: string,
  query: Parameters<FloraWorkflows['listRuns']>[0],
  ok: (rows: Awaited<ReturnType<FloraWorkflows['listRuns']>>) => boolean,
) {
  return waitFor(what, async () => {
    const rows = await flora.listRuns(query);
    return ok(rows) ? rows : undefined;
  });
}

describe('FloraWorkflows', () => {
  test('pollMinMs below 1,000 ms is refused, naming the field, unless allowFastPolling (a loopback simulator)', async () => {
    const strict = new FloraWorkflows(h.env.client, { taskQueue: worker.taskQueue });
    const fastId = id('fast');
    await assert.rejects(
      strict.startRun(
        { technique: 'text-to-speech', inputs: { text: 'hi' }, options: FAST },
        { workflowId: fastId },
      ),
      /options\.pollMinMs: at least 1000 ms against FLORA.*got 50/,
    );
    await assert.rejects(
      strict.startPipeline(
        {
          name: 'fast',
          steps: [
            { id: 'a', technique: 'text-to-speech', inputs: { text: 'hi' } },
            { id: 'b', technique: 'text-to-speech', inputs: { text: 'hi' }, options: { pollMinMs: 200 } },
          ],
        },
        { workflowId: id('fast-pipeline') },
      ),
      /steps\[1\]\.options\.pollMinMs: at least 1000 ms/,
    );
    await assert.rejects(
      h.env.client.workflow.getHandle(fastId).describe(),
      /not found/i,
      'nothing was started',
    );
    // 1,000 ms and above is fine without the flag.
    const slowEnough = await strict.startRun(
      {
        technique: 'text-to-speech',
        inputs: { text: 'hi' },
        options: { pollMinMs: 1_000, pollMaxMs: 1_000 },
      },
      { workflowId: id('one-second') },
    );
    assert.equal((await slowEnough.result()).status, 'completed');
  });

  test('startRun → status → result; search attributes and memo let an operator find the FLORA run', async () => {
    const run = await flora.startRun(
      { technique: 'cctv-cam', inputs: { input_image: IMAGE }, options: FAST },
      { workflowId: id('run') },
    );
    const status = await run.status();
    assert.ok(['validating', 'creating', 'polling', 'completed'].includes(status.phase));
    const result = await run.result();
    assert.equal(result.status, 'completed');

    const description = await run.handle.describe();
    assert.equal(description.typedSearchAttributes.get(FloraTechniqueKey), 'cctv-cam');
    assert.deepEqual(description.typedSearchAttributes.get(FloraRunIdKey), [result.runId]);
    assert.equal(description.memo?.technique, 'CCTV Cam');
    assert.equal(description.memo?.runCostUsd, 0.05);
    assert.equal(description.memo?.chargedUsd, 0.05);

    const byRunId = await listUntil(
      'the run by FLORA run id',
      { floraRunId: result.runId },
      (rows) => rows.length === 1,
    );
    assert.equal(byRunId[0]?.workflowId, run.workflowId);
    assert.deepEqual(byRunId[0]?.floraRunIds, [result.runId]);
    const byTechnique = await listUntil('runs by technique', { technique: 'cctv-cam' }, (rows) =>
      rows.some((r) => r.workflowId === run.workflowId),
    );
    assert.ok(byTechnique.every((r) => r.technique === 'cctv-cam'));
  });

  test('attachRun follows an existing FLORA run without creating one', async () => {
    const created = await h.flora.createRunNested({
      slug: 'text-to-speech',
      inputs: [{ id: 'text', type: 'text', value: 'hi' }],
    });
    const run = await flora.attachRun(
      created.data.run_id,
      { technique: 'text-to-speech' },
      { workflowId: id('attach') },
    );
    const result = await run.result();
    assert.equal(result.runId, created.data.run_id);
    assert.equal(h.sim.stats().runsCreated, 1);
  });

  test('cancel stops a run; the status says the FLORA run keeps going', async () => {
    h.sim.setRunDuration(60_000);
    const run = await flora.startRun(
      { technique: 'text-to-image', inputs: { prompt: 'fox' }, options: FAST },
      { workflowId: id('cancel') },
    );
    await waitFor('polling', async () => ((await run.status()).polls >= 1 ? true : undefined));
    await run.cancel();
    await expectWorkflowCancelled(run.handle);
    const status = await run.status();
    assert.equal(status.phase, 'cancelled');
    assert.match(status.note ?? '', /keeps going/);
  });

  test('startPipeline → progress → result; listRuns finds the pipeline and its steps by pipeline name', async () => {
    const pipeline = await flora.startPipeline(
      {
        name: 'lib-chain',
        options: FAST,
        steps: [
          { id: 'poster', technique: 'text-to-image', inputs: { prompt: 'fox' } },
          { id: 'clip', technique: 'image-to-video', inputs: { input_image: { fromStep: 'poster' } } },
        ],
      },
      { workflowId: id('pipeline') },
    );
    const progress = await pipeline.progress();
    assert.equal(progress.name, 'lib-chain');
    const result = await pipeline.result();
    assert.equal(result.status, 'completed');
    const rows = await listUntil('pipeline and steps', { pipeline: 'lib-chain' }, (r) => r.length >= 3);
    assert.deepEqual(rows.map((r) => r.type).sort(), ['runPipeline', 'runTechnique', 'runTechnique']);
    const clipRunId = result.steps.clip?.runs[0]?.runId ?? '';
    const clip = await listUntil(
      'the clip step by its FLORA run id',
      { floraRunId: clipRunId },
      (r) => r.length === 1,
    );
    assert.equal(clip[0]?.workflowId, `${pipeline.workflowId}/clip/0`);
    assert.equal(clip[0]?.technique, 'image-to-video');
  });

  test('raiseBudget through the handle unblocks a waiting pipeline', async () => {
    const pipeline = await flora.startPipeline(
      {
        name: 'lib-wait',
        budgetUsd: 0,
        onBudgetExceeded: 'wait',
        options: FAST,
        steps: [{ id: 'a', technique: 'text-to-speech', inputs: { text: 'hi' } }],
      },
      { workflowId: id('wait') },
    );
    await waitFor('waiting', async () =>
      (await pipeline.progress()).phase === 'waiting-budget' ? true : undefined,
    );
    await pipeline.raiseBudget(0.02);
    assert.equal((await pipeline.result()).ledger.chargedUsd, 0.02);
  });
});
