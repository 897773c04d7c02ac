/**
 * Resume instead of re-pay (issue 9), the edges, on a real dev server against the simulator: expired
 * output URLs (the worker's saved copy is taken; a step without one runs again, billed), and pipelines
 * that ran in batches (continue-as-new): a resume takes the runs every earlier execution completed, the
 * ledger's reusedUsd survives the resumed pipeline's own batches (a taken run after one not started is
 * carried too), and fail-fast or a cancel between batches keeps what finished and starts no child of a
 * later batch.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { WorkflowNotFoundError } from '@temporalio/client';
import { startPipeline } from '../src/client/pipelines';
import { planResume } from '../src/client/resume';
import { parsePipelineSpec, type PipelineSpecInput } from '../src/pipelines/spec';
import { runPipeline } from '../src/workflows';
import { FAST, useDownloadHarness, type Harness, type RunningWorker } from './helpers/env';
import { expectWorkflowCancelled, expectWorkflowFailure, waitFor } from './helpers/failures';
import { createsPerStep as createsOf } from './helpers/creates';

let h: Harness;
let worker: RunningWorker;
let root: string;
let seq = 0;

useDownloadHarness('flora-resume-', { runDurationMs: 300, serveFiles: true }, (harness, w, dir) => {
  h = harness;
  worker = w;
  root = dir;
});

const wid = (what: string) => `resume-${what}-${process.pid}-${++seq}`;

const createsPerStep = (firstExecutionRunId: string) => createsOf(h.sim, firstExecutionRunId);

/** Starts a pipeline in batches of `runsPerExecution` runs (the 500 of production, made small). */
function startBatched(workflowId: string, spec: PipelineSpecInput, runsPerExecution = 2) {
  return h.env.client.workflow.start(runPipeline, {
    taskQueue: worker.taskQueue,
    workflowId,
    args: [{ spec, runsPerExecution }],
  });
}

/** What `startPipeline(..., { resume: true })` does, in batches: plans from the closed pipeline, starts. */
async function resumeBatched(workflowId: string, spec: PipelineSpecInput, runsPerExecution = 2) {
  const parsed = parsePipelineSpec(spec);
  assert.ok(parsed.ok);
  const plan = await planResume(h.env.client, workflowId, parsed.spec);
  const handle = await h.env.client.workflow.start(runPipeline, {
    taskQueue: worker.taskQueue,
    workflowId,
    args: [{ spec, reuse: plan.reuse, runsPerExecution }],
  });
  return { plan, handle };
}

