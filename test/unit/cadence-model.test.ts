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
      const uncorrected = modelCadence(shippedCadence, runs);
      assert.ok(uncorrected.gapP95Ms > 5_000, `uncorrected gap p95 ${uncorrected.gapP95Ms}`);
      // Subtracted from every wait (flora-cadence-corrects-overhead-v1) or only capping (…-caps-overhead-v1).
      for (const mode of ['subtract', 'cap'] as const) {
        const corrected = modelCadence(shippedCadence, { ...runs, correctOverhead: mode });
        // The cap aims gaps at pollMaxMs itself rather than below it: its p95 sits at the ceiling, give or
        // take the estimate's noise (5.00 s over the full model's runs), so 1 % of slack.
        const ceiling = mode === 'cap' ? ceilingMs * 1.01 : ceilingMs;
        assert.ok(corrected.gapP95Ms <= ceiling, `${mode}: corrected gap p95 ${corrected.gapP95Ms}`);
        // The cap keeps the waits already short enough, so it brings p95 down a little less at low overhead.
        assert.ok(
          corrected.gapP95Ms < uncorrected.gapP95Ms - (mode === 'cap' ? 100 : 200),
          `${mode}: ${corrected.gapP95Ms} vs ${uncorrected.gapP95Ms}`,
        );
      }
    }
  });

  test('capping the overhead spends fewer requests than subtracting it from every wait, within floor + 1', () => {
    for (const [overheadMs, jitterMs] of [
      [150, 100],
      [800, 400],
    ] as const) {
      const runs = { n: 100, withEstimate: false, seed: 100, repeats: 20, overheadMs, jitterMs };
      const capped = modelCadence(shippedCadence, { ...runs, correctOverhead: 'cap' });
      const subtracted = modelCadence(shippedCadence, { ...runs, correctOverhead: 'subtract' });
      assert.ok(
        capped.requestsPerRun < subtracted.requestsPerRun,
        `${capped.requestsPerRun} vs ${subtracted.requestsPerRun}`,
      );
      assert.ok(capped.requestsPerRun <= capped.floorPerRun + 1, `${capped.requestsPerRun} requests per run`);
    }
  });
});
