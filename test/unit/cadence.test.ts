import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  fallbackPollDelayMs,
  nextPollDelayMs,
  predictivePollDelayMs,
  predictRemainingMs,
  sparseFallbackPollDelayMs,
  CALLBACK_END_MARGIN_MS,
  DEFAULT_FALLBACK_POLL_MAX_MS,
} from '../../src/workflows/cadence';

describe('nextPollDelayMs', () => {
  test('always stays within [pollMinMs, pollMaxMs], for any poll count and random value', () => {
    for (const [min, max] of [
      [2000, 5000],
      [50, 150],
      [3000, 3000],
    ] as const) {
      for (let polls = 0; polls < 200; polls += 1) {
        for (const random of [0, 0.001, 0.25, 0.5, 0.75, 0.999999]) {
          const delay = nextPollDelayMs({ pollMinMs: min, pollMaxMs: max, polls, random });
          assert.ok(delay >= min && delay <= max, `${delay} outside [${min}, ${max}] at poll ${polls}`);
          assert.ok(Number.isInteger(delay));
        }
      }
    }
  });

  test('starts near the minimum and grows towards the maximum', () => {
    const at = (polls: number) => nextPollDelayMs({ pollMinMs: 2000, pollMaxMs: 5000, polls, random: 0.5 });
    assert.equal(at(0), 2000);
    assert.ok(at(2) > at(1) && at(1) > at(0));
    assert.equal(at(10), 5000);
    assert.equal(at(1000), 5000);
  });

  test('jitter spreads delays between workflows but is deterministic for the same random value', () => {
    const low = nextPollDelayMs({ pollMinMs: 2000, pollMaxMs: 5000, polls: 3, random: 0 });
    const high = nextPollDelayMs({ pollMinMs: 2000, pollMaxMs: 5000, polls: 3, random: 0.99 });
    assert.ok(high > low);
    assert.equal(
      nextPollDelayMs({ pollMinMs: 2000, pollMaxMs: 5000, polls: 3, random: 0.3 }),
      nextPollDelayMs({ pollMinMs: 2000, pollMaxMs: 5000, polls: 3, random: 0.3 }),
    );
  });

  test('survives nonsense: NaN random, swapped bounds', () => {
    const delay = nextPollDelayMs({ pollMinMs: 5000, pollMaxMs: 2000, polls: 1, random: Number.NaN });
    assert.ok(delay >= 2000 && delay <= 5000);
  });
});

describe('predictivePollDelayMs', () => {
  const base = {
    pollMinMs: 2000,
    pollMaxMs: 5000,
    polls: 3,
    random: 0.5,
    nowMs: 100_000,
    createdAtMs: 100_000 - 20_000,
    estimatedMs: undefined,
    samples: [],
  } as const;

  test('always within [pollMinMs, pollMaxMs], for any prediction and random value', () => {
    for (const estimatedMs of [undefined, 1, 10_000, 20_000, 22_000, 26_000, 60_000, 1e9]) {
      for (const progress of [undefined, 0, 1, 30, 90, 99, 100]) {
        for (const random of [0, 0.3, 0.999999, Number.NaN]) {
          const samples = progress === undefined ? [] : [{ atMs: 99_000, progress }];
          const delay = predictivePollDelayMs({ ...base, estimatedMs, samples, random });
          assert.ok(delay >= 2000 && delay <= 5000, `${delay} for ${estimatedMs} ms, ${progress} %`);
          assert.ok(Number.isInteger(delay));
        }
      }
    }
  });

  test('far from the predicted end: near pollMaxMs, jittered below it rather than piled up at it', () => {
    const delays = [0, 0.25, 0.5, 0.75, 0.99].map((random) =>
      predictivePollDelayMs({ ...base, estimatedMs: 300_000, random }),
    );
    for (const d of delays) assert.ok(d >= 4500 && d <= 5000, `${d}`);
    assert.equal(new Set(delays).size, delays.length, 'different random values give different delays');
    assert.ok(delays.filter((d) => d === 5000).length <= 1);
  });

  test('the end within reach: the poll lands just after it', () => {
    // Estimated 23 s, 20 s gone: 3 s left.
    const delay = predictivePollDelayMs({ ...base, estimatedMs: 23_000 });
    assert.ok(delay >= 3_000 && delay <= 3_600, `${delay}`);
  });

  test('the end just beyond pollMaxMs: leaves a last wait of at least pollMinMs to land on it', () => {
    // 6 s left: waiting 5 s would leave 1 s, less than the 2 s minimum; wait ~4 s, then ~2 s.
    const delay = predictivePollDelayMs({ ...base, estimatedMs: 26_000 });
    assert.ok(delay >= 4_000 && delay <= 4_400, `${delay}`);
  });

  test('the end is due: pollMinMs; long overdue (a wrong prediction): back near pollMaxMs', () => {
    assert.ok(predictivePollDelayMs({ ...base, estimatedMs: 19_000 }) <= 2_200);
    assert.ok(predictivePollDelayMs({ ...base, estimatedMs: 5_000 }) >= 4_500);
  });

  test('the progress rate predicts, and outweighs the estimate as progress grows', () => {
    // 80 % in 20 s: 5 s left by progress; the estimate says 200 s.
    const byProgress = predictRemainingMs({
      ...base,
      estimatedMs: 220_000,
      samples: [{ atMs: 100_000, progress: 80 }],
    });
    assert.ok(byProgress !== undefined && byProgress < 10_000, `${byProgress}`);
    // 10 % in 20 s: 180 s left by progress; FLORA's estimate of 40 s counts for more this early.
    const early = predictRemainingMs({
      ...base,
      estimatedMs: 40_000,
      samples: [{ atMs: 100_000, progress: 10 }],
    });
    assert.ok(early !== undefined && early > 20_000 && early < 180_000, `${early}`);
    assert.equal(predictRemainingMs({ ...base, samples: [{ atMs: 100_000, progress: 100 }] }), 0);
  });

  test('an attached run (no create time): the rate between polls predicts', () => {
    const remaining = predictRemainingMs({
      ...base,
      createdAtMs: undefined,
      samples: [
        { atMs: 90_000, progress: 40 },
        { atMs: 100_000, progress: 60 },
      ],
    });
    assert.equal(remaining, 20_000);
  });

  test('nothing to predict from: starts at the minimum and grows, never above the maximum', () => {
    const at = (polls: number) => predictivePollDelayMs({ ...base, createdAtMs: undefined, polls });
    assert.equal(at(0), 2000);
    assert.ok(at(3) > at(1));
    assert.ok(at(20) <= 5000 && at(20) >= 4500);
  });
});

