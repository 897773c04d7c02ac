import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { predictivePollDelayMs } from '../../src/workflows/cadence';
import {
  cappedWaitMs,
  correctedWaitMs,
  cycleOverheadSampleMs,
  observeCycleOverhead,
  overheadCorrectionMs,
  type CycleOverhead,
} from '../../src/workflows/cycle-overhead';

const bounds = { pollMinMs: 2_000, pollMaxMs: 5_000 };

/** A deterministic stand-in for the workflow's seeded Math.random. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * Offline evaluation: one run of `runMs`, polled on the predictive cadence, each cycle costing
 * `overhead(i)` ms on top of the wait. Returns the gaps between polls (what FLORA sees). `correct`: the
 * workflow's loop with flora-cadence-corrects-overhead-v1 (measure, smooth, subtract); `'cap'`: with
 * flora-cadence-caps-overhead-v1 too (measure, smooth, cap each wait at pollMaxMs less it).
 */
function simulate(
  runMs: number,
  overhead: (i: number) => number,
  correct: boolean | 'cap',
  seed = 1,
): number[] {
  const random = lcg(seed);
  const gaps: number[] = [];
  let estimate: CycleOverhead | undefined;
  let now = 0;
  let previousPollAtMs: number | undefined;
  for (let i = 0; now < runMs + 10_000 && i < 1_000; i += 1) {
    const aimed = predictivePollDelayMs({
      ...bounds,
      polls: i,
      random: random(),
      nowMs: now,
      createdAtMs: 0,
      estimatedMs: runMs,
      samples: [],
    });
    const correction = overheadCorrectionMs(estimate, bounds);
    const wait =
      correct === 'cap'
        ? cappedWaitMs(aimed, correction, bounds)
        : correct
          ? correctedWaitMs(aimed, correction, bounds)
          : aimed;
    const woke = now + wait + overhead(i);
    const sample = cycleOverheadSampleMs({
      previousPollAtMs,
      wokeAtMs: woke,
      waitedMs: wait,
      calledBack: false,
    });
    if (sample !== undefined) estimate = observeCycleOverhead(estimate, sample, bounds);
    if (previousPollAtMs !== undefined) gaps.push(woke - previousPollAtMs);
    previousPollAtMs = woke;
    now = woke;
  }
  return gaps;
}

function p95(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)] ?? 0;
}

describe('cycle overhead: the estimate', () => {
  test('a sample is the time between the two polls’ tasks less the wait; none for a callback or without a previous poll', () => {
    assert.equal(
      cycleOverheadSampleMs({ previousPollAtMs: 1_000, wokeAtMs: 6_800, waitedMs: 5_000, calledBack: false }),
      800,
    );
    assert.equal(
      cycleOverheadSampleMs({ previousPollAtMs: 1_000, wokeAtMs: 3_000, waitedMs: 5_000, calledBack: true }),
      undefined,
    );
    assert.equal(
      cycleOverheadSampleMs({
        previousPollAtMs: undefined,
        wokeAtMs: 9_000,
        waitedMs: 5_000,
        calledBack: false,
      }),
      undefined,
    );
  });

  test('a steady overhead is learnt at once and held', () => {
    let estimate: CycleOverhead | undefined;
    for (let i = 0; i < 20; i += 1) estimate = observeCycleOverhead(estimate, 800, bounds);
    const correction = overheadCorrectionMs(estimate, bounds);
    assert.ok(correction >= 800 && correction <= 810, `${correction}`);
  });

  test('outliers are clamped: a worker crash (60 s) counts as at most pollMaxMs − pollMinMs, and decays', () => {
    let estimate: CycleOverhead | undefined;
    for (let i = 0; i < 10; i += 1) estimate = observeCycleOverhead(estimate, 300, bounds);
    estimate = observeCycleOverhead(estimate, 60_000, bounds);
    assert.ok(estimate.meanMs <= 300 + 0.25 * 2_700 + 1e-9, `mean ${estimate.meanMs}`);
    assert.ok(overheadCorrectionMs(estimate, bounds) <= 3_000);
    for (let i = 0; i < 10; i += 1) estimate = observeCycleOverhead(estimate, 300, bounds);
    assert.ok(overheadCorrectionMs(estimate, bounds) < 600, `${overheadCorrectionMs(estimate, bounds)}`);
  });

  test('nonsense never makes a wait negative or below pollMinMs: negative, NaN, infinite samples', () => {
    for (const wild of [-1e9, Number.NaN, Number.POSITIVE_INFINITY, 1e12]) {
      const estimate = observeCycleOverhead(undefined, wild, bounds);
      const correction = overheadCorrectionMs(estimate, bounds);
      assert.ok(correction >= 0 && correction <= 3_000, `${correction} for ${wild}`);
      for (const aimed of [2_000, 3_000, 4_550, 5_000]) {
        const wait = correctedWaitMs(aimed, correction, bounds);
        assert.ok(wait >= 2_000 && wait <= 5_000 && Number.isInteger(wait), `${wait}`);
      }
    }
    assert.equal(correctedWaitMs(5_000, Number.NaN, bounds), 5_000);
    assert.equal(correctedWaitMs(5_000, 1e9, { pollMinMs: 5_000, pollMaxMs: 2_000 }), 2_000);
  });

  test('no estimate, no correction', () => {
    assert.equal(overheadCorrectionMs(undefined, bounds), 0);
    assert.equal(correctedWaitMs(4_700, 0, bounds), 4_700);
  });
});

