import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { nextPollDelayMs } from '../../src/workflows/cadence';

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