async function childStatus(id: string): Promise<string | undefined> {
  try {
    return (await h.env.client.workflow.getHandle(id).describe()).status.name;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

describe('expired output URLs on resume', () => {
  // Independent steps: this simulator serves its files over plain http, which FLORA refuses as an input.
  test('a step whose output the worker saved is taken from the copy; one without a copy runs again, billed', async () => {
    const dir = `saved-${seq}`;
    const spec = (text: string): PipelineSpecInput => ({
      name: 'saved',
      onStepFailure: 'continue',
      options: { ...FAST, downloadTo: dir },
      steps: [
        { id: 'poster', technique: 'text-to-image', inputs: { prompt: 'fox' } },
        { id: 'voice', technique: 'text-to-speech', inputs: { text: 'hello' } },
        { id: 'clip', technique: 'text-to-speech', inputs: { text } },
      ],
    });
    const workflowId = wid('saved');
    const options = { workflowId, taskQueue: worker.taskQueue, allowFastPolling: true };
    const first = await startPipeline(h.env.client, spec('x [sim:fail=safety_blocked]'), options);
    assert.equal((await first.result()).status, 'partial');
    assert.deepEqual(createsPerStep((await first.describe()).runId), { poster: 1, voice: 1, clip: 1 });

    // Later: FLORA's URLs have expired, and the voice's saved copy is gone from this worker.
    h.sim.expireFiles();
    await rm(join(root, dir, 'voice-0'), { recursive: true });
    const resumed = await startPipeline(h.env.client, spec('x'), { ...options, resume: true });
    assert.deepEqual(
      resumed.start.resumed?.reused.map((r) => r.step),
      ['poster', 'voice'],
    );
    const result = await resumed.result();
    assert.equal(result.status, 'completed');
    assert.deepEqual(createsPerStep((await resumed.describe()).runId), { voice: 1, clip: 1 });

    const poster = result.steps.poster?.runs[0];
    assert.equal(poster?.chargedUsd, 0);
    assert.match(poster?.reused?.expired?.[0]?.problem ?? '', /^HTTP 410/);
    assert.deepEqual(
      poster?.reused?.localFiles?.map((f) => f.file.startsWith(`${dir}/poster-0/`)),
      [true],
      'the saved copy stands in for the expired URL',
    );
    const voice = result.steps.voice?.runs[0];
    assert.equal(voice?.reused, undefined);
    assert.match(
      voice?.notReused ?? '',
      /output "audio" \(\S+\) HTTP 410.*no saved copy was found: it runs again and is billed/,
    );
    assert.equal(result.ledger.reusedUsd, 0.04, 'the poster only');
    assert.equal(result.ledger.chargedUsd, 0.04, 'the voice again and the clip');
  });
});

describe('resuming a pipeline that ran in batches', () => {
  const frames = (n: number): PipelineSpecInput['steps'][number] => ({
    id: 'frames',
    technique: 'text-to-image',
    forEach: Array.from({ length: n }, (_, i) => `fox ${i}`),
    inputs: { prompt: { item: true } },
  });

  test('the runs of every earlier execution are taken, and reusedUsd survives the resumed batches', async () => {
    const workflowId = wid('batches');
    const failing: PipelineSpecInput = {
      name: 'batches',
      concurrency: 2,
      onStepFailure: 'continue',
      options: FAST,
      steps: [
        frames(4),
        { id: 'clip', technique: 'text-to-speech', inputs: { text: 'x [sim:fail=safety_blocked]' } },
      ],
    };
    const first = await startBatched(workflowId, failing);
    const partial = await first.result();
    assert.equal(partial.status, 'partial');
    assert.equal(partial.steps.frames?.runsListed, 'none', 'the result only summarises the frames');
    assert.deepEqual(createsPerStep(first.firstExecutionRunId), { frames: 4, clip: 1 });
    assert.notEqual((await first.describe()).runId, first.firstExecutionRunId, 'it continued as new');

    const fixed: PipelineSpecInput = {
      ...failing,
      steps: [
        frames(4),
        { id: 'clip', technique: 'text-to-speech', inputs: { text: 'x' } },
        {
          id: 'voices',
          technique: 'text-to-speech',
          forEach: ['a', 'b', 'c'],
          inputs: { text: { item: true } },
        },
      ],
    };
    const { plan, handle } = await resumeBatched(workflowId, fixed);
    assert.deepEqual(plan.summary.reused, [{ step: 'frames', runs: 4, chargedUsd: 0.16 }]);
    const result = await handle.result();
    assert.equal(result.status, 'completed');
    assert.ok((result.executions ?? 1) >= 2, `the resumed pipeline ran in batches too: ${result.executions}`);
    assert.deepEqual(createsPerStep(handle.firstExecutionRunId), { clip: 1, voices: 3 });
    assert.equal(h.sim.stats().runsCreated, 9, 'five before, four after: no frame again');
    assert.equal(result.ledger.steps.frames?.reusedUsd, 0.16);
    assert.equal(result.ledger.reusedUsd, 0.16, 'the frames, taken in the first execution, still counted');
    assert.equal(result.ledger.chargedUsd, 0.08);
  });

  test('runs 1 and 3 taken, batches of one: the taken run after the gap is carried, the resume continues as new', async () => {
    const workflowId = wid('gap');
    const spec: PipelineSpecInput = {
      name: 'gap',
      concurrency: 1,
      onStepFailure: 'continue',
      options: FAST,
      steps: [frames(4)],
    };
    // One at a time, so runs are created in index order: runs 0 and 2 fail, runs 1 and 3 complete.
    h.sim.setRunDuration(2_000);
    h.sim.queueRunFailure('text-to-image', 'safety_blocked');
    const first = await startBatched(workflowId, spec, 10);
    await waitFor('run 1 to be created', () =>
      Promise.resolve(h.sim.stats().runsCreated >= 2 ? true : undefined),
    );
    h.sim.queueRunFailure('text-to-image', 'safety_blocked');
    assert.equal((await first.result()).status, 'partial');
    assert.equal(h.sim.stats().runsCreated, 4);
    h.sim.setRunDuration(300);

    // Run 0 fills the resumed batch while run 2 has not started and run 3 (taken) has ended: before
    // pipeline-carry-runs-after-a-gap-v1 that carry was refused and this one execution ran everything.
    const { plan, handle } = await resumeBatched(workflowId, spec, 1);
    assert.deepEqual(plan.summary.reused, [{ step: 'frames', runs: 2, chargedUsd: 0.08 }]);
    assert.deepEqual(
      plan.reuse.steps.frames?.map((r) => r.index),
      [1, 3],
    );
    const result = await handle.result();
    assert.equal(result.status, 'completed');
    assert.ok(
      (result.executions ?? 1) >= 2,
      `the resume continued as new: ${result.executions} execution(s)`,
    );
    assert.deepEqual(createsPerStep(handle.firstExecutionRunId), { frames: 2 }, 'runs 0 and 2 only');
    assert.equal(result.steps.frames?.counts?.completed, 4);
    assert.equal(result.ledger.reusedUsd, 0.08, 'runs 1 and 3, one of them carried across the boundary');
    assert.equal(result.ledger.chargedUsd, 0.08);
  });

  test('fail-fast in the second batch: the first batch and the paid sibling are kept, no later child starts', async () => {
    const workflowId = wid('fail-fast');
    const spec: PipelineSpecInput = {
      name: 'voices',
      concurrency: 2,
      options: FAST,
      steps: [
        frames(4),
        {
          id: 'voices',
          technique: 'text-to-speech',
          forEach: ['a', 'b', 'c', 'd'],
          inputs: { text: { item: true } },
        },
      ],
    };
    // Runs launch in step order, two per batch: frames 0–1, frames 2–3, voices 0–1 (one of them fails),
    // voices 2–3 (never started).
    h.sim.queueRunFailure('text-to-speech', 'safety_blocked');
    // Long enough that the sibling has its FLORA run (so it is kept, not cancelled) when the failure comes.
    h.sim.setRunDuration(3_000, 'text-to-speech');
    const first = await startBatched(workflowId, spec);
    const { app } = await expectWorkflowFailure(first);
    assert.equal(app.type, 'safety_blocked');
    const details = app.details?.[0] as {
      steps: Record<string, { counts: { total: number; completed: number; failed: number } }>;
    };
    assert.equal(details.steps.frames?.counts.completed, 4);
    assert.equal(details.steps.voices?.counts.completed, 1, 'the sibling FLORA already ran finished');
    assert.equal(details.steps.voices?.counts.failed, 1);
    assert.equal(h.sim.stats().runsCreated, 6);
    assert.equal(await childStatus(`${workflowId}/voices/2`), undefined, 'no child of the next batch');
    assert.equal(await childStatus(`${workflowId}/voices/3`), undefined);

    h.sim.setRunDuration(300, 'text-to-speech');
    const { plan, handle } = await resumeBatched(workflowId, spec);
    assert.deepEqual(
      plan.summary.reused.map((r) => [r.step, r.runs]),
      [
        ['frames', 4],
        ['voices', 1],
      ],
    );
    const result = await handle.result();
    assert.equal(result.status, 'completed');
    assert.deepEqual(createsPerStep(handle.firstExecutionRunId), { voices: 3 });
    assert.equal(result.ledger.reusedUsd, 0.18, 'four frames ($0.16) and the paid sibling ($0.02)');
    assert.equal(result.ledger.chargedUsd, 0.06);
  });

  test('cancelled in the second batch: the first batch is kept, no later child starts', async () => {
    h.sim.setRunDuration(4_000);
    const workflowId = wid('cancel');
    const spec: PipelineSpecInput = { name: 'cancel', concurrency: 2, options: FAST, steps: [frames(6)] };
    const first = await startBatched(workflowId, spec);
    await waitFor(
      'the second batch to run',
      async () => ((await childStatus(`${workflowId}/frames/2`)) === 'RUNNING' ? true : undefined),
      60_000,
    );
    await h.env.client.workflow.getHandle(workflowId).cancel();
    await expectWorkflowCancelled(h.env.client.workflow.getHandle(workflowId));
    assert.equal(await childStatus(`${workflowId}/frames/0`), 'COMPLETED');
    assert.equal(await childStatus(`${workflowId}/frames/1`), 'COMPLETED');
    assert.equal(await childStatus(`${workflowId}/frames/4`), undefined, 'no child of the next batch');
    assert.equal(await childStatus(`${workflowId}/frames/5`), undefined);
    assert.deepEqual(createsPerStep(first.firstExecutionRunId), { frames: 4 });

    h.sim.setRunDuration(300);
    const { plan, handle } = await resumeBatched(workflowId, spec);
    assert.deepEqual(plan.summary.reused, [{ step: 'frames', runs: 2, chargedUsd: 0.08 }]);
    const result = await handle.result();
    assert.equal(result.status, 'completed');
    assert.deepEqual(createsPerStep(handle.firstExecutionRunId), { frames: 4 });
    assert.equal(result.ledger.reusedUsd, 0.08);
  });
});
