/**
 * A create in flight is never overlapped by its own retry, against a FLORA whose idempotency is not
 * atomic (a same-key create that arrives while the first is still being processed makes a second run,
 * as FLORA's reference warns): a deploy (SIGTERM) lets the create finish, and a create that got no
 * answer is retried, with the same key, only after FLORA must have finished the first.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import { createActivities } from '../src/activities';
import { FloraClient } from '../src/flora/client';
import { runTechnique } from '../src/workflows';
import { spawnCli } from './helpers/cli';
import { FAST, startHarness, startWorker, taskQueue, type Harness } from './helpers/env';
import { waitFor } from './helpers/failures';

const CREATE_LATENCY_MS = 4_000;

let h: Harness;
const children: ChildProcess[] = [];

before(async () => {
  h = await startHarness({ idempotency: 'non-atomic', createLatencyMs: CREATE_LATENCY_MS });
});
after(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await h?.close();
});

function startWorkerProcess(queue: string): {
  child: ChildProcess;
  log: () => string;
  exited: Promise<number | null>;
} {
  const child = spawnCli(['worker'], {
    TEMPORAL_ADDRESS: h.env.address,
    FLORA_TASK_QUEUE: queue,
    FLORA_BASE_URL: h.sim.baseUrl,
    FLORA_API_KEY: h.sim.apiKey,
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, log: () => output, exited };
}

/** Create requests that FLORA has answered (or dropped), by arrival time, with their idempotency keys. */
function creates() {
  return h.sim
    .requests(0)
    .entries.filter((r) => r.route === 'createRunNested')
    .sort((a, b) => a.atMs - b.atMs);
}

/** Create requests that reached FLORA, answered or not (counted on arrival). */
function createsArrived(): number {
  return h.sim.stats().requests.createRunNested;
}

test('SIGTERM the worker holding a create: it finishes the create, the other worker carries on, one run for the key', async () => {
  h.sim.reset();
  const queue = taskQueue();
  const workers = [startWorkerProcess(queue), startWorkerProcess(queue)];
  for (const w of workers)
    await waitFor(
      'a worker to start',
      () => Promise.resolve(/worker on /.test(w.log()) ? true : undefined),
      120_000,
    );

  const handle = await h.env.client.workflow.start(runTechnique, {
    taskQueue: queue,
    workflowId: `deploy-create-${process.pid}`,
    args: [{ technique: 'text-to-image', inputs: { prompt: 'a red fox' }, options: FAST }],
  });
  // FLORA has the create and is processing it (it takes CREATE_LATENCY_MS); find the worker waiting on it.
  await waitFor(
    'the create to reach FLORA',
    () => Promise.resolve(createsArrived() >= 1 ? true : undefined),
    60_000,
  );
  const identity = await waitFor(
    'the create activity to show its worker',
    async () => {
      const { raw } = await handle.describe();
      const pending = raw.pendingActivities?.find((a) => /(^|\.)createRun$/.test(a.activityType?.name ?? ''));
      return pending?.lastWorkerIdentity || undefined;
    },
    10_000,
  );
  const holder = workers.find((w) => identity.startsWith(`${w.child.pid}@`));
  assert.ok(holder, `no worker process has identity ${identity}`);
  assert.equal(
    h.sim.stats().runsCreated,
    0,
    'the create is still being processed when the worker is told to stop',
  );
  holder.child.kill('SIGTERM');

  const result = await handle.result();
  assert.equal(result.status, 'completed');
  assert.equal(await holder.exited, 0, holder.log());
  assert.equal(
    createsArrived(),
    1,
    'the create was never retried: the stopping worker waited for its answer',
  );
  assert.equal(h.sim.stats().runsCreated, 1);
  assert.deepEqual(Object.values(h.sim.stats().createsByIdempotencyKey), [1]);
  for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGTERM');
  await Promise.all(workers.map((w) => w.exited));
});

test('a create that times out is retried with the same key only after the unknown-outcome delay: one run', async () => {
  h.sim.reset();
  const retryDelayMs = CREATE_LATENCY_MS + 2_000;
  // The HTTP timeout (1 s) gives up long before FLORA (4 s) has finished the create.
  const flora = new FloraClient({ baseUrl: h.sim.baseUrl, apiKey: h.sim.apiKey, timeoutMs: 1_000 });
  const worker = await startWorker(h, taskQueue(), flora, {
    workerOptions: { activities: createActivities({ flora, unknownCreateRetryDelayMs: retryDelayMs }) },
  });
  try {
    const result = await h.env.client.workflow.execute(runTechnique, {
      taskQueue: worker.taskQueue,
      workflowId: `unknown-create-${process.pid}`,
      args: [{ technique: 'text-to-image', inputs: { prompt: 'a slow fox' }, options: FAST }],
    });
    assert.equal(result.status, 'completed');
  } finally {
    await worker.stop();
    await flora.close();
  }
  const attempts = creates();
  assert.ok(attempts.length >= 2, `expected a retry after the timeout, saw ${attempts.length} create(s)`);
  const keys = new Set(attempts.map((a) => a.subject));
  assert.equal(keys.size, 1, `every attempt carries the same idempotency key, got ${[...keys].join(', ')}`);
  const [first, second] = attempts;
  assert.ok(first && second);
  assert.ok(
    second.atMs - first.atMs >= retryDelayMs,
    `the retry came ${second.atMs - first.atMs} ms after the first attempt, before ${retryDelayMs} ms`,
  );
  assert.equal(h.sim.stats().runsCreated, 1, 'the retry was a replay, not a second run');
  assert.deepEqual(Object.values(h.sim.stats().createsByIdempotencyKey), [1]);
});
