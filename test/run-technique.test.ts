/**
 * runTechnique on a real Temporal dev server against the FLORA simulator: happy paths, validation,
 * failed runs, attach, the status query and secrets.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runTechnique, statusQuery } from '../src/workflows';
import { FAST, startHarness, startWorker, type Harness } from './helpers/env';
import { useWorkflowTests } from './helpers/workflow-tests';
import { expectWorkflowFailure, waitFor } from './helpers/failures';

let h: Harness;

const { startTechnique: start } = useWorkflowTests('rt', (harness) => {
  h = harness;
});

const IMAGE = 'https://images.example.com/fox.png';

describe('runTechnique: happy paths', () => {
  test('nested route: validates, creates once with the derived key, polls to completion', async () => {
    const handle = await start({
      technique: 'text-to-image',
      inputs: { prompt: 'a red fox at dawn' },
      options: FAST,
    });
    const result = await handle.result();
    assert.equal(result.status, 'completed');
    assert.equal(result.workflowId, handle.workflowId);
    assert.match(result.runId, /^run_/);
    assert.deepEqual(result.technique, {
      slug: 'text-to-image',
      techniqueId: 'tech_txt2img01',
      name: 'Text to Image',
    });
    assert.equal(result.outputs.length, 1);
    assert.equal(result.outputs[0]?.outputId, 'image');
    assert.equal(result.outputs[0]?.type, 'imageUrl');
    assert.match(result.outputs[0]?.url ?? '', /^https:\/\//);
    assert.equal(result.chargedCost, 0.04);
    assert.equal(result.progress, 100);
    assert.equal(result.attempts, 1);
    assert.ok(result.polls >= 1);

    const stats = h.sim.stats();
    assert.equal(stats.runsCreated, 1);
    const description = await handle.describe();
    const expectedKey = `${description.runId}-1`;
    assert.deepEqual(stats.createsByIdempotencyKey, { [expectedKey]: 1 });
    assert.equal(stats.requests.getTechnique, 1);
    assert.equal(stats.requests.getRun, result.polls);

    const status = await handle.query(statusQuery);
    assert.equal(status.phase, 'completed');
    assert.equal(status.runId, result.runId);
    assert.equal(status.polls, result.polls);
    assert.equal(status.chargedCost, 0.04);
  });

  test('top-level route: techniqueId + workspaceId, inputs sent as a map, polled with the tech_ id', async () => {
    const handle = await start({
      techniqueId: 'tech_img2vid01',
      workspaceId: 'ws_simulator',
      inputs: { input_image: IMAGE },
      options: FAST,
    });
    const result = await handle.result();
    assert.equal(result.technique.techniqueId, 'tech_img2vid01');
    assert.equal(result.outputs[0]?.type, 'videoUrl');
    assert.equal(h.sim.stats().requests.createRunTopLevel, 1);
    assert.equal(h.sim.stats().runsCreated, 1);
  });

  test('a caller-supplied idempotency key is sent unchanged', async () => {
    const handle = await start({
      technique: 'text-to-speech',
      inputs: { text: 'hello' },
      options: { ...FAST, idempotencyKey: 'order-4711' },
    });
    await handle.result();
    assert.deepEqual(h.sim.stats().createsByIdempotencyKey, { 'order-4711': 1 });
  });

  test('attachRunId: creates nothing, polls the given run to completion', async () => {
    const created = await h.flora.createRunNested({
      slug: 'cctv-cam',
      inputs: [{ id: 'input_image', type: 'imageUrl', value: IMAGE }],
    });
    const handle = await start({
      technique: 'cctv-cam',
      inputs: {},
      options: { ...FAST, attachRunId: created.data.run_id },
    });
    const result = await handle.result();
    assert.equal(result.runId, created.data.run_id);
    assert.equal(result.attempts, 1);
    assert.equal(h.sim.stats().runsCreated, 1, 'only the run the test created itself');
    assert.equal(h.sim.stats().requests.createRunNested, 1);
  });
});

describe('runTechnique: validation before any money is spent', () => {
  test('every input problem is reported in one non-retryable failure, and nothing is created', async () => {
    const handle = await start({
      technique: 'image-to-video',
      inputs: { input_image: 'http://images.example.com/fox.png', prompt: '', colour: 'red' },
      options: { ...FAST, maxCostUsd: 0.1 },
    });
    const { app } = await expectWorkflowFailure(handle);
    assert.equal(app.type, 'invalid_request');
    assert.equal(app.nonRetryable, true);
    assert.match(app.message, /inputs\.colour: unknown input/);
    assert.match(app.message, /inputs\.input_image: expected an https:\/\/ URL \(FLORA rejects plain http\)/);
    assert.match(app.message, /inputs\.prompt: expected non-empty text/);
    assert.match(app.message, /run_cost: Image to Video costs \$0.25 per run, above options.maxCostUsd/);
    const details = app.details?.[0] as { problems: { field: string }[] };
    assert.deepEqual(details.problems.map((p) => p.field).sort(), [
      'inputs.colour',
      'inputs.input_image',
      'inputs.prompt',
      'run_cost',
    ]);
    assert.equal(h.sim.stats().runsCreated, 0);
    assert.equal(h.sim.stats().requests.createRunNested, 0);
    const status = await handle.query(statusQuery);
    assert.equal(status.phase, 'failed');
    assert.equal(status.error?.type, 'invalid_request');
  });

  test('missing required input and a mistyped value', async () => {
    const handle = await start({
      technique: 'restyle-image',
      inputs: { image: { type: 'video_url', value: 'https://v.example.com/a.mp4' } },
      options: FAST,
    });
    const { app } = await expectWorkflowFailure(handle);
    assert.match(app.message, /inputs\.image: expected type imageUrl, got a value typed video_url/);
    assert.match(app.message, /inputs\.style: required text input "Style" is missing/);
    assert.equal(h.sim.stats().requests.createRunNested, 0);
  });

  test('bad tech_/ws_ prefixes and bad options fail before FLORA is even asked', async () => {
    const handle = await start({
      techniqueId: 'img2vid',
      workspaceId: 'simulator',
      inputs: {},
      options: { pollMinMs: 0 },
    });
    const { app } = await expectWorkflowFailure(handle);
    assert.equal(app.type, 'invalid_request');
    assert.match(app.message, /techniqueId: expected an id starting with "tech_"/);
    assert.match(app.message, /workspaceId: expected an id starting with "ws_"/);
    assert.match(app.message, /options\.pollMinMs/);
    assert.equal(h.sim.stats().requests.getTechnique, 0);
  });

  test('an unknown technique fails with FLORA not_found through the activity, non-retryably', async () => {
    const handle = await start({ technique: 'no-such-technique', inputs: {}, options: FAST });
    const { app, activity } = await expectWorkflowFailure(handle);
    assert.ok(activity, 'the failure comes from the getTechnique activity');
    assert.equal(app.type, 'not_found');
    assert.equal(app.nonRetryable, true);
    assert.match(app.message, /HTTP 404/);
    assert.match(app.message, /request-id req_/);
    assert.equal(h.sim.stats().requests.getTechnique, 1, 'a 404 is not retried');
  });
});

describe('runTechnique: failed runs', () => {
  test('a permanent run failure fails with FLORA error_code as the type and is not re-created', async () => {
    h.sim.queueRunFailure('text-to-image', 'safety_blocked', 'The prompt was blocked by the safety filter');
    const handle = await start({
      technique: 'text-to-image',
      inputs: { prompt: 'something' },
      options: FAST,
    });
    const { app } = await expectWorkflowFailure(handle);
    assert.equal(app.type, 'safety_blocked');
    assert.equal(app.nonRetryable, true);
    assert.match(app.message, /blocked by the safety filter/);
    assert.equal(h.sim.stats().runsCreated, 1);
  });

  test('input_unreachable never retries', async () => {
    h.sim.queueRunFailure('cctv-cam', 'input_unreachable');
    const handle = await start({ technique: 'cctv-cam', inputs: { input_image: IMAGE }, options: FAST });
    const { app } = await expectWorkflowFailure(handle);
    assert.equal(app.type, 'input_unreachable');
    assert.equal(h.sim.stats().runsCreated, 1);
  });

  test('a transient failure (model_timeout) is re-created once with the next key, then completes', async () => {
    h.sim.queueRunFailure('text-to-image', 'model_timeout');
    const handle = await start({
      technique: 'text-to-image',
      inputs: { prompt: 'fox' },
      options: { ...FAST, recreateDelayMs: 100 },
    });
    const result = await handle.result();
    assert.equal(result.attempts, 2);
    const firstRunId = (await handle.describe()).runId;
    assert.deepEqual(h.sim.stats().createsByIdempotencyKey, {
      [`${firstRunId}-1`]: 1,
      [`${firstRunId}-2`]: 1,
    });
    const status = await handle.query(statusQuery);
    assert.equal(status.runIds.length, 2);
    assert.equal(status.runIds[1], result.runId);
    assert.equal(status.chargedCost, 0.04, 'the failed run was not charged');
  });

  test('transient failures stop after maxRunAttempts', async () => {
    h.sim.queueRunFailure('text-to-image', 'internal_error');
    h.sim.queueRunFailure('text-to-image', 'internal_error');
    h.sim.queueRunFailure('text-to-image', 'internal_error');
    const handle = await start({
      technique: 'text-to-image',
      inputs: { prompt: 'fox' },
      options: { ...FAST, maxRunAttempts: 2, recreateDelayMs: 100 },
    });
    const { app } = await expectWorkflowFailure(handle);
    assert.equal(app.type, 'internal_error');
    assert.match(app.message, /after 2 run attempts/);
    assert.equal(h.sim.stats().runsCreated, 2);
  });

  test('402 insufficient credits fails non-retryably and says to top up', async () => {
    const poor = await startHarness({ credits: 0.01 });
    const w = await startWorker(poor);
    try {
      const handle = await poor.env.client.workflow.start(runTechnique, {
        taskQueue: w.taskQueue,
        workflowId: `poor-${process.pid}`,
        args: [{ technique: 'image-to-video', inputs: { input_image: IMAGE }, options: FAST }],
      });
      const { app } = await expectWorkflowFailure(handle);
      assert.equal(app.type, 'insufficient_credits');
      assert.equal(app.nonRetryable, true);
      assert.match(app.message, /top up/);
      assert.equal(poor.sim.stats().requests.createRunNested, 1, 'a 402 is not retried blindly');
    } finally {
      await w.stop();
      await poor.close();
    }
  });
});

describe('runTechnique: query and secrets', () => {
  test('the status query reports phase, run id, progress, polls, last poll time and cost while polling', async () => {
    h.sim.setRunDuration(3_000);
    const handle = await start({
      technique: 'image-to-video',
      inputs: { input_image: IMAGE },
      options: FAST,
    });
    const status = await waitFor('polls while running', async () => {
      const s = await handle.query(statusQuery);
      return s.phase === 'polling' && s.polls >= 2 && s.progress > 0 ? s : undefined;
    });
    assert.match(status.runId ?? '', /^run_/);
    assert.equal(status.runCost, 0.25);
    assert.equal(status.attempt, 1);
    assert.ok(status.lastPollAt && !Number.isNaN(Date.parse(status.lastPollAt)));
    assert.deepEqual(status.technique, {
      slug: 'image-to-video',
      techniqueId: 'tech_img2vid01',
      name: 'Image to Video',
    });
    await handle.result();
  });

  test('the FLORA API key appears nowhere in the workflow history', async () => {
    const handle = await start({ technique: 'text-to-image', inputs: { prompt: 'fox' }, options: FAST });
    await handle.result();
    const history = JSON.stringify(await handle.fetchHistory());
    assert.ok(history.length > 1000);
    assert.ok(!history.includes(h.sim.apiKey), 'API key leaked into history');
    assert.ok(!history.toLowerCase().includes('bearer'), 'auth header leaked into history');
  });
});
