/**
 * FLORA's `retry-after` is honoured end to end (activity failure → Temporal's retry → the next request
 * at FLORA): never sooner than asked, with a 1 s floor, on 429 and on 503, and above the 30 s that the
 * server's `maximumInterval` clamp used to impose. The gaps are lower bounds read from the simulator's
 * request log, not timings of how fast anything ran.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MIN_RETRY_DELAY_MS } from '../src/domain/retry-delays';
import { runTechnique } from '../src/workflows';
import { FAST, useHarness, type Harness, type RunningWorker } from './helpers/env';

let h: Harness;
let worker: RunningWorker;
useHarness({}, (harness, w) => {
  h = harness;
  worker = w;
});

test('a create answered 429 (retry-after 0), 503 (retry-after 3) and 429 (retry-after 31) waits at least that long each time', async () => {
  const asked = [0, 3, 31];
  h.sim.addFault('createRunNested', { kind: 'rateLimit', retryAfterSeconds: 0 });
  h.sim.addFault('createRunNested', { kind: 'status5xx', status: 503, retryAfterSeconds: 3 });
  h.sim.addFault('createRunNested', { kind: 'rateLimit', retryAfterSeconds: 31 });
  const result = await h.env.client.workflow.execute(runTechnique, {
    taskQueue: worker.taskQueue,
    workflowId: `retry-after-${process.pid}`,
    args: [{ technique: 'text-to-image', inputs: { prompt: 'a patient fox' }, options: FAST }],
  });
  assert.equal(result.status, 'completed');
  const attempts = h.sim
    .requests(0)
    .entries.filter((r) => r.route === 'createRunNested')
    .sort((a, b) => a.atMs - b.atMs);
  assert.equal(attempts.length, 4, 'three refusals, then the create');
  assert.equal(h.sim.stats().runsCreated, 1);
  asked.forEach((seconds, i) => {
    const gap = (attempts[i + 1]?.atMs ?? 0) - (attempts[i]?.atMs ?? 0);
    const floor = Math.max(MIN_RETRY_DELAY_MS, seconds * 1000);
    assert.ok(
      gap >= floor,
      `retry ${i + 1} came ${gap} ms after FLORA asked for ${seconds} s (at least ${floor} ms)`,
    );
  });
});

for (const pollMode of ['local', 'activity'] as const) {
  test(`a poll answered 429 (retry-after 2) waits at least that long (pollMode ${pollMode})`, async () => {
    h.sim.setRunDuration(1_000);
    h.sim.addFault('getRun', { kind: 'rateLimit', retryAfterSeconds: 2, count: 1 });
    const result = await h.env.client.workflow.execute(runTechnique, {
      taskQueue: worker.taskQueue,
      workflowId: `retry-after-poll-${pollMode}-${process.pid}`,
      args: [{ technique: 'text-to-image', inputs: { prompt: 'a fox' }, options: { ...FAST, pollMode } }],
    });
    assert.equal(result.status, 'completed');
    const polls = h.sim
      .requests(0)
      .entries.filter((r) => r.route === 'getRun')
      .sort((a, b) => a.atMs - b.atMs);
    const refused = polls.findIndex((r) => r.outcome === 429);
    assert.ok(refused >= 0, 'a poll was refused');
    const gap = (polls[refused + 1]?.atMs ?? 0) - (polls[refused]?.atMs ?? 0);
    assert.ok(gap >= 2_000, `the retry came ${gap} ms after FLORA asked for 2 s`);
    assert.equal(h.sim.stats().runsCreated, 1);
  });
}
