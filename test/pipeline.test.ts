/**
 * runPipeline on a real Temporal dev server against the FLORA simulator.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { progressQuery, raiseBudgetSignal, statusQuery } from '../src/workflows';
import { startWorker, taskQueue, type Harness } from './helpers/env';
import { useWorkflowTests } from './helpers/workflow-tests';
import { expectWorkflowCancelled, expectWorkflowFailure, waitFor } from './helpers/failures';

let h: Harness;

const { startPipeline: start } = useWorkflowTests('pl', (harness) => {
  h = harness;
});

const IMAGE = 'https://images.example.com/fox.png';

describe('pipelines: shapes', () => {
  test('linear chain: text → image → video, outputs wired by type', async () => {
    const handle = await start({
      name: 'chain',
      steps: [
        { id: 'poster', technique: 'text-to-image', inputs: { prompt: 'a red fox at dawn' } },
        { id: 'clip', technique: 'image-to-video', inputs: { input_image: { fromStep: 'poster' } } },
      ],
    });
    const result = await handle.result();
    assert.equal(result.status, 'completed');
    const poster = result.steps.poster;
    const clip = result.steps.clip;
    assert.equal(poster?.status, 'completed');
    assert.equal(clip?.outputs[0]?.type, 'videoUrl');
    const clipRun = h.sim.getRun(clip?.runs[0]?.runId ?? '');
    assert.deepEqual(
      clipRun?.inputs,
      { input_image: poster?.outputs[0]?.url },
      'the poster URL fed the clip',
    );
    assert.equal(clip?.runs[0]?.workflowId, `${handle.workflowId}/clip/0`);
    assert.equal(result.ledger.chargedUsd, 0.29);
    assert.equal(result.ledger.plannedCostUsd, 0.29);
    assert.equal(result.ledger.reservedUsd, 0);
    assert.equal(h.sim.stats().runsCreated, 2);
    assert.equal(h.sim.stats().requests.getTechnique, 2, 'one schema fetch per technique');
    assert.ok(result.timings.durationMs > 0);
  });

  test('diamond: one poster, two clips in parallel, stitched at the end', async () => {
    const handle = await start({
      name: 'diamond',
      steps: [
        { id: 'poster', technique: 'text-to-image', inputs: { prompt: 'fox' } },
        {
          id: 'left',
          technique: 'image-to-video',
          inputs: { input_image: { fromStep: 'poster' }, prompt: 'pan left' },
        },
        {
          id: 'right',
          technique: 'image-to-video',
          inputs: { input_image: { fromStep: 'poster' }, prompt: 'pan right' },
        },
        {
          id: 'stitch',
          technique: 'stitch-clips',
          inputs: { clip_1: { fromStep: 'left' }, clip_2: { fromStep: 'right' } },
        },
      ],
    });
    const result = await handle.result();
    assert.equal(result.status, 'completed');
    const left = result.steps.left?.runs[0];
    const right = result.steps.right?.runs[0];
    assert.ok(left?.startedAt && right?.startedAt && left.finishedAt && right.finishedAt);
    assert.ok(
      left.startedAt < right.finishedAt && right.startedAt < left.finishedAt,
      'the two branches overlapped',
    );
    const stitch = h.sim.getRun(result.steps.stitch?.runs[0]?.runId ?? '');
    assert.deepEqual(stitch?.inputs, { clip_1: left.outputs[0]?.url, clip_2: right.outputs[0]?.url });
    assert.equal(h.sim.stats().requests.getTechnique, 3, 'image-to-video fetched once for two steps');
  });

  test('forEach over a list and over a step’s outputs, results gathered in order', async () => {
    const handle = await start({
      name: 'fan-out',
      concurrency: 2,
      steps: [
        { id: 'poster', technique: 'text-to-image', inputs: { prompt: 'fox' } },
        {
          id: 'styles',
          technique: 'restyle-image',
          forEach: ['watercolor', 'neon', 'charcoal'],
          inputs: { image: { fromStep: 'poster' }, style: { item: true } },
        },
        {
          id: 'clips',
          technique: 'image-to-video',
          forEach: { fromStep: 'styles' },
          inputs: { input_image: { item: true } },
        },
      ],
    });
    const result = await handle.result();
    const styles = result.steps.styles?.runs ?? [];
    assert.deepEqual(
      styles.map((r) => r.item),
      ['watercolor', 'neon', 'charcoal'],
    );
    assert.deepEqual(
      styles.map((r) => h.sim.getRun(r.runId ?? '')?.inputs.style),
      ['watercolor', 'neon', 'charcoal'],
    );
    const clips = result.steps.clips?.runs ?? [];
    assert.equal(clips.length, 3);
    clips.forEach((clip, i) =>
      assert.equal(clip.item, styles[i]?.outputs[0]?.url, `clip ${i} animates style ${i}`),
    );
    assert.equal(result.ledger.plannedCostUsd, undefined, 'unknown up front: forEach over a step');
    assert.equal(result.ledger.chargedUsd, 0.04 + 3 * 0.03 + 3 * 0.25);
    assert.equal(h.sim.stats().runsCreated, 7);
  });

  test('a storyboard fans out to every frame, and output indexes pick from a fan-out', async () => {
    const handle = await start({
      name: 'storyboard',
      steps: [
        { id: 'board', technique: 'storyboard', inputs: { prompt: 'a fox crosses a river' } },
        {
          id: 'clips',
          technique: 'image-to-video',
          forEach: { fromStep: 'board' },
          inputs: { input_image: { item: true } },
        },
        {
          id: 'film',
          technique: 'stitch-clips',
          inputs: {
            clip_1: { fromStep: 'clips', output: 0 },
            clip_2: { fromStep: 'clips', output: 1 },
            clip_3: { fromStep: 'clips', output: 2 },
          },
        },
      ],
    });
    const result = await handle.result();
    assert.equal(result.steps.clips?.runs.length, 3);
    const film = h.sim.getRun(result.steps.film?.runs[0]?.runId ?? '');
    assert.deepEqual(
      Object.values(film?.inputs ?? {}),
      result.steps.clips?.outputs.map((o) => o.url),
    );
  });
});

describe('pipelines: rejected before any run is created', () => {
  test('type mismatch along an edge, unknown step, unknown and missing inputs, item outside forEach: all at once', async () => {
    const handle = await start({
      name: 'broken',
      steps: [
        { id: 'clip', technique: 'image-to-video', inputs: { input_image: IMAGE } },
        {
          id: 'restyle',
          technique: 'restyle-image',
          inputs: { image: { fromStep: 'clip' }, style: { item: true }, mood: 'calm' },
        },
        { id: 'speech', technique: 'text-to-speech', inputs: { text: { fromStep: 'nowhere' } } },
        { id: 'cctv', technique: 'cctv-cam', inputs: {} },
      ],
    });
    const { app } = await expectWorkflowFailure(handle);
    assert.equal(app.type, 'invalid_pipeline');
    const problems = (app.details?.[0] as { problems: { path: string; message: string }[] }).problems;
    const byPath = Object.fromEntries(problems.map((p) => [p.path, p.message]));
    assert.match(
      byPath['steps[1].inputs.image'] ?? '',
      /type mismatch: step "clip" has no imageUrl output \(it has video \(videoUrl\)\)/,
    );
    assert.match(byPath['steps[1].inputs.style'] ?? '', /only allowed in a step with forEach/);
    assert.match(byPath['steps[1].inputs.mood'] ?? '', /unknown input/);
    assert.match(byPath['steps[2].inputs.text.fromStep'] ?? '', /unknown step "nowhere"/);
    assert.match(byPath['steps[3].inputs.input_image'] ?? '', /required imageUrl input/);
    assert.equal(h.sim.stats().runsCreated, 0);
    assert.equal(h.sim.stats().requests.createRunNested, 0);
  });

  test('a cycle is rejected with its path', async () => {
    const handle = await start({
      name: 'cycle',
      steps: [
        { id: 'a', technique: 'restyle-image', inputs: { image: { fromStep: 'b' }, style: 'x' } },
        { id: 'b', technique: 'restyle-image', inputs: { image: { fromStep: 'a' }, style: 'y' } },
      ],
    });
    const { app } = await expectWorkflowFailure(handle);
    assert.equal(app.type, 'invalid_pipeline');
    assert.match(app.message, /dependency cycle: (a → b → a|b → a → b)/);
    assert.equal(h.sim.stats().runsCreated, 0);
  });

  test('a spec of the wrong shape names the path', async () => {
    const handle = await start({
      name: 'shape',
      concurrency: 0,
      steps: [{ id: 'x y', technique: 'text-to-image', inputs: { prompt: 42 } }],
    } as never);
    const { app } = await expectWorkflowFailure(handle);
    assert.equal(app.type, 'invalid_pipeline');
    assert.match(app.message, /concurrency/);
    assert.match(app.message, /steps\[0\]\.id/);
    assert.match(app.message, /steps\[0\]\.inputs\.prompt/);
    assert.equal(h.sim.stats().requests.getTechnique, 0);
  });
});

describe('pipelines: budget', () => {
  test('a plan over budget is refused up front with zero creates', async () => {
    const handle = await start({
      name: 'too-dear',
      budgetUsd: 0.3,
      steps: [
        { id: 'poster', technique: 'text-to-image', inputs: { prompt: 'fox' } },
        {
          id: 'clips',
          technique: 'image-to-video',
          forEach: ['https://x.test/a.png', 'https://x.test/b.png'],
          inputs: { input_image: { item: true } },
        },
      ],
    });
    const { app } = await expectWorkflowFailure(handle);
    assert.equal(app.type, 'budget_exceeded');
    assert.match(app.message, /costs \$0\.54 for 3 runs, above budgetUsd \(\$0\.3\); nothing was created/);
    assert.equal(h.sim.stats().runsCreated, 0);
  });

  test('budget reached mid-run (cost unknown up front): started runs finish, the rest are not created', async () => {
    const handle = await start({
      name: 'mid-run',
      budgetUsd: 0.7,
      concurrency: 1,
      steps: [
        { id: 'board', technique: 'storyboard', inputs: { prompt: 'fox' } },
        {
          id: 'clips',
          technique: 'image-to-video',
          forEach: { fromStep: 'board' },
          inputs: { input_image: { item: true } },
        },
      ],
    });
    const { app } = await expectWorkflowFailure(handle);
    assert.equal(app.type, 'budget_exceeded');
    assert.match(app.message, /step "clips" needs \$0\.25 per run/);
    const details = app.details?.[0] as { ledger: { chargedUsd: number; reservedUsd: number } };
    assert.equal(details.ledger.chargedUsd, 0.62, 'storyboard 0.12 + two clips');
    assert.equal(details.ledger.reservedUsd, 0);
    assert.equal(h.sim.stats().runsCreated, 3);
    assert.ok(h.sim.stats().billedUsd <= 0.7);
  });

  test('onBudgetExceeded "wait" waits for the raiseBudget signal, then finishes', async () => {
    const handle = await start({
      name: 'wait',
      budgetUsd: 0.1,
      onBudgetExceeded: 'wait',
      steps: [
        { id: 'poster', technique: 'text-to-image', inputs: { prompt: 'fox' } },
        { id: 'clip', technique: 'image-to-video', inputs: { input_image: { fromStep: 'poster' } } },
      ],
    });
    const waiting = await waitFor('waiting for budget', async () => {
      const p = await handle.query(progressQuery);
      return p.phase === 'waiting-budget' ? p : undefined;
    });
    assert.match(waiting.note ?? '', /raiseBudget/);
    assert.equal(h.sim.stats().runsCreated, 0);
    await handle.signal(raiseBudgetSignal, 1);
    const result = await handle.result();
    assert.equal(result.status, 'completed');
    assert.equal(result.ledger.budgetUsd, 1);
  });
});

describe('pipelines: failures and cancellation', () => {
  test('fail-fast fails with the failing step’s error; a sibling FLORA already runs finishes, dependants are skipped', async () => {
    h.sim.setRunDuration(2_500, 'image-to-video'); // still running when the failure comes
    const handle = await start({
      name: 'fail-fast',
      steps: [
        { id: 'doomed', technique: 'text-to-image', inputs: { prompt: 'fox [sim:fail=safety_blocked]' } },
        { id: 'slow', technique: 'image-to-video', inputs: { input_image: IMAGE } },
        { id: 'after', technique: 'image-to-video', inputs: { input_image: { fromStep: 'doomed' } } },
      ],
    });
    const { app } = await expectWorkflowFailure(handle);
    assert.equal(app.type, 'safety_blocked');
    assert.match(app.message, /Step "doomed" \(run 0\) failed/);
    // FLORA has no cancel: cancelling a created run saves nothing and throws its output away.
    const slow = await h.env.client.workflow.getHandle(`${handle.workflowId}/slow/0`).describe();
    assert.equal(slow.status.name, 'COMPLETED');
    const progress = await handle.query(progressQuery);
    assert.equal(progress.phase, 'failed');
    assert.equal(progress.steps.find((s) => s.id === 'after')?.phase, 'skipped');
  });

  test('continue: independent steps finish, dependants are skipped, the result is partial', async () => {
    h.sim.queueRunFailure('cctv-cam', 'input_unreachable');
    const handle = await start({
      name: 'continue',
      onStepFailure: 'continue',
      steps: [
        { id: 'broken', technique: 'cctv-cam', inputs: { input_image: IMAGE } },
        { id: 'caption', technique: 'caption-image', inputs: { image: { fromStep: 'broken' } } },
        { id: 'poster', technique: 'text-to-image', inputs: { prompt: 'fox' } },
      ],
    });
    const result = await handle.result();
    assert.equal(result.status, 'partial');
    assert.equal(result.steps.broken?.status, 'failed');
    assert.equal(result.steps.broken?.runs[0]?.error?.type, 'input_unreachable');
    assert.equal(result.steps.poster?.status, 'completed');
    assert.equal(result.steps.caption?.status, 'skipped');
    assert.deepEqual(result.skipped, [{ step: 'caption', reason: 'depends on step "broken", which failed' }]);
  });

  test('progress query shows each step’s phase, run ids, progress and cost, and cancelling cancels the children', async () => {
    h.sim.setRunDuration(20_000);
    const handle = await start({
      name: 'cancel-me',
      steps: [
        { id: 'a', technique: 'image-to-video', inputs: { input_image: IMAGE } },
        { id: 'b', technique: 'cctv-cam', inputs: { input_image: IMAGE } },
        { id: 'c', technique: 'caption-image', inputs: { image: { fromStep: 'b' } } },
      ],
    });
    const progress = await waitFor(
      'both runs reported',
      async () => {
        const p = await handle.query(progressQuery);
        const ids = p.steps.flatMap((s) => s.runs.map((r) => r.runId)).filter(Boolean);
        return ids.length === 2 && p.steps.some((s) => s.runs.some((r) => r.progress > 0)) ? p : undefined;
        // Children report progress at most every 10 s (pipeline-child-progress-coalesced-v1).
      },
      40_000,
    );
    assert.equal(progress.phase, 'running');
    assert.equal(progress.ledger.reservedUsd, 0.3);
    assert.equal(progress.steps.find((s) => s.id === 'c')?.phase, 'pending');
    assert.ok(progress.percent >= 0 && progress.percent < 100);
    await handle.cancel();
    await expectWorkflowCancelled(handle);
    for (const step of ['a', 'b']) {
      const child = await h.env.client.workflow.getHandle(`${handle.workflowId}/${step}/0`).describe();
      assert.equal(child.status.name, 'CANCELLED', `child ${step}`);
    }
    assert.equal(h.sim.stats().runsCreated, 2);
  });
});

describe('pipelines: durability', () => {
  test('the worker stopped mid-pipeline and restarted: completes with exactly one create per step', async () => {
    h.sim.setRunDuration(3_000);
    const queue = taskQueue();
    const first = await startWorker(h, queue);
    const handle = await start(
      {
        name: 'restart',
        steps: [
          { id: 'poster', technique: 'text-to-image', inputs: { prompt: 'fox' } },
          {
            id: 'styles',
            technique: 'restyle-image',
            forEach: ['ink', 'oil'],
            inputs: { image: { fromStep: 'poster' }, style: { item: true } },
          },
        ],
      },
      queue,
    );
    await waitFor('the poster run to be polled', async () => {
      const child = h.env.client.workflow.getHandle(`${handle.workflowId}/poster/0`);
      return (await child.query(statusQuery)).polls > 0 ? true : undefined;
    });
    await first.stop();
    const second = await startWorker(h, queue);
    try {
      const result = await handle.result();
      assert.equal(result.status, 'completed');
      assert.equal(h.sim.stats().runsCreated, 3);
      assert.deepEqual(Object.values(h.sim.stats().createsByIdempotencyKey), [1, 1, 1]);
    } finally {
      await second.stop();
    }
  });
});
