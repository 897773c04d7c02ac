/**
 * The flora-temporal CLI end to end, as a child process, against a real dev server and the simulator:
 * stdout carries exactly one JSON document with --json, exit codes follow the contract.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { statusQuery } from '../src/workflows';
import { once } from 'node:events';
import { cliEnv, runCli, spawnCli } from './helpers/cli';
import { type Harness, type RunningWorker, useHarness } from './helpers/env';
import { waitFor } from './helpers/failures';

let h: Harness;
let worker: RunningWorker;
let env: Record<string, string>;
let seq = 0;

useHarness({}, (harness, w) => {
  h = harness;
  worker = w;
  env = cliEnv(h, worker);
});

const id = () => `cli-${process.pid}-${++seq}`;

function parseOne(stdout: string): Record<string, unknown> {
  const value: unknown = JSON.parse(stdout);
  assert.equal(typeof value, 'object');
  return value as Record<string, unknown>;
}

describe('flora-temporal CLI', () => {
  test('--help exits 0 and lists the commands', async () => {
    const r = await runCli(['--help'], {});
    assert.equal(r.code, 0);
    for (const command of ['worker', 'techniques', 'run', 'simulator'])
      assert.match(r.stdout, new RegExp(command));
  });

  test('techniques list --json: every page, FLORA field names; --limit caps the count', async () => {
    const all = await runCli(['techniques', 'list', '--json'], env);
    assert.equal(all.code, 0, all.stderr);
    const list = JSON.parse(all.stdout) as { slug: string; technique_id: string }[];
    assert.ok(list.length > 20, 'more than one page');
    assert.ok(list.some((t) => t.slug === 'text-to-image' && t.technique_id === 'tech_txt2img01'));
    const some = await runCli(['techniques', 'list', '--limit', '3', '--json'], env);
    assert.equal((JSON.parse(some.stdout) as unknown[]).length, 3);
    const human = await runCli(['techniques', 'list', '--limit', '2'], env);
    assert.match(human.stdout, /SLUG\s+TECHNIQUE_ID\s+NAME\s+PRICE/);
  });

  test('techniques get <slug> --json prints the schema; an unknown slug fails in one line', async () => {
    const r = await runCli(['techniques', 'get', 'image-to-video', '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    const schema = parseOne(r.stdout);
    assert.equal(schema.technique_id, 'tech_img2vid01');
    assert.equal(schema.run_cost, 0.25);
    const missing = await runCli(['techniques', 'get', 'nope'], env);
    assert.equal(missing.code, 1);
    assert.equal(missing.stdout, '');
    assert.match(missing.stderr, /^error: unknown technique "nope" \(flora-temporal techniques list/m);
    const typo = await runCli(['techniques', 'get', 'image-to-vidoe'], env);
    assert.equal(typo.code, 1);
    assert.match(typo.stderr, /^error: unknown technique "image-to-vidoe"; did you mean image-to-video\?/m);
  });

  test('techniques commands without FLORA_API_KEY name the variable', async () => {
    const { FLORA_API_KEY: _, ...noKey } = env;
    const r = await runCli(['techniques', 'list'], noKey);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /FLORA_API_KEY is required/);
  });

  test('run --wait --json: stdout holds exactly the result object, exit 0', async () => {
    const workflowId = id();
    const r = await runCli(
      [
        'run',
        'text-to-image',
        '--input',
        'prompt=a fox, at dawn=yes',
        '--workflow-id',
        workflowId,
        '--wait',
        '--json',
      ],
      env,
    );
    assert.equal(r.code, 0, r.stderr);
    const result = parseOne(r.stdout);
    assert.equal(result.workflowId, workflowId, '--workflow-id is used unchanged');
    assert.equal(result.status, 'completed');
    assert.match(String(result.runId), /^run_/);
    assert.deepEqual(result.technique, {
      slug: 'text-to-image',
      techniqueId: 'tech_txt2img01',
      name: 'Text to Image',
    });
    assert.equal((result.outputs as unknown[]).length, 1);
    assert.equal(result.chargedCost, 0.04);
    assert.equal(result.attempts, 1);
    const run = h.sim.getRun(String(result.runId));
    assert.deepEqual(run?.inputs, { prompt: 'a fox, at dawn=yes' }, 'the value keeps its commas and "="');
  });

  test('run without --wait prints the workflow id and returns at once', async () => {
    h.sim.setRunDuration(30_000);
    const plain = await runCli(['run', 'text-to-image', '-i', 'prompt=fox'], env);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /^flora-run-[\w-]+\n$/);
    const asJson = await runCli(
      ['run', 'text-to-image', '-i', 'prompt=fox', '--workflow-id', id(), '--json'],
      env,
    );
    assert.deepEqual(Object.keys(parseOne(asJson.stdout)), ['workflowId', 'action']);
    for (const wf of [plain.stdout.trim(), parseOne(asJson.stdout).workflowId as string]) {
      // Let each create finish first, so no create of this test lands in the next test's stats.
      const handle = h.env.client.workflow.getHandle(wf);
      await waitFor(
        'polling',
        async () => ((await handle.query(statusQuery)).polls >= 1 ? true : undefined),
        60_000,
      );
      await handle.cancel();
    }
  });

  test('starting a workflow id that is already running attaches to it: one workflow, one create', async () => {
    h.sim.setRunDuration(3_000);
    const workflowId = id();
    const first = await runCli(
      ['run', 'text-to-image', '-i', 'prompt=fox', '--workflow-id', workflowId, '--json'],
      env,
    );
    assert.equal(first.code, 0, first.stderr);
    const second = await runCli(
      ['run', 'text-to-image', '-i', 'prompt=fox', '--workflow-id', workflowId, '--wait', '--json'],
      env,
    );
    assert.equal(second.code, 0, second.stderr);
    assert.equal(parseOne(second.stdout).workflowId, workflowId);
    assert.equal(h.sim.stats().runsCreated, 1);
  });

  test('a failed run: JSON failure object on stdout, exit 1', async () => {
    h.sim.queueRunFailure('text-to-image', 'safety_blocked', 'Blocked by the safety filter');
    const workflowId = id();
    const r = await runCli(
      ['run', 'text-to-image', '-i', 'prompt=fox', '--workflow-id', workflowId, '--wait', '--json'],
      env,
    );
    assert.equal(r.code, 1);
    const failure = parseOne(r.stdout) as {
      workflowId: string;
      status: string;
      error: { type: string; message: string };
    };
    assert.deepEqual(Object.keys(failure).sort(), ['error', 'status', 'workflowId']);
    assert.equal(failure.workflowId, workflowId);
    assert.equal(failure.status, 'failed');
    assert.equal(failure.error.type, 'safety_blocked');
    assert.match(failure.error.message, /Blocked by the safety filter/);
  });

  test('invalid inputs come back as a failure naming the input, before anything is created', async () => {
    const r = await runCli(
      [
        'run',
        'image-to-video',
        '-i',
        'input_image=http://x.test/a.png',
        '--workflow-id',
        id(),
        '--wait',
        '--json',
      ],
      env,
    );
    assert.equal(r.code, 1);
    const failure = parseOne(r.stdout) as { status: string; error: { type: string; message: string } };
    assert.equal(failure.status, 'failed');
    assert.equal(failure.error.type, 'invalid_request');
    assert.match(failure.error.message, /inputs\.input_image: expected an https:\/\/ URL/);
    assert.equal(h.sim.stats().runsCreated, 0);
  });

  test('a cancelled run: JSON with status cancelled, exit 2', async () => {
    h.sim.setRunDuration(60_000);
    const workflowId = id();
    const waiting = runCli(
      ['run', 'text-to-image', '-i', 'prompt=fox', '--workflow-id', workflowId, '--wait', '--json'],
      env,
    );
    const handle = h.env.client.workflow.getHandle(workflowId);
    await waitFor(
      'polling',
      async () => ((await handle.query(statusQuery)).polls >= 1 ? true : undefined),
      60_000,
    );
    await handle.cancel();
    const r = await waiting;
    assert.equal(r.code, 2);
    const failure = parseOne(r.stdout) as { workflowId: string; status: string; error: { type: string } };
    assert.equal(failure.workflowId, workflowId);
    assert.equal(failure.status, 'cancelled');
    assert.equal(failure.error.type, 'cancelled');
  });

  test('Ctrl-C while waiting stops waiting, not the workflow, and says how to follow it', async () => {
    h.sim.setRunDuration(60_000);
    const workflowId = id();
    const child = spawnCli(
      ['run', 'text-to-image', '-i', 'prompt=fox', '--workflow-id', workflowId, '--wait'],
      env,
    );
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    // The first progress line, not the start line: it comes once the CLI listens for Ctrl-C (on a loaded
    // machine the start line can reach us before the child has installed its handler).
    await waitFor('the CLI to wait', () =>
      Promise.resolve(/waiting for the result[\s\S]*text-to-image \[/.test(stderr) ? true : undefined),
    );
    child.kill('SIGINT');
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 130, `code ${code}: ${stderr}`);
    assert.match(
      stderr,
      new RegExp(
        `workflow ${workflowId} keeps running\\. Follow it with: flora-temporal watch ${workflowId}`,
      ),
    );
    const handle = h.env.client.workflow.getHandle(workflowId);
    assert.equal((await handle.describe()).status.name, 'RUNNING');
    await waitFor(
      'polling',
      async () => ((await handle.query(statusQuery)).polls >= 1 ? true : undefined),
      60_000,
    );
    await handle.cancel();
  });

  test('--verbose adds the stack trace to the one-line error', async () => {
    const plain = await runCli(['techniques', 'get', 'nope'], env);
    assert.equal(plain.stderr.trim().split('\n').length, 1);
    const verbose = await runCli(['--verbose', 'techniques', 'get', 'nope'], env);
    assert.equal(verbose.code, 1);
    assert.match(verbose.stderr, /^error: unknown technique "nope"/m);
    assert.match(verbose.stderr, /^\s+at /m);
    assert.ok(!verbose.stderr.includes(h.sim.apiKey), 'not even the stack trace carries the key');
  });

  test('a malformed command fails with one line on stderr (and, with --json, one JSON error on stdout)', async () => {
    const noSlug = await runCli(['run', '--json'], env);
    assert.equal(noSlug.code, 1);
    const error = JSON.parse(noSlug.stdout) as { status: string; error: { type: string; message: string } };
    assert.equal(error.status, 'error');
    // The same type the workflow gives a request it refuses: the problem, not where it was found.
    assert.equal(error.error.type, 'invalid_request');
    assert.match(error.error.message, /technique: required/);
    assert.match(noSlug.stderr, /invalid run request: .*technique: required/);
    const badInput = await runCli(['run', 'text-to-image', '-i', 'prompt'], env);
    assert.equal(badInput.code, 1);
    assert.match(badInput.stderr, /expected id=value/);
    const badEnv = await runCli(['run', 'text-to-image', '-i', 'prompt=x'], {
      ...env,
      TEMPORAL_ADDRESS: 'not an address',
    });
    assert.equal(badEnv.code, 1);
    assert.match(badEnv.stderr, /TEMPORAL_ADDRESS expected host:port/);
  });
});
