/**
 * The CLI says things one way (issue 12, "the first hour"): `cancelled` in and out, money with two
 * decimals, JSON errors for usage errors under --json, clear names in `status --json`, `--version`, the
 * simulator's export line, no FLORA_API_KEY for commands that do not call FLORA, and a wrong
 * TEMPORAL_ADDRESS named in the error. Child processes against a real dev server and the simulator.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { FloraWorkflows } from '../src/client';
import { statusQuery } from '../src/workflows';
import { BIN, runCli, spawnCli, temporalEnv } from './helpers/cli';
import { FAST, type Harness, type RunningWorker, useHarness } from './helpers/env';
import { waitFor } from './helpers/failures';

let h: Harness;
let worker: RunningWorker;
let flora: FloraWorkflows;
/** Temporal only: none of these commands calls FLORA, so none gets FLORA_API_KEY. */
let env: Record<string, string>;
let seq = 0;

useHarness({}, (harness, w) => {
  h = harness;
  worker = w;
  flora = new FloraWorkflows(h.env.client, { taskQueue: worker.taskQueue, allowFastPolling: true });
  env = temporalEnv(h, worker);
});

const id = (name: string) => `consistency-${name}-${process.pid}-${++seq}`;

describe('CLI consistency', () => {
  test('--version prints the package version', async () => {
    const r = await runCli(['--version'], {});
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^\d+\.\d+\.\d+/);
  });

  test('usage errors under --json print one JSON error on stdout', async () => {
    for (const args of [
      ['runs', 'list', '--bogus', '--json'],
      ['runs', 'list', '--limit', '0', '--json'],
      ['pipeline', 'run', '--json'],
    ]) {
      const r = await runCli(args, env);
      assert.equal(r.code, 1, args.join(' '));
      const error = JSON.parse(r.stdout) as { status: string; error: { type: string; message: string } };
      assert.equal(error.status, 'error');
      assert.equal(error.error.type, 'invalid_usage');
      assert.ok(!error.error.message.startsWith('error:'), error.error.message);
    }
  });

  test('without FLORA_API_KEY: run, status, watch, runs list and cancel work; cancelled is one spelling', async () => {
    h.sim.setRunDuration(60_000);
    const workflowId = id('cancel');
    const started = await runCli(
      ['run', 'text-to-image', '-i', 'prompt=fox', '--workflow-id', workflowId, '--json'],
      env,
    );
    assert.equal(started.code, 0, started.stderr);
    assert.doesNotMatch(started.stderr, /FLORA_API_KEY/);
    const handle = h.env.client.workflow.getHandle(workflowId);
    await waitFor('polling', async () => ((await handle.query(statusQuery)).polls >= 1 ? true : undefined));

    const status = await runCli(['status', workflowId, '--json'], env);
    assert.equal(status.code, 0, status.stderr);
    const body = JSON.parse(status.stdout) as Record<string, unknown> & { progress: { runId: string } };
    assert.equal(body.runId, undefined, 'no ambiguous runId');
    assert.equal(body.workflowRunId, (await handle.describe()).runId);
    assert.match(String(body.floraRunId), /^run_/);
    assert.equal(body.floraRunId, body.progress.runId);
    const human = await runCli(['status', workflowId], env);
    assert.match(human.stdout, / · 1 poll · \$0\.00| · \d+ polls · \$0\.00/);

    const watching = spawnCli(['watch', workflowId], env);
    let watchErr = '';
    watching.stderr?.on('data', (chunk: Buffer) => (watchErr += chunk.toString()));
    const cancelled = await runCli(['cancel', workflowId, '--json'], env);
    assert.equal(cancelled.code, 0, cancelled.stderr);
    const [code] = (await once(watching, 'close')) as [number];
    assert.equal(code, 2);
    assert.match(watchErr, /^cancelled: /m);
    assert.doesNotMatch(watchErr, /cancelled: cancelled/);

    const listed = await runCli(['runs', 'list', '--status', 'cancelled', '--json'], env);
    assert.equal(listed.code, 0, listed.stderr);
    const rows = JSON.parse(listed.stdout) as { workflowId: string; status: string }[];
    assert.ok(rows.some((row) => row.workflowId === workflowId));
    assert.ok(rows.every((row) => row.status === 'CANCELLED'));
    const temporalSpelling = await runCli(['runs', 'list', '--status', 'Canceled', '--json'], env);
    assert.equal(temporalSpelling.code, 0, temporalSpelling.stderr);
  });

  test('a finished run prints money with two decimals and "1 run attempt"', async () => {
    h.sim.setRunDuration(300);
    const run = await flora.startRun(
      { technique: 'text-to-image', inputs: { prompt: 'fox' }, options: FAST },
      { workflowId: id('money') },
    );
    await run.result();
    const r = await runCli(['watch', run.workflowId], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /charged \$\d+\.\d{2,4}, 1 run attempt, \d+ polls?/);
  });

  test('a closed pipe ends the CLI quietly (`runs list | head -1`, `--help | true`), no EPIPE crash', async () => {
    await flora.startRun(
      { technique: 'text-to-image', inputs: { prompt: 'fox' }, options: FAST },
      { workflowId: id('pipe') },
    );
    const cli = [process.execPath, '--require', 'tsx/cjs', BIN].map((s) => `'${s}'`).join(' ');
    // `true` reads nothing and exits at once, so every write of the CLI meets a closed pipe.
    for (const command of [
      `${cli} runs list --limit 200 | true`,
      `${cli} --help | true`,
      `${cli} runs list | head -1`,
    ]) {
      const child = spawn('bash', ['-c', `${command}; echo "exit=\${PIPESTATUS[0]}" >&2`], {
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      await once(child, 'close');
      assert.doesNotMatch(stderr, /EPIPE|Unhandled 'error' event/, command);
      assert.match(stderr, /exit=0/, `${command}\n${stderr}`);
    }
  });

  test('a wrong TEMPORAL_ADDRESS fails naming the address', async () => {
    const started = Date.now();
    const r = await runCli(['status', 'anything'], { TEMPORAL_ADDRESS: '127.0.0.1:1' }, 45_000);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot reach Temporal at 127\.0\.0\.1:1 /);
    assert.doesNotMatch(r.stderr, /FLORA_API_KEY/);
    assert.ok(Date.now() - started < 45_000);
  });

  test('simulator prints one export line for every command (and JSON with --json)', async () => {
    for (const json of [false, true]) {
      const child = spawnCli(['simulator', '--port', '0', ...(json ? ['--json'] : [])], {});
      let stdout = '';
      child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      await waitFor('export line', () => Promise.resolve(stdout.includes('\n') ? true : undefined));
      child.kill('SIGTERM');
      await once(child, 'close');
      if (json) {
        const body = JSON.parse(stdout) as { env: Record<string, string> };
        assert.deepEqual(Object.keys(body.env).sort(), [
          'FLORA_API_KEY',
          'FLORA_BASE_URL',
          'TEMPORAL_ADDRESS',
        ]);
      } else {
        assert.match(
          stdout,
          /^export FLORA_BASE_URL=http:\/\/127\.0\.0\.1:\d+\/api\/v1 FLORA_API_KEY=sk_test_\w+ TEMPORAL_ADDRESS=localhost:7233\n$/,
        );
      }
    }
  });
});
