import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { modelCadence, oracleCadence, shippedCadence } from '../../bench/cadence-model';

describe('the offline cadence model (npm run bench -- cadence)', () => {
  test('an oracle that knows the end sees it sooner, with no more polls, than the shipped predictor', () => {
    for (const withEstimate of [false, true]) {
      const shipped = modelCadence(shippedCadence, { n: 100, withEstimate, seed: 3, repeats: 3 });
      const oracle = modelCadence(oracleCadence, { n: 100, withEstimate, seed: 3, repeats: 3 });
      assert.equal(shipped.runs, 300);
      assert.ok(
        oracle.latencyP50Ms < shipped.latencyP50Ms,
        `${oracle.latencyP50Ms} < ${shipped.latencyP50Ms}`,
      );
      assert.ok(oracle.requestsPerRun <= shipped.requestsPerRun);
      // Never sooner than pollMinMs; never later than pollMaxMs plus the model's overheads (create answer,
      // timer → poll, poll → next timer: at most 250 + 250 + 62.5 ms).
      for (const f of [shipped, oracle]) {
        assert.ok(f.gapP95Ms > 2_000 && f.gapP95Ms <= 5_000 + 563, `gap p95 ${f.gapP95Ms}`);
        assert.ok(f.latencyP50Ms > 0);
      }
    }
  });

  test('the estimate lets the shipped predictor spend fewer requests on the same runs', () => {
    const without = modelCadence(shippedCadence, { n: 100, withEstimate: false, seed: 5, repeats: 3 });
    const withIt = modelCadence(shippedCadence, { n: 100, withEstimate: true, seed: 5, repeats: 3 });
    assert.ok(withIt.requestsPerRun < without.requestsPerRun);
    assert.ok(without.requestsPerRun >= without.floorPerRun);
  });

  test('the overhead correction brings gap p95 down: under pollMaxMs at the usual overhead, by ~0.4 s on a loaded box', () => {
    // On a loaded box (0.8–1.2 s timer → poll, plus a quarter of that poll → timer) what remains above
    // 5 s is mostly each run's first two gaps, before a cycle has been measured.
    for (const [overheadMs, jitterMs, ceilingMs] of [
      [150, 100, 5_000],
      [800, 400, 5_900],
    ] as const) {
      const runs = { n: 100, withEstimate: false, seed: 9, repeats: 3, overheadMs, jitterMs };
      const corrected = modelCadence(shippedCadence, { ...runs, correctOverhead: true });
      const uncorrected = modelCadence(shippedCadence, runs);
      assert.ok(uncorrected.gapP95Ms > 5_000, `uncorrected gap p95 ${uncorrected.gapP95Ms}`);
      assert.ok(corrected.gapP95Ms <= ceilingMs, `corrected gap p95 ${corrected.gapP95Ms}`);
      assert.ok(
        corrected.gapP95Ms < uncorrected.gapP95Ms - 200,
        `${corrected.gapP95Ms} vs ${uncorrected.gapP95Ms}`,
      );
    }
  });
});
