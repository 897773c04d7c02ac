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

  test("a worker's share is the fleet's rate divided by FLORA_WORKERS", () => {
    assert.equal(requestLimiter(undefined, 3), undefined);
    assert.equal(requestLimiter(12, 3)?.perSecond, 4);
    assert.equal(requestLimiter(12, undefined)?.perSecond, 12);
  });
});