describe('fallbackPollDelayMs (runs FLORA calls back about)', () => {
  const bounds = { pollMinMs: 2_000, pollMaxMs: 5_000 };
  test('near pollMaxMs, jittered below it, never aimed at an end', () => {
    const delays = [0, 0.25, 0.5, 0.75, 0.999].map((random) =>
      fallbackPollDelayMs({ ...bounds, random, soon: false }),
    );
    for (const d of delays) assert.ok(d >= 4_550 && d <= 5_000, `${d}`);
    assert.ok(new Set(delays).size > 1, 'jittered');
  });
  test('after a callback its poll did not confirm: near pollMinMs', () => {
    for (const random of [0, 0.5, 0.999]) {
      const d = fallbackPollDelayMs({ ...bounds, random, soon: true });
      assert.ok(d >= 2_000 && d <= 2_150, `${d}`);
    }
  });
  test('survives nonsense: NaN random, swapped bounds', () => {
    const d = fallbackPollDelayMs({ pollMinMs: 5_000, pollMaxMs: 2_000, random: Number.NaN, soon: false });
    assert.ok(d >= 2_000 && d <= 5_000);
  });
});

describe('sparseFallbackPollDelayMs (runs FLORA calls back about, sparse)', () => {
  const base = {
    pollMinMs: 2_000,
    pollMaxMs: 5_000,
    fallbackPollMaxMs: undefined,
    soon: false,
    remainingMs: undefined,
    endAimed: false,
  };
  test('near the 30 s default, jittered down by at most 15 % of the way to pollMaxMs', () => {
    assert.equal(DEFAULT_FALLBACK_POLL_MAX_MS, 30_000);
    const delays = [0, 0.25, 0.5, 0.75, 0.999].map((random) =>
      sparseFallbackPollDelayMs({ ...base, random }),
    );
    for (const d of delays) {
      assert.equal(d.aimed, false);
      assert.ok(d.delayMs >= 30_000 - 0.15 * 25_000 && d.delayMs <= 30_000, `${d.delayMs}`);
    }
    assert.ok(new Set(delays.map((d) => d.delayMs)).size > 1, 'jittered');
  });
  test('fallbackPollMaxMs sets the longest wait; never below pollMaxMs', () => {
    const long = sparseFallbackPollDelayMs({ ...base, fallbackPollMaxMs: 120_000, random: 0 });
    assert.equal(long.delayMs, 120_000);
    for (const random of [0, 0.5, 0.999]) {
      const short = sparseFallbackPollDelayMs({ ...base, fallbackPollMaxMs: 1_000, random });
      assert.equal(short.delayMs, 5_000, 'a value below pollMaxMs is raised to it');
      // pollMaxMs above the default: the default follows it.
      const slow = sparseFallbackPollDelayMs({ ...base, pollMaxMs: 60_000, random });
      assert.equal(slow.delayMs, 60_000);
    }
  });
  test('aims once at the predicted end plus the margin, when that comes sooner', () => {
    const aimed = sparseFallbackPollDelayMs({ ...base, remainingMs: 8_000, random: 0.5 });
    assert.deepEqual(aimed, { delayMs: 8_000 + CALLBACK_END_MARGIN_MS, aimed: true });
    // Already aimed for this run: back to the sparse wait, even though the end still looks near.
    const again = sparseFallbackPollDelayMs({ ...base, remainingMs: 2_000, endAimed: true, random: 0.5 });
    assert.equal(again.aimed, false);
    assert.ok(again.delayMs >= 26_250, `${again.delayMs}`);
  });
  test('does not aim at an end further than the sparse wait, overdue, or unknown', () => {
    for (const remainingMs of [40_000, 0, -5_000, undefined, Number.NaN]) {
      const d = sparseFallbackPollDelayMs({ ...base, remainingMs, random: 0.5 });
      assert.equal(d.aimed, false, String(remainingMs));
      assert.ok(d.delayMs >= 26_250 && d.delayMs <= 30_000, `${d.delayMs}`);
    }
  });
  test('after a callback its poll did not confirm: near pollMinMs, as before', () => {
    for (const random of [0, 0.5, 0.999]) {
      const d = sparseFallbackPollDelayMs({ ...base, soon: true, remainingMs: 3_000, random });
      assert.equal(d.aimed, false);
      assert.ok(d.delayMs >= 2_000 && d.delayMs <= 2_150, `${d.delayMs}`);
    }
  });
  test('survives nonsense: NaN random and fallback, swapped bounds', () => {
    const d = sparseFallbackPollDelayMs({
      ...base,
      pollMinMs: 5_000,
      pollMaxMs: 2_000,
      fallbackPollMaxMs: Number.NaN,
      random: Number.NaN,
    });
    assert.ok(d.delayMs >= 5_000 && d.delayMs <= 30_000, `${d.delayMs}`);
  });
});
