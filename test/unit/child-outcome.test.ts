/**
 * How a pipeline's child ended, as the scheduler takes it (src/workflows/child-outcome.ts): built from
 * the same Temporal failures the SDK hands the workflow, without a server.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  ChildWorkflowFailure,
  RetryState,
} from '@temporalio/common';
import { NO_EVIDENCE } from '../../src/pipelines/billing';
import { completedOutcome, endEvidence, outcomeOf } from '../../src/workflows/child-outcome';
import type { RunTechniqueResult } from '../../src/workflows/types';

const child = (cause: Error) =>
  new ChildWorkflowFailure(
    'default',
    { workflowId: 'wf/a/0', runId: 'r' },
    'runTechnique',
    RetryState.NON_RETRYABLE_FAILURE,
    cause,
  );
const proof = { mayBeBilled: false, runId: 'run_1', runIds: ['run_1'] };

describe('endEvidence', () => {
  test('details[0] of the outermost ApplicationFailure or CancelledFailure that has details', () => {
    const inner = ApplicationFailure.create({
      type: 'safety_blocked',
      message: 'no',
      details: [{ mayBeBilled: true }],
    });
    const outer = ApplicationFailure.create({
      type: 'safety_blocked',
      message: 'no',
      details: [proof],
      cause: inner,
    });
    assert.deepEqual(endEvidence(child(outer)), proof);
    assert.deepEqual(endEvidence(child(new CancelledFailure('cancelled', [proof]))), proof);
    // An outer failure without details is passed over for the inner one that has them.
    const bare = ApplicationFailure.create({ type: 'x', message: 'no', cause: inner });
    assert.deepEqual(endEvidence(child(bare)), { mayBeBilled: true, runId: undefined, runIds: [] });
  });

  test('none anywhere, malformed, or not an error at all: no evidence (the reservation stays)', () => {
    assert.deepEqual(
      endEvidence(child(ApplicationFailure.create({ type: 'x', message: 'no' }))),
      NO_EVIDENCE,
    );
    assert.deepEqual(
      endEvidence(ApplicationFailure.create({ type: 'x', message: 'no', details: ['not a record'] })),
      NO_EVIDENCE,
    );
    assert.deepEqual(endEvidence(new Error('plain')), NO_EVIDENCE);
    assert.deepEqual(endEvidence('a string'), NO_EVIDENCE);
  });
});

describe('outcomeOf', () => {
  test("a failed child: its innermost ApplicationFailure's type and message, with its evidence", () => {
    const failure = ApplicationFailure.create({
      type: 'safety_blocked',
      message: 'blocked',
      details: [proof],
    });
    assert.deepEqual(outcomeOf(child(failure)), {
      kind: 'failed',
      error: { type: 'safety_blocked', message: 'blocked' },
      evidence: proof,
    });
  });

  test('a cancelled child (or the cancellation itself): `cancelled`, with what the child said', () => {
    const expected = {
      kind: 'cancelled',
      error: { type: 'cancelled', message: 'the run was cancelled' },
      evidence: proof,
    };
    assert.deepEqual(outcomeOf(child(new CancelledFailure('cancelled', [proof]))), expected);
    assert.deepEqual(outcomeOf(new CancelledFailure('cancelled', [proof])), expected);
  });

  test('a child ended by a cancellation deeper in its chain is cancelled too, named by that chain', () => {
    const activity = new ActivityFailure(
      'cancelled',
      'floraCreate',
      '1',
      RetryState.NON_RETRYABLE_FAILURE,
      'id',
      new CancelledFailure('cancelled'),
    );
    const outcome = outcomeOf(child(activity));
    assert.deepEqual(outcome, {
      kind: 'cancelled',
      error: { type: 'CancelledFailure', message: 'cancelled' },
      evidence: NO_EVIDENCE,
    });
  });

  test('no ApplicationFailure anywhere: the innermost error names the failure', () => {
    const outcome = outcomeOf(child(new TypeError('boom')));
    assert.deepEqual(outcome, {
      kind: 'failed',
      error: { type: 'TypeError', message: 'boom' },
      evidence: NO_EVIDENCE,
    });
  });
});

describe('completedOutcome', () => {
  const result = {
    runId: 'run_1',
    polls: 4,
    outputs: [{ outputId: 'o', type: 'imageUrl', url: 'https://x.test/a.png' }],
    chargedCost: 0.04,
  } as unknown as RunTechniqueResult;

  test('the run, its polls, outputs and charge; no downloadError unless the child reported one', () => {
    assert.deepEqual(completedOutcome(result), {
      kind: 'completed',
      runId: 'run_1',
      polls: 4,
      outputs: result.outputs,
      chargedCost: 0.04,
    });
  });

  test("a failed download is kept with its type, `download_failed` when the child's has none", () => {
    const saved = (downloadError: unknown) =>
      completedOutcome({ ...result, downloadError } as unknown as RunTechniqueResult);
    const typed = saved({ type: 'download_http_error', message: 'HTTP 404' });
    assert.deepEqual(typed.kind === 'completed' && typed.downloadError, {
      type: 'download_http_error',
      message: 'HTTP 404',
    });
    const untyped = saved({ message: 'lost' });
    assert.deepEqual(untyped.kind === 'completed' && untyped.downloadError, {
      type: 'download_failed',
      message: 'lost',
    });
    const junk = saved('not an object');
    assert.equal(junk.kind === 'completed' && 'downloadError' in junk, false);
  });
});
