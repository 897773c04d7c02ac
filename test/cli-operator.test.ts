/**
 * The CLI's start path against a real dev server and the simulator: an explicit --workflow-id is an
 * idempotent request (attached / completed / refused / --rerun), and a missing worker is named at once
 * by `run --wait` and `status` instead of a silent wait; `runs orphans` finds paid runs no workflow
 * records, by search attribute or (on a namespace without it) by memo and status query.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Client } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { progressQuery, statusQuery } from '../src/workflows';
import { cliEnv, runCli, spawnCli } from './helpers/cli';
import { type Harness, type RunningWorker, startWorker, taskQueue, useHarness } from './helpers/env';
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

const id = () => `cli-start-${process.pid}-${++seq}`;
const speech = (text: string) => ['run', 'text-to-speech', '-i', `text=${text}`];

describe('run --workflow-id', () => {
  test('attached, completed (nothing billed), refused when the request differs, --rerun after a failure', async () => {
    h.sim.setRunDuration(15_000);
    const workflowId = id();
    const first = await runCli([...speech('hi'), '--workflow-id', workflowId, '--json'], env);
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(JSON.parse(first.stdout), { workflowId, action: 'started' });
    assert.match(first.stderr, new RegExp(`workflow ${workflowId} started on task queue`));

    const attached = await runCli([...speech('hi'), '--workflow-id', workflowId, '--json'], env);
    assert.equal(attached.code, 0, attached.stderr);
    assert.deepEqual(JSON.parse(attached.stdout), { workflowId, action: 'attached' });
    assert.match(attached.stderr, /is already running this request: attached to it \(nothing new started\)/);
    assert.doesNotMatch(attached.stderr, /started on task queue/);
    await h.env.client.workflow.getHandle(workflowId).result();
    h.sim.setRunDuration(400);

    const completed = await runCli([...speech('hi'), '--workflow-id', workflowId, '--wait', '--json'], env);
    assert.equal(completed.code, 0, completed.stderr);
    assert.match(
      completed.stderr,
      /already completed this request: its result stands \(nothing started, nothing billed\)/,
    );
    assert.equal((JSON.parse(completed.stdout) as { status: string }).status, 'completed');

    const differs = await runCli([...speech('bye'), '--workflow-id', workflowId, '--json'], env);
    assert.equal(differs.code, 1);
    assert.match(
      differs.stderr,
      new RegExp(
        `error: workflow ${workflowId} \\(completed\\) was started with a different run request: inputs differs`,
      ),
    );
    assert.equal(
      (JSON.parse(differs.stdout) as { error: { type: string } }).error.type,
      'workflow_id_conflict',
    );
    assert.equal(h.sim.stats().runsCreated, 1);

    h.sim.queueRunFailure('text-to-speech', 'safety_blocked');
    const failedId = id();
    const failed = await runCli([...speech('x'), '--workflow-id', failedId, '--wait'], env);
    assert.equal(failed.code, 1);
    const refused = await runCli([...speech('x'), '--workflow-id', failedId, '--wait'], env);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /ended failed; nothing was started\. To start it again, rerun it \(CLI: --rerun/,
    );
    const rerun = await runCli([...speech('x'), '--workflow-id', failedId, '--rerun', '--wait'], env);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.match(
      rerun.stderr,
      /had ended failed: started it again \(--rerun\); its FLORA runs are created anew and billed/,
    );
    assert.equal(h.sim.stats().runsCreated, 3);
  });

  test('pipeline run --workflow-id refuses a changed spec, naming the field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-start-'));
    const spec = { name: 'p', steps: [{ id: 'a', technique: 'text-to-speech', inputs: { text: 'hi' } }] };
    await writeFile(join(dir, 'a.json'), JSON.stringify(spec));
    await writeFile(join(dir, 'b.json'), JSON.stringify({ ...spec, budgetUsd: 5 }));
    const workflowId = id();
    const first = await runCli(
      ['pipeline', 'run', join(dir, 'a.json'), '--workflow-id', workflowId, '--wait'],
      env,
    );
    assert.equal(first.code, 0, first.stderr);
    const changed = await runCli(['pipeline', 'run', join(dir, 'b.json'), '--workflow-id', workflowId], env);
    assert.equal(changed.code, 1);
    assert.match(changed.stderr, /was started with a different pipeline request: budgetUsd differs/);
  });
});

describe('no worker on the task queue', () => {
  test('run --wait names the missing worker, then finishes once one starts; status answers with the hint', async () => {
    const queue = taskQueue();
    const noWorker = { ...env, FLORA_TASK_QUEUE: queue };
    const workflowId = id();
    const child = spawnCli([...speech('anyone?'), '--workflow-id', workflowId, '--wait', '--json'], noWorker);
    let stderr = '';
    let stdout = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await waitFor(
      'the warning',
      () =>
        Promise.resolve(
          stderr.includes(`warning: no worker is polling task queue ${queue} on namespace default`)
            ? true
            : undefined,
        ),
      30_000,
    );
    assert.match(
      stderr,
      new RegExp(
        `start one with: FLORA_TASK_QUEUE=${queue} TEMPORAL_NAMESPACE=default flora-temporal worker`,
      ),
    );

    const status = await runCli(['status', workflowId], noWorker);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`${workflowId} \\(runTechnique\\): RUNNING`));
    assert.match(
      status.stdout,
      new RegExp(`\\(no worker is polling task queue ${queue} on namespace default;`),
    );
    assert.doesNotMatch(status.stdout, /no worker answered/, 'no query was sent to a queue without workers');

    const late = await startWorker(h, queue);
    try {
      assert.equal(await exited, 0, stderr);
      assert.equal((JSON.parse(stdout) as { status: string }).status, 'completed');
    } finally {
      await late.stop();
    }
  });

  test('run without --wait warns that the workflow waits for a worker', async () => {
    const queue = taskQueue();
    const r = await runCli([...speech('later'), '--workflow-id', id()], { ...env, FLORA_TASK_QUEUE: queue });
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(`warning: no worker is polling task queue ${queue} .*; until then the workflow waits`),
    );
  });
});

describe('status of a failed workflow', () => {
  test('says the error, not only the progress', async () => {
    h.sim.queueRunFailure('text-to-speech', 'safety_blocked', 'Blocked by the safety filter');
    const workflowId = id();
    const run = await runCli([...speech('x'), '--workflow-id', workflowId, '--wait'], env);
    assert.equal(run.code, 1);
    const status = await runCli(['status', workflowId], env);
    assert.match(status.stdout, /FAILED.*\n {2}failed: safety_blocked: .*Blocked by the safety filter/);
    const asJson = JSON.parse((await runCli(['status', workflowId, '--json'], env)).stdout) as {
      error: { type: string };
    };
    assert.equal(asJson.error.type, 'safety_blocked');
  });
});

describe('runs orphans', () => {
  test('lists a FLORA run no workflow records, with an attach command that adopts it', async () => {
    const recorded = await runCli([...speech('kept'), '--wait', '--json'], env);
    assert.equal(recorded.code, 0, recorded.stderr);
    const recordedRunId = (JSON.parse(recorded.stdout) as { runId: string }).runId;
    const lost = await h.flora.createRunNested({
      slug: 'text-to-speech',
      inputs: [{ id: 'text', type: 'text', value: 'lost' }],
    });
    const lostRunId = lost.data.run_id;
    const report = await waitFor(
      'the recorded run to be visible as owned',
      async () => {
        const r = await runCli(['runs', 'orphans', '--since', '10m', '--json'], env);
        assert.equal(r.code, 0, r.stderr);
        const parsed = JSON.parse(r.stdout) as {
          ownership: string;
          scanned: number;
          orphans: { runId: string; attachCommand: string }[];
        };
        return parsed.orphans.some((o) => o.runId === recordedRunId) ? undefined : parsed;
      },
      60_000,
    );
    assert.equal(report.ownership, 'search-attribute');
    assert.deepEqual(
      report.orphans.map((o) => o.runId),
      [lostRunId],
    );
    const attach = report.orphans[0]?.attachCommand ?? '';
    assert.equal(
      attach,
      `flora-temporal run text-to-speech --attach-run-id ${lostRunId} --workflow-id attach-${lostRunId}`,
    );
    const human = await runCli(['runs', 'orphans', '--since', '10m', '--technique', 'text-to-speech'], env);
    assert.match(human.stdout, new RegExp(`${lostRunId}.*Text to Speech`));
    assert.ok(human.stdout.includes(attach));

    const adopted = await runCli([...attach.split(' ').slice(1), '--wait', '--json'], env);
    assert.equal(adopted.code, 0, adopted.stderr);
    assert.equal((JSON.parse(adopted.stdout) as { runId: string }).runId, lostRunId);
    assert.equal(h.sim.stats().runsCreated, 2, 'attaching created nothing');
    await waitFor(
      'no orphans left',
      async () => {
        const r = await runCli(['runs', 'orphans', '--since', '10m', '--json'], env);
        return (JSON.parse(r.stdout) as { orphans: unknown[] }).orphans.length === 0 || undefined;
      },
      60_000,
    );
    const bad = await runCli(['runs', 'orphans', '--since', 'yesterday'], env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--since must be a duration before now \(e\.g\. 30m, 6h, 2d\) or an ISO time/);
  });
});

describe('runs orphans without the FloraRunId search attribute (the memo-and-query fallback)', () => {
  test('a completed run (memo) and a running one (status query) are owned; the lost run is listed and attached', async () => {
    const namespace = `orphans-fallback-${process.pid}`;
    await h.env.client.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
    const client = new Client({ connection: h.env.connection, namespace });
    await waitFor('the namespace to be usable', async () => {
      for await (const _ of client.workflow.list({ query: "WorkflowType = 'runTechnique'" })) break;
      return true;
    });
    const other = await startWorker(h, undefined, h.flora, { namespace });
    const nsEnv = { ...env, TEMPORAL_NAMESPACE: namespace, FLORA_TASK_QUEUE: other.taskQueue };
    const runningId = id();
    try {
      const recorded = await runCli([...speech('kept'), '--wait', '--json'], nsEnv);
      assert.equal(recorded.code, 0, recorded.stderr);
      const recordedRunId = (JSON.parse(recorded.stdout) as { runId: string }).runId;
      // A run still going: only its status query can say which FLORA run it owns.
      h.sim.setRunDuration(120_000);
      const running = await runCli([...speech('slow'), '--workflow-id', runningId], nsEnv);
      assert.equal(running.code, 0, running.stderr);
      const runningRunId = await waitFor('the running workflow to have its FLORA run', async () => {
        const status = await client.workflow.getHandle(runningId).query(statusQuery);
        return status.runIds[0];
      });
      h.sim.setRunDuration(400);
      const lost = await h.flora.createRunNested({
        slug: 'text-to-speech',
        inputs: [{ id: 'text', type: 'text', value: 'lost' }],
      });
      const lostRunId = lost.data.run_id;

      type Report = {
        ownership: string;
        caveat?: string;
        orphans: { runId: string; attachCommand: string }[];
      };
      const orphans = async (): Promise<{ report: Report; stderr: string }> => {
        const r = await runCli(['runs', 'orphans', '--since', '10m', '--json'], nsEnv);
        assert.equal(r.code, 0, r.stderr);
        return { report: JSON.parse(r.stdout) as Report, stderr: r.stderr };
      };
      const { report, stderr } = await waitFor(
        'the completed run to be visible with its memo',
        async () => {
          const found = await orphans();
          return found.report.orphans.some((o) => o.runId === recordedRunId) ? undefined : found;
        },
        60_000,
      );
      assert.equal(report.ownership, 'memo-and-query');
      assert.deepEqual(
        report.orphans.map((o) => o.runId),
        [lostRunId],
        `owned by memo: ${recordedRunId}; by the status query: ${runningRunId}`,
      );
      assert.match(
        stderr,
        new RegExp(`warning: the search attribute FloraRunId is not registered on namespace ${namespace}`),
      );
      assert.match(stderr, /Register it for an exact answer: temporal operator search-attribute create/);

      const attach = report.orphans[0]?.attachCommand ?? '';
      const adopted = await runCli([...attach.split(' ').slice(1), '--wait', '--json'], nsEnv);
      assert.equal(adopted.code, 0, adopted.stderr);
      assert.equal((JSON.parse(adopted.stdout) as { runId: string }).runId, lostRunId);
      assert.equal(h.sim.stats().runsCreated, 3, 'attaching created nothing');
      await waitFor(
        'the attached run to be owned',
        async () => ((await orphans()).report.orphans.length === 0 ? true : undefined),
        60_000,
      );

      // With no worker to answer, the running workflow's run cannot be proven owned: listed, and said why.
      await other.stop();
      const blind = await orphans();
      assert.deepEqual(
        blind.report.orphans.map((o) => o.runId),
        [runningRunId],
      );
      assert.match(
        blind.stderr,
        new RegExp(`1 workflow\\(s\\) did not answer the status query \\(no worker\\?\\): ${runningId}`),
      );
    } finally {
      await other.stop();
      await client.workflow
        .getHandle(runningId)
        .terminate('test over')
        .catch(() => undefined);
    }
  });
});

describe('pipeline budget from the CLI', () => {
  test('validate warns when its estimate exceeds budgetUsd; raise-budget unblocks a waiting pipeline and never lowers', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-budget-'));
    const file = join(dir, 'tight.json');
    await writeFile(
      file,
      JSON.stringify({
        name: 'tight',
        budgetUsd: 0.01,
        onBudgetExceeded: 'wait',
        steps: [{ id: 'a', technique: 'text-to-speech', inputs: { text: 'hi' } }],
      }),
    );
    const validate = await runCli(['pipeline', 'validate', file], env);
    assert.equal(validate.code, 0, validate.stderr);
    assert.match(validate.stdout, /valid, with 1 warning\(s\)/);
    assert.match(
      validate.stderr,
      /warning: the plan \(\$0\.02\) exceeds budgetUsd \(\$0\.01\): .*pipeline raise-budget/,
    );

    const workflowId = id();
    const start = await runCli(['pipeline', 'run', file, '--workflow-id', workflowId], env);
    assert.equal(start.code, 0, start.stderr);
    const handle = h.env.client.workflow.getHandle(workflowId);
    await waitFor('waiting on the budget', async () =>
      (await handle.query(progressQuery)).phase === 'waiting-budget' ? true : undefined,
    );
    const lower = await runCli(['pipeline', 'raise-budget', workflowId, '0.005'], env);
    assert.equal(lower.code, 1);
    assert.match(lower.stderr, /already has a budget of \$0\.01; raise-budget only raises it/);
    const raise = await runCli(['pipeline', 'raise-budget', workflowId, '0.02'], env);
    assert.equal(raise.code, 0, raise.stderr);
    assert.match(
      raise.stdout,
      new RegExp(`pipeline ${workflowId}: budget raised to \\$0\\.02 \\(was \\$0\\.01;`),
    );
    const result = (await handle.result()) as { status: string; ledger: { chargedUsd: number } };
    assert.equal(result.status, 'completed');
    assert.equal(result.ledger.chargedUsd, 0.02);
  });
});
