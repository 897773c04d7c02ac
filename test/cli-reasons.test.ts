/**
 * Failures say their reason (issue 12, item 7): a typo'd slug is refused before anything starts, with
 * the closest slugs; a cycle is refused before a pipeline starts; a rejected key names FLORA_API_KEY; a
 * partial pipeline's output and a failed pipeline's `status` say why. Child processes against a real dev
 * server and the simulator.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runCli } from './helpers/cli';
import { type Harness, type RunningWorker, useHarness } from './helpers/env';

let h: Harness;
let worker: RunningWorker;
/** With FLORA reachable from the CLI: the slug checks run. */
let env: Record<string, string>;
/** Temporal only: no FLORA_API_KEY, so only the local checks run. */
let temporalOnly: Record<string, string>;
let seq = 0;

useHarness({ runDurationMs: 300 }, (harness, w) => {
  h = harness;
  worker = w;
  temporalOnly = { TEMPORAL_ADDRESS: h.env.address, FLORA_TASK_QUEUE: worker.taskQueue };
  env = { ...temporalOnly, FLORA_BASE_URL: h.sim.baseUrl, FLORA_API_KEY: h.sim.apiKey };
});

const id = (name: string) => `reasons-${name}-${process.pid}-${++seq}`;

async function specFile(spec: unknown): Promise<string> {
  const path = join(tmpdir(), `reasons-${process.pid}-${++seq}.json`);
  await writeFile(path, JSON.stringify(spec));
  return path;
}

describe('failures say their reason', () => {
  test('a typo’d slug is refused before starting, offering the closest slugs (run, pipeline run and validate)', async () => {
    const r = await runCli(['run', 'text-to-imag', '-i', 'prompt=fox', '--workflow-id', id('typo')], env);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      /unknown technique "text-to-imag"; did you mean text-to-image\b.*nothing was started/,
    );
    const asJson = await runCli(['run', 'caption-imgae', '-i', 'image=https://x.test/a.png', '--json'], env);
    assert.equal(asJson.code, 1);
    const body = JSON.parse(asJson.stdout) as { status: string; error: { type: string; message: string } };
    assert.equal(body.error.type, 'not_found');
    assert.match(body.error.message, /did you mean caption-image/);
    const file = await specFile({
      name: 'typo',
      steps: [{ id: 'a', technique: 'text-to-speach', inputs: { text: 'hi' } }],
    });
    const pipeline = await runCli(['pipeline', 'run', file], env);
    assert.equal(pipeline.code, 1);
    assert.match(pipeline.stderr, /unknown technique "text-to-speach"; did you mean text-to-speech/);
    const validate = await runCli(['pipeline', 'validate', file], env);
    assert.equal(validate.code, 1, validate.stdout);
    assert.match(
      `${validate.stdout}${validate.stderr}`,
      /steps\[0\]\.technique.*unknown technique "text-to-speach"; did you mean text-to-speech/,
    );
    assert.doesNotMatch(`${r.stderr}${pipeline.stderr}`, /started on task queue/);
    assert.equal(h.sim.stats().runsCreated, 0);
  });

  test('a dependency cycle is refused before starting, without FLORA_API_KEY', async () => {
    const file = await specFile({
      name: 'loop',
      steps: [
        { id: 'a', technique: 'restyle-image', inputs: { image: { fromStep: 'b' }, style: 'ink' } },
        { id: 'b', technique: 'restyle-image', inputs: { image: { fromStep: 'a' }, style: 'oil' } },
      ],
    });
    const r = await runCli(['pipeline', 'run', file, '--json'], temporalOnly);
    assert.equal(r.code, 1);
    const body = JSON.parse(r.stdout) as { error: { type: string; message: string } };
    assert.equal(body.error.type, 'invalid_request');
    assert.match(body.error.message, /dependency cycle: (a → b → a|b → a → b); nothing was started/);
  });

  test('a rejected API key names FLORA_API_KEY', async () => {
    const r = await runCli(['techniques', 'list'], { ...env, FLORA_API_KEY: 'sk_test_wrong' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /HTTP 401.*set FLORA_API_KEY to a valid API key/);
  });

  test('a partial pipeline says which steps failed and why', async () => {
    const file = await specFile({
      name: 'partial',
      onStepFailure: 'continue',
      steps: [
        { id: 'bad', technique: 'text-to-image', inputs: { prompt: 'fox [sim:fail=safety_blocked]' } },
        { id: 'good', technique: 'text-to-speech', inputs: { text: 'hello' } },
      ],
    });
    const r = await runCli(['pipeline', 'run', file, '--wait'], env, 120_000);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stdout, /^partial: pipeline partial .*; 1 of 2 steps completed \(bad failed\)/m);
    assert.match(r.stdout, /^ {2}bad \(Text to Image\): failed \(safety_blocked: .+\)/m);
  });

  test('status of a failed pipeline gives the error before its last progress', async () => {
    const file = await specFile({
      name: 'failing',
      steps: [{ id: 'a', technique: 'text-to-image', inputs: { prompt: 'fox [sim:fail=safety_blocked]' } }],
    });
    const workflowId = id('failed');
    const run = await runCli(['pipeline', 'run', file, '--workflow-id', workflowId, '--wait'], env, 120_000);
    assert.equal(run.code, 1, run.stderr);
    const status = await runCli(['status', workflowId], temporalOnly);
    assert.equal(status.code, 0, status.stderr);
    assert.match(
      status.stdout,
      /FAILED.*\n {2}failed: safety_blocked: .+\n {2}last progress before it ended:\n {4}failing /,
    );
  });
});
