/**
 * `flora-temporal pipeline` end to end: the shipped examples run against the simulator on a real dev
 * server, `pipeline validate` checks without spending, and the stdout/exit-code contract holds.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { PipelineResult } from '../src/pipelines/types';
import { runCli } from './helpers/cli';
import { type Harness, type RunningWorker, useHarness } from './helpers/env';

let h: Harness;
let worker: RunningWorker;
let env: Record<string, string>;
let seq = 0;

useHarness({ runDurationMs: 300 }, (harness, w) => {
  h = harness;
  worker = w;
  env = {
    TEMPORAL_ADDRESS: h.env.address,
    FLORA_TASK_QUEUE: worker.taskQueue,
    FLORA_BASE_URL: h.sim.baseUrl,
    FLORA_API_KEY: h.sim.apiKey,
  };
});

const id = () => `clip-${process.pid}-${++seq}`;

async function specFile(spec: unknown, ext = 'json'): Promise<string> {
  const path = join(tmpdir(), `pipeline-${process.pid}-${++seq}.${ext}`);
  await writeFile(path, JSON.stringify(spec));
  return path;
}

describe('flora-temporal pipeline', () => {
  for (const [file, expected] of [
    ['examples/fox-teaser.json', { runs: 7, cost: 0.88, last: 'clips' }],
    ['examples/storyboard-film.yaml', { runs: 5, cost: 0.97, last: 'film' }],
    ['examples/product-shots.yaml', { runs: 12, cost: 0.27, last: 'captions' }],
  ] as const) {
    test(`${file} runs to completion against the simulator (--wait --json)`, async () => {
      const workflowId = id();
      const r = await runCli(
        ['pipeline', file, '--workflow-id', workflowId, '--wait', '--json'],
        env,
        120_000,
      );
      assert.equal(r.code, 0, r.stderr);
      const result = JSON.parse(r.stdout) as PipelineResult;
      assert.equal(result.workflowId, workflowId);
      assert.equal(result.status, 'completed');
      assert.equal(h.sim.stats().runsCreated, expected.runs);
      assert.equal(result.ledger.chargedUsd, expected.cost);
      assert.ok((result.steps[expected.last]?.outputs.length ?? 0) > 0);
      assert.match(r.stderr, /^\S+ \[[#.]{20}\] +\d+% running/m, 'progress lines go to stderr');
    });
  }

  test('without --wait: prints the workflow id (JSON { workflowId } with --json)', async () => {
    const r = await runCli(['pipeline', 'examples/storyboard-film.yaml', '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    const { workflowId } = JSON.parse(r.stdout) as { workflowId: string };
    assert.match(workflowId, /^pipeline-storyboard-film-/);
    await h.env.client.workflow.getHandle(workflowId).result();
  });

  test('a failing pipeline prints { workflowId, status: "failed", error } and exits 1', async () => {
    const file = await specFile({
      name: 'doomed',
      steps: [{ id: 'a', technique: 'text-to-image', inputs: { prompt: 'fox [sim:fail=safety_blocked]' } }],
    });
    const workflowId = id();
    const r = await runCli(['pipeline', file, '--workflow-id', workflowId, '--wait', '--json'], env);
    assert.equal(r.code, 1);
    const out = JSON.parse(r.stdout) as {
      workflowId: string;
      status: string;
      error: { type: string; message: string };
    };
    assert.deepEqual(Object.keys(out).sort(), ['error', 'status', 'workflowId']);
    assert.equal(out.status, 'failed');
    assert.equal(out.error.type, 'safety_blocked');
    assert.match(out.error.message, /Step "a"/);
  });

  test('a partial result (onStepFailure: continue) is printed in full and exits 3', async () => {
    const file = await specFile({
      name: 'partial',
      onStepFailure: 'continue',
      steps: [
        { id: 'bad', technique: 'text-to-image', inputs: { prompt: 'fox [sim:fail=safety_blocked]' } },
        { id: 'good', technique: 'text-to-speech', inputs: { text: 'hello' } },
      ],
    });
    const r = await runCli(['pipeline', file, '--wait', '--json'], env);
    assert.equal(r.code, 3, r.stderr);
    const result = JSON.parse(r.stdout) as PipelineResult;
    assert.equal(result.status, 'partial');
    assert.equal(result.steps.good?.status, 'completed');
  });

  test('pipeline validate: with FLORA reachable checks schemas, types and budget, spending nothing', async () => {
    const ok = await runCli(['pipeline', 'validate', 'examples/fox-teaser.json', '--json'], env);
    assert.equal(ok.code, 0, ok.stderr);
    const report = JSON.parse(ok.stdout) as {
      valid: boolean;
      schemasChecked: boolean;
      plan: { estimatedRuns: number; estimatedCostUsd: number };
    };
    assert.equal(report.valid, true);
    assert.equal(report.schemasChecked, true);
    assert.equal(report.plan.estimatedRuns, 7);
    assert.equal(report.plan.estimatedCostUsd, 0.88);

    const file = await specFile({
      name: 'bad',
      budgetUsd: 0.01,
      steps: [
        { id: 'clip', technique: 'image-to-video', inputs: { input_image: 'https://x.test/a.png' } },
        { id: 'restyle', technique: 'restyle-image', inputs: { image: { fromStep: 'clip' }, style: 'ink' } },
      ],
    });
    const bad = await runCli(['pipeline', 'validate', file], env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /steps\[1\]\.inputs\.image: type mismatch: step "clip" has no imageUrl output/);
    const dear = await specFile({
      name: 'dear',
      budgetUsd: 0.01,
      steps: [{ id: 'clip', technique: 'image-to-video', inputs: { input_image: 'https://x.test/a.png' } }],
    });
    const over = await runCli(['pipeline', 'validate', dear, '--json'], env);
    assert.equal(over.code, 1);
    assert.match(over.stdout, /"path": "budgetUsd"/);
    assert.equal(h.sim.stats().runsCreated, 0);
    assert.equal(h.sim.stats().requests.createRunNested, 0);
  });

  test('pipeline validate without FLORA_API_KEY checks the shape and says so; bad shapes name the path', async () => {
    const { FLORA_API_KEY: _, ...noKey } = env;
    const ok = await runCli(['pipeline', 'validate', 'examples/product-shots.yaml'], noKey);
    assert.equal(ok.code, 0);
    assert.match(ok.stdout, /valid \(shape only\)/);
    assert.match(ok.stderr, /set FLORA_API_KEY to check schemas/);
    const file = await specFile({ name: 'x', concurrency: 0, steps: [{ id: 'a', inputs: { prompt: 1 } }] });
    const bad = await runCli(['pipeline', 'validate', file], noKey);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /concurrency: /);
    assert.match(bad.stderr, /steps\[0\]\.technique: required/);
    assert.match(bad.stderr, /steps\[0\]\.inputs\.prompt: /);
    const missing = await runCli(['pipeline', 'nope.yaml', '--wait'], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no such pipeline file: nope\.yaml/);
  });
});

test('a spec polling faster than 1 s is refused unless FLORA_BASE_URL is a loopback simulator', async () => {
  const spec = await specFile({
    name: 'fast',
    options: { pollMinMs: 100, pollMaxMs: 200 },
    steps: [{ id: 'speech', technique: 'text-to-speech', inputs: { text: 'hi' } }],
  });
  const remote = await runCli(
    ['pipeline', spec, '--workflow-id', id()],
    { ...env, FLORA_BASE_URL: 'https://app.flora.ai/api/v1' },
    60_000,
  );
  assert.notEqual(remote.code, 0);
  assert.match(remote.stderr, /options\.pollMinMs: at least 1000 ms against FLORA/);
  assert.equal(h.sim.stats().runsCreated, 0);
  const local = await runCli(['pipeline', spec, '--workflow-id', id(), '--wait', '--json'], env, 120_000);
  assert.equal(local.code, 0, local.stderr);
});
