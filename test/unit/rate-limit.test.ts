import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { RequestRateLimiter } from '../../src/activities/rate-limit';
import { requestLimiter } from '../../src/worker/worker';

describe('RequestRateLimiter', () => {
  test('spaces slots evenly at its rate, whatever the demand', () => {
    let now = 1_000;
    const limiter = new RequestRateLimiter(4, 4_000, () => now);
    const waits = Array.from({ length: 5 }, () => limiter.reserve());
    assert.deepEqual(waits, [0, 250, 500, 750, 1000]);
    now += 2_000; // idle time is not saved up as a burst
    assert.equal(limiter.reserve(), 0);
    assert.equal(limiter.reserve(), 250);
  });

  test('refuses a slot further than maxWaitMs, without reserving it, as retryable rate_limited', async () => {
    const now = 0;
    const limiter = new RequestRateLimiter(1, 2_000, () => now);
    assert.deepEqual([limiter.reserve(), limiter.reserve(), limiter.reserve()], [0, 1000, 2000]);
    assert.equal(limiter.reserve(), undefined);
    await assert.rejects(limiter.take(), (err: unknown) => {
      assert.ok(err instanceof ApplicationFailure);
      assert.equal(err.type, 'rate_limited');
      assert.equal(err.nonRetryable, false);
      assert.ok((err.nextRetryDelay as number) >= 1_000);
      return true;
    });
  });

  test('a 429 halves the rate and pauses sending until its retry-after', () => {
    let now = 10_000;
    const limiter = new RequestRateLimiter(10, 60_000, () => now);
    assert.equal(limiter.currentPerSecond(), 10);
    limiter.rateLimited(2_000);
    assert.equal(limiter.currentPerSecond(), 5);
    assert.equal(limiter.cuts, 1);
    // Nothing is sent before the retry-after; then slots are 200 ms apart (5/s), not 100.
    assert.deepEqual([limiter.reserve(), limiter.reserve(), limiter.reserve()], [2_000, 2_200, 2_400]);
    now += 500;
    // The other requests in flight answer 429 too: within the cooldown they extend nothing but the count.
    limiter.rateLimited(1_000);
    assert.equal(limiter.cuts, 1);
    assert.equal(limiter.rateLimitedCount, 2);
  });

  test('after a cut the rate grows back by 2 % of the starting share a second, never above it', () => {
    let now = 0;
    const limiter = new RequestRateLimiter(10, 60_000, () => now);
    limiter.rateLimited(1_000);
    assert.equal(limiter.currentPerSecond(), 5);
    now = 10_000;
    assert.ok(Math.abs(limiter.currentPerSecond() - 7) < 1e-9); // 5 + 10 × 0.02 × 10
    now = 25_000;
    assert.equal(limiter.currentPerSecond(), 10);
    now = 100_000;
    assert.equal(limiter.currentPerSecond(), 10);
  });

  test('repeated 429s cut multiplicatively, once per cooldown, down to a floor', () => {
    let now = 0;
    const limiter = new RequestRateLimiter(8, 60_000, () => now, 0);
    for (let i = 0; i < 3; i += 1) {
      limiter.rateLimited(undefined); // no retry-after: 1 s cooldown
      now += 1_000;
    }
    assert.equal(limiter.cuts, 3);
    assert.equal(limiter.currentPerSecond(), 1); // 8 → 4 → 2 → 1
    // A retry-after longer than a second is the cooldown too.
    limiter.rateLimited(5_000);
    now += 4_000;
    limiter.rateLimited(5_000);
    assert.equal(limiter.cuts, 4);
    for (let i = 0; i < 20; i += 1) {
      now += 10_000;
      limiter.rateLimited(1_000);
    }
    assert.equal(limiter.currentPerSecond(), 8 / 64);
  });

  test("a worker's share is the fleet's rate divided by FLORA_WORKERS", () => {
    assert.equal(requestLimiter(undefined, 3), undefined);
    assert.equal(requestLimiter(12, 3)?.perSecond, 4);
    assert.equal(requestLimiter(12, undefined)?.perSecond, 12);
  });
});
