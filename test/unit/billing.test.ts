import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ActivityFailure, ApplicationFailure, RetryState } from '@temporalio/common';
import { withEndDetails } from '../../src/domain/failures';
import { endDetails, mayBeBilled, refusedOnFirstAttempt } from '../../src/workflows/billing';
import { recreateDelayMs } from '../../src/workflows/run-technique';

const refusal = (status: number, attempt: number | undefined, nonRetryable = true) =>
  new ActivityFailure(
    'activity failed',
    'createRun',
    '1',
    RetryState.NON_RETRYABLE_FAILURE,
    undefined,
    ApplicationFailure.create({
      type: 'insufficient_credits',
      message: 'no credits',
      nonRetryable,
      details: [
        { status, code: 'insufficient_credits', requestId: undefined, route: undefined, fields: [], attempt },
      ],
    }),
  );

describe('mayBeBilled', () => {
  test('false only when no create is in doubt and every run failed', () => {
    assert.equal(mayBeBilled([], { createsInDoubt: 0, failedRunIds: [] }), false);
    assert.equal(mayBeBilled(['run_a'], { createsInDoubt: 0, failedRunIds: ['run_a'] }), false);
    assert.equal(mayBeBilled([], { createsInDoubt: 1, failedRunIds: [] }), true);
    assert.equal(mayBeBilled(['run_a', 'run_b'], { createsInDoubt: 0, failedRunIds: ['run_a'] }), true);
  });

  test('a 4xx refusal proves nothing was created only on the first activity attempt', () => {
    assert.equal(refusedOnFirstAttempt(refusal(402, 1)), true);
    assert.equal(refusedOnFirstAttempt(refusal(402, 2)), false);
    assert.equal(refusedOnFirstAttempt(refusal(402, undefined)), false, 'histories without the attempt');
    assert.equal(refusedOnFirstAttempt(refusal(503, 1)), false);
    assert.equal(refusedOnFirstAttempt(refusal(422, 1, false)), false);
    assert.equal(refusedOnFirstAttempt(new Error('x')), false);
  });

  test('end details merge into the failure’s own details; activity failures keep their chain', () => {
    const end = endDetails({ runId: 'run_a', runIds: ['run_a'] }, { createsInDoubt: 0, failedRunIds: [] });
    assert.deepEqual(end, { runId: 'run_a', runIds: ['run_a'], mayBeBilled: true });
    const own = withEndDetails(
      ApplicationFailure.create({
        type: 'idempotency_unresolved',
        message: 'm',
        details: [{ idempotencyKey: 'k' }],
      }),
      end,
    ) as ApplicationFailure;
    assert.deepEqual(own.details?.[0], { idempotencyKey: 'k', ...end });
    assert.equal(own.type, 'idempotency_unresolved');
    const wrapped = withEndDetails(refusal(402, 2), end) as ApplicationFailure;
    assert.equal(wrapped.type, 'insufficient_credits');
    assert.ok(wrapped.cause instanceof ActivityFailure);
    const plain = new Error('a bug');
    assert.equal(withEndDetails(plain, end), plain, 'a plain error is left to fail the workflow task');
  });
});

describe('recreateDelayMs', () => {
  test('uniform in [base, 3 × base]', () => {
    assert.equal(recreateDelayMs(10_000, 0), 10_000);
    assert.equal(recreateDelayMs(10_000, 0.5), 20_000);
    assert.equal(recreateDelayMs(10_000, 0.999999), 30_000);
    assert.equal(recreateDelayMs(0, 0.7), 0);
    assert.equal(recreateDelayMs(10_000, Number.NaN), 20_000);
  });
});