describe('cycle overhead: the cap (flora-cadence-caps-overhead-v1)', () => {
  test('caps a far wait at pollMaxMs less the correction', () => {
    assert.equal(cappedWaitMs(5_000, 800, bounds), 4_200);
    assert.equal(cappedWaitMs(4_700, 500, bounds), 4_500);
    // The subtracting correction would have taken the whole 800 ms off instead.
    assert.equal(correctedWaitMs(4_700, 800, bounds), 3_900);
    assert.equal(cappedWaitMs(4_700, 800, bounds), 4_200);
  });

  test('never shortens a wait already within pollMaxMs less the correction', () => {
    for (const aimed of [2_000, 2_300, 3_100, 4_000, 4_200]) {
      assert.equal(cappedWaitMs(aimed, 800, bounds), aimed);
      assert.ok(cappedWaitMs(aimed, 800, bounds) >= correctedWaitMs(aimed, 800, bounds));
    }
    assert.equal(cappedWaitMs(4_550, 0, bounds), 4_550);
  });

  test('stays within [pollMinMs, pollMaxMs], whole ms, whatever the inputs', () => {
    for (const correction of [-500, 0, 250.4, 2_999, 3_000, 1e9, Number.NaN, Number.POSITIVE_INFINITY]) {
      for (const aimed of [-10, 0, 1_999, 2_000, 3_333.3, 5_000, 9_000]) {
        const wait = cappedWaitMs(aimed, correction, bounds);
        assert.ok(
          wait >= 2_000 && wait <= 5_000 && Number.isInteger(wait),
          `${wait} for ${aimed}, ${correction}`,
        );
      }
    }
    assert.equal(cappedWaitMs(5_000, Number.NaN, bounds), 5_000);
    assert.equal(cappedWaitMs(5_000, 1e9, { pollMinMs: 5_000, pollMaxMs: 2_000 }), 2_000);
  });
});

describe('cycle overhead: offline evaluation on the predictive cadence', () => {
  test('capped, a steady 800 ms overhead: gaps stay ≤ pollMaxMs once measured, with fewer polls than subtracting', () => {
    for (const seed of [1, 2, 3]) {
      const capped = simulate(60_000, () => 800, 'cap', seed);
      for (const gap of capped.slice(1)) assert.ok(gap <= 5_000, `gap ${gap} ms (seed ${seed})`);
      const subtracted = simulate(60_000, () => 800, true, seed);
      assert.ok(capped.length <= subtracted.length, `${capped.length} vs ${subtracted.length} polls`);
    }
  });

  test('a steady 800 ms overhead: every aimed gap (wait + overhead) stays ≤ pollMaxMs once measured', () => {
    for (const seed of [1, 2, 3]) {
      const gaps = simulate(60_000, () => 800, true, seed);
      // The first gap precedes any measurement; every later one is corrected.
      for (const gap of gaps.slice(1)) assert.ok(gap <= 5_000, `gap ${gap} ms (seed ${seed})`);
      // Without the correction the same run passes the ceiling.
      const uncorrected = simulate(60_000, () => 800, false, seed);
      assert.ok(Math.max(...uncorrected) > 5_000, 'the uncorrected cadence passes pollMaxMs');
    }
  });

  test('a noisy overhead that grows with load (0.3 s → 1.5 s): gap p95 ≤ 5.5 s, and never below pollMinMs', () => {
    const noise = lcg(42);
    const overhead = (i: number) => Math.min(1_500, 300 + 60 * i) + 400 * noise();
    const gaps = simulate(120_000, overhead, true);
    assert.ok(p95(gaps) <= 5_500, `p95 ${p95(gaps)}`);
    for (const gap of gaps) assert.ok(gap >= 2_000, `${gap}`);
    const noiseAgain = lcg(42);
    const uncorrected = simulate(120_000, (i) => Math.min(1_500, 300 + 60 * i) + 400 * noiseAgain(), false);
    assert.ok(p95(uncorrected) > 5_500, `uncorrected p95 ${p95(uncorrected)}`);
  });

  test('one wild cycle (a worker crash) costs a few early polls, never a wait below pollMinMs', () => {
    const gaps = simulate(60_000, (i) => (i === 4 ? 30_000 : 500), true);
    for (const gap of gaps) assert.ok(gap >= 2_000, `${gap}`);
    const later = gaps.slice(10);
    assert.ok(
      later.every((g) => g <= 5_000),
      later.join(', '),
    );
  });
});
