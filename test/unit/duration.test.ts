/** Deadlines are read as the Temporal SDK reads durations; recorded histories rely on it. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { durationToMs } from '../../src/domain/duration';

test('durations: units, aliases, decimals, spaces and plain numbers as the SDK reads them', () => {
  const cases: [unknown, number][] = [
    ['6h', 21_600_000],
    ['30m', 1_800_000],
    ['90s', 90_000],
    ['250ms', 250],
    ['250', 250],
    ['1.5h', 5_400_000],
    ['.5d', 43_200_000],
    ['2 days', 172_800_000],
    ['1 Hour', 3_600_000],
    ['3 mins', 180_000],
    ['1w', 604_800_000],
    ['1y', 31_557_600_000],
    ['-1h', -3_600_000],
    [45_000, 45_000],
  ];
  for (const [value, ms] of cases) assert.equal(durationToMs(value), ms, JSON.stringify(value));
});

test('durations: anything else is NaN (reported as a bad option, never thrown)', () => {
  for (const value of ['', '6 hours ago', 'h', '1x', '1h30m', 'x'.repeat(101), null, undefined, {}, true]) {
    assert.ok(Number.isNaN(durationToMs(value)), JSON.stringify(value));
  }
});
