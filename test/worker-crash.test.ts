/**
 * A worker process killed with SIGKILL while it polls (no graceful shutdown at all), then a new worker
 * process: the run completes, with exactly one create at FLORA.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import { progressQuery, runPipeline, runTechnique, statusQuery } from '../src/workflows';
import { spawnCli } from './helpers/cli';
import { FAST, startHarness, taskQueue, type Harness } from './helpers/env';
import { waitFor } from './helpers/failures';

let h: Harness;
const children: ChildProcess[] = [];

before(async () => {
  h = await startHarness({ runDurationMs: 8_000 });
});
after(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await h?.close();
});

function startWorkerProcess(queue: string): { child: ChildProcess; log: () => string } {
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
  return { child, log: () => output };
}

test('SIGKILL the worker process mid-run, start another: completes with exactly one create', async () => {
  const queue = taskQueue();
  const first = startWorkerProcess(queue);
  const handle = await h.env.client.workflow.start(runTechnique, {
    taskQueue: queue,
    workflowId: `crash-${process.pid}`,
    args: [{ technique: 'text-to-image', inputs: { prompt: 'a red fox' }, options: FAST }],
  });
  await waitFor(
    'the first worker to poll',
    async () => ((await handle.query(statusQuery)).polls >= 2 ? true : undefined),
    60_000,
  );
  first.child.kill('SIGKILL');
  await once(first.child, 'exit');
  assert.equal(first.child.signalCode, 'SIGKILL');
  const createsBefore = h.sim.stats().runsCreated;
  assert.equal(createsBefore, 1);

  const second = startWorkerProcess(queue);
  const result = await handle.result();
  assert.equal(result.status, 'completed', second.log());
  assert.equal(h.sim.stats().runsCreated, 1, 'the new worker did not create again');
  assert.deepEqual(Object.values(h.sim.stats().createsByIdempotencyKey), [1]);

  // The second worker is stopped the way an operator stops it: SIGTERM, clean exit.
  second.child.kill('SIGTERM');
  const [code] = (await once(second.child, 'exit')) as [number | null];
  assert.equal(code, 0, second.log());
  assert.match(second.log(), /worker stopped/);
  assert.ok(
    !first.log().includes(h.sim.apiKey) && !second.log().includes(h.sim.apiKey),
    'the API key is never logged',
  );
});

test('SIGKILL the worker process mid-pipeline, start another: exactly one create per step', async () => {
  h.sim.reset();
  const queue = taskQueue();
  const first = startWorkerProcess(queue);
  const handle = await h.env.client.workflow.start(runPipeline, {
    taskQueue: queue,
    workflowId: `crash-pipeline-${process.pid}`,
    args: [
      {
        spec: {
          name: 'crash',
          options: FAST,
          steps: [
            { id: 'poster', technique: 'text-to-image', inputs: { prompt: 'fox' } },
            {
              id: 'styles',
              technique: 'restyle-image',
              forEach: ['ink', 'oil'],
              inputs: { image: { fromStep: 'poster' }, style: { item: true } },
            },
            { id: 'speech', technique: 'text-to-speech', inputs: { text: 'hello' } },
          ],
        },
      },
    ],
  });
  await waitFor(
    'the first runs to be polled',
    async () => {
      const p = await handle.query(progressQuery);
      return p.steps.some((s) => s.runs.some((r) => r.progress > 0)) ? true : undefined;
    },
    60_000,
  );
  first.child.kill('SIGKILL');
  await once(first.child, 'exit');
  const second = startWorkerProcess(queue);
  const result = await handle.result();
  assert.equal(result.status, 'completed', second.log());
  assert.equal(h.sim.stats().runsCreated, 4, 'poster, two styles, speech: once each');
  assert.deepEqual(Object.values(h.sim.stats().createsByIdempotencyKey), [1, 1, 1, 1]);
  second.child.kill('SIGTERM');
  await once(second.child, 'exit');
});
