/**
 * The bench's arithmetic (pure, no servers): the request floor, gaps from the simulator's log, the
 * events-per-poll fit, and the run-length mix. The harness itself runs with `npm run bench -- --smoke`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { afterStartsOf, fitLine, gapsOf, steadyStateOf } from '../../bench/summarize';
import { RequestLog } from '../../bench/request-log';
import { quantile } from '../../bench/stats';
import { floorRequests, runLengths } from '../../bench/workload';

test('floor: one create, then a poll every 5 s', () => {
  assert.equal(floorRequests(5_000), 2);
  assert.equal(floorRequests(5_001), 3);
  assert.equal(floorRequests(60_000), 13);
});

test('gaps run from the create through every poll, in time order', () => {
  assert.deepEqual(gapsOf(1_000, [6_000, 3_000, 8_000]), [2_000, 3_000, 2_000]);
  assert.deepEqual(gapsOf(undefined, [3_000]), []);
});

test("afterStarts keeps only the runs FLORA finished after the batch's last create", () => {
  const late = afterStartsOf([
    { createdAtMs: 0, completedAtMs: 4_000, seenAtMs: 6_500 }, // ended during the starts: left out
    { createdAtMs: 5_000, completedAtMs: 9_000, seenAtMs: 9_300 },
    { createdAtMs: 1_000, completedAtMs: 20_000, seenAtMs: 20_100 },
    { createdAtMs: 2_000, completedAtMs: 30_000, seenAtMs: undefined }, // never seen: not a latency
  ]);
  assert.deepEqual(late, { runs: 2, latencyP50: 100, latencyP95: 300, latencyMax: 300 });
  assert.equal(afterStartsOf([]).runs, 0);
});

test('fitLine recovers fixed events and events per poll', () => {
  const fit = fitLine([
    [2, 37],
    [5, 70],
    [10, 125],
  ]);
  assert.ok(Math.abs(fit.b - 11) < 1e-9 && Math.abs(fit.a - 15) < 1e-9);
  assert.ok(Number.isNaN(fitLine([[3, 10]]).b));
});

test('quantile by nearest rank', () => {
  const v = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(quantile(v, 0.5), 50);
  assert.equal(quantile(v, 0.95), 95);
  assert.equal(quantile(v, 1), 100);
});

test('run lengths: within [5 s, max], mixed, the same for the same N', () => {
  const lengths = runLengths(500, 60_000);
  assert.deepEqual(lengths, runLengths(500, 60_000));
  assert.ok(lengths.every((ms) => ms >= 5_000 && ms <= 60_000));
  assert.ok(quantile(lengths, 0.5) < 20_000, 'most runs are short');
  assert.ok(quantile(lengths, 0.99) > 40_000, 'a long tail');
});

test('steady state: from the last create to the first end, with the CPU read inside it', () => {
  const runs = [
    { createdAtMs: 0, completedAtMs: 70_000, polls: [4_000, 9_000, 14_000, 19_000, 24_000] },
    { createdAtMs: 5_000, completedAtMs: 60_000, polls: [8_000, 13_000, 20_000, 25_000] },
  ];
  const trace = [0, 5_000, 10_000, 15_000, 20_000, 25_000, 60_000].map((atMs) => ({
    atMs,
    workerCpuS: atMs / 2_000, // half a core
    serverCpuS: atMs / 1_000, // a core
  }));
  const steady = steadyStateOf(runs, trace);
  assert.ok(steady);
  assert.equal(steady.spanMs, 55_000);
  assert.equal(steady.workerCores, 0.5);
  assert.equal(steady.serverCores, 1);
  // Gaps ending in [5 s, 60 s]: run 1's 5,5,5,5 s; run 2's 3,5,7,5 s.
  assert.equal(steady.gapP95, 7_000);
  assert.equal(steady.pollsPerSecond, 8 / 55);
  // Mixed lengths: a run ends before the last create, so there is no steady state.
  assert.equal(steadyStateOf([runs[0]!, { ...runs[1]!, completedAtMs: 4_000 }], trace), undefined);
});

test('request log: creates counted per technique, so batches running at once each count their own', () => {
  const log = new RequestLog();
  log.sink('POST /api/v1/techniques/text-to-image/runs -> 200 req_1 3.1ms');
  log.sink('POST /api/v1/techniques/storyboard/runs -> 200 req_2 2.0ms');
  log.sink('POST /api/v1/techniques/text-to-image/runs -> 503 req_3 1.0ms');
  log.sink('GET /api/v1/techniques/storyboard/runs/run_abc -> 200 req_4 0.5ms');
  assert.equal(log.creates, 3);
  assert.equal(log.createsBySlug.get('text-to-image'), 2);
  assert.equal(log.createsBySlug.get('storyboard'), 1);
  assert.deepEqual(log.polls.get('run_abc')?.length, 1);
  log.clear();
  assert.equal(log.createsBySlug.size, 0);
});
