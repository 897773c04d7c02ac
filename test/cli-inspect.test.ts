/**
 * `status`, `watch`, `cancel` and `runs list` as a user runs them: child processes against a real dev
 * server and the simulator, JSON parsed, exit codes checked, progress lines on stderr (not a TTY).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FloraWorkflows } from '../src/client';
import { statusQuery } from '../src/workflows';
import { runCli, temporalEnv } from './helpers/cli';
import { FAST, type Harness, type RunningWorker, useHarness } from './helpers/env';
import { waitFor } from './helpers/failures';

let h: Harness;
let worker: RunningWorker;
let flora: FloraWorkflows;
let env: Record<string, string>;
let seq = 0;

useHarness({}, (harness, w) => {
  h = harness;
  worker = w;
  flora = new FloraWorkflows(h.env.client, { taskQueue: worker.taskQueue, allowFastPolling: true });
  env = temporalEnv(h, worker);
});

const id = (name: string) => `inspect-${name}-${process.pid}-${++seq}`;

describe('status, watch, cancel, runs list', () => {
  test('status --json: Temporal status plus the workflow’s own progress; plain text too', async () => {
    const run = await flora.startRun(
      { technique: 'text-to-speech', inputs: { text: 'hi' }, options: FAST },
      { workflowId: id('status') },
    );
    const result = await run.result();
    const r = await runCli(['status', run.workflowId, '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    const status = JSON.parse(r.stdout) as {
      workflowId: string;
      type: string;
      temporalStatus: string;
      progress: { phase: string; runId: string };
    };
    assert.equal(status.workflowId, run.workflowId);
    assert.equal(status.type, 'runTechnique');
    assert.equal(status.temporalStatus, 'COMPLETED');
    assert.equal(status.progress.phase, 'completed');
    assert.equal(status.progress.runId, result.runId);
    const plain = await runCli(['status', run.workflowId], env);
    assert.match(plain.stdout, new RegExp(`${run.workflowId} \\(runTechnique\\): COMPLETED`));
    assert.match(plain.stdout, /\[#{20}\] 100% completed/);
    const missing = await runCli(['status', 'no-such-workflow'], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^error: no workflow with id no-such-workflow/m);
  });

  test('watch: progress lines on stderr while it runs, then the result JSON on stdout', async () => {
    // Long enough that the CLI (through tsx, seconds to start on a loaded machine) sees it running.
    h.sim.setRunDuration(15_000);
    const run = await flora.startRun(
      { technique: 'image-to-video', inputs: { input_image: 'https://x.test/a.png' }, options: FAST },
      { workflowId: id('watch') },
    );
    const r = await runCli(['watch', run.workflowId, '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as { status: string; workflowId: string };
    assert.equal(result.status, 'completed');
    assert.equal(result.workflowId, run.workflowId);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('image-to-video ['));
    assert.ok(lines.length >= 2, `expected several progress lines, got:\n${r.stderr}`);
    assert.ok(lines.some((l) => / polling run_\w+ · \d+ polls?/.test(l)));
    assert.ok(!r.stderr.includes('\x1b['), 'no cursor movement when stderr is not a terminal');
  });

  test('watch a pipeline: one progress line per step, result on stdout', async () => {
    h.sim.setRunDuration(8_000);
    const pipeline = await flora.startPipeline(
      {
        name: 'watched',
        options: FAST,
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
      { workflowId: id('watch-pipeline') },
    );
    const r = await runCli(['watch', pipeline.workflowId, '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { status: string }).status, 'completed');
    assert.match(r.stderr, /^watched \[[#.]{20}\] +\d+% running/m);
    assert.match(r.stderr, /^ {2}poster +\[[#.]{12}\]/m);
    assert.match(r.stderr, /^ {2}styles +\[[#.]{12}\] +\d+% (running|pending|completed)/m);
  });

  test('cancel: requests cancellation, says FLORA keeps going; a second cancel fails clearly', async () => {
    h.sim.setRunDuration(60_000);
    const run = await flora.startRun(
      { technique: 'text-to-image', inputs: { prompt: 'fox' }, options: FAST },
      { workflowId: id('cancel') },
    );
    await waitFor('polling', async () =>
      (await run.handle.query(statusQuery)).polls >= 1 ? true : undefined,
    );
    const r = await runCli(['cancel', run.workflowId, '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { workflowId: run.workflowId, cancelRequested: true });
    await run.result().catch(() => undefined);
    const again = await runCli(['cancel', run.workflowId], env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already cancelled; nothing to cancel/);
  });

  test('runs list --json: newest first, with technique and FLORA run ids; --run-id finds one run', async () => {
    const first = await flora.startRun(
      { technique: 'text-to-speech', inputs: { text: 'one' }, options: FAST },
      { workflowId: id('list-a') },
    );
    const a = await first.result();
    const second = await flora.startRun(
      { technique: 'caption-image', inputs: { image: 'https://x.test/a.png' }, options: FAST },
      { workflowId: id('list-b') },
    );
    await second.result();
    const rows = await waitFor('both runs listed', async () => {
      const r = await runCli(['runs', 'list', '--json', '--limit', '50'], env);
      const list = JSON.parse(r.stdout) as {
        workflowId: string;
        technique: string;
        floraRunIds: string[];
        status: string;
      }[];
      return list.some((x) => x.workflowId === second.workflowId) &&
        list.some((x) => x.workflowId === first.workflowId)
        ? list
        : undefined;
    });
    const ia = rows.findIndex((x) => x.workflowId === first.workflowId);
    const ib = rows.findIndex((x) => x.workflowId === second.workflowId);
    assert.ok(ib < ia, 'newest first');
    assert.equal(rows[ia]?.technique, 'text-to-speech');
    assert.deepEqual(rows[ia]?.floraRunIds, [a.runId]);
    const one = await runCli(['runs', 'list', '--run-id', a.runId, '--json'], env);
    assert.deepEqual(
      (JSON.parse(one.stdout) as { workflowId: string }[]).map((x) => x.workflowId),
      [first.workflowId],
    );
    const table = await runCli(['runs', 'list', '--technique', 'caption-image'], env);
    assert.match(table.stdout, /WORKFLOW ID +TYPE +STATUS/);
    assert.match(table.stdout, new RegExp(second.workflowId));
  });
});
