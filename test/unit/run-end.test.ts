/** How runTechnique's end is classified (src/workflows/run-end.ts): each ending, without a server. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ActivityFailure, ApplicationFailure, CancelledFailure, RetryState } from '@temporalio/common';
import { ContinueAsNew } from '@temporalio/workflow';
import { FailureType, invalidRequest, runFailed } from '../../src/domain/failures';
import { classifyRunEnd, type EndFacts, type RunEnd } from '../../src/workflows/run-end';
import { Phase, type RunTechniqueResult, type RunTechniqueStatus } from '../../src/workflows/types';

function status(over: Partial<RunTechniqueStatus> = {}): RunTechniqueStatus {
  return {
    phase: Phase.Polling,
    technique: { slug: 'flux', techniqueId: 'tech_flux', name: 'Flux' },
    runId: 'run_2',
    runIds: ['run_1', 'run_2'],
    attempt: 2,
    progress: 40,
    polls: 7,
    lastPollAt: undefined,
    runCost: 0.04,
    chargedCost: 0,
    note: undefined,
    error: undefined,
    ...over,
  };
}

function facts(over: Partial<EndFacts> = {}): EndFacts {
  return {
    status: status(),
    // run_1 failed at FLORA (charged nothing); run_2 is still going: it may be billed.
    billing: { createsInDoubt: 0, failedRunIds: ['run_1'] },
    deadlineHit: false,
    deadlineMs: 60_000,
    requested: 'flux',
    ...over,
  };
}

/** The end's raised failure, asserting the ending is one that raises. */
function raised(end: RunEnd): {
  end: Exclude<RunEnd, { kind: 'completed' | 'continued-as-new' }>;
  raise: unknown;
} {
  assert.ok(end.kind !== 'completed' && end.kind !== 'continued-as-new', end.kind);
  return { end, raise: end.raise };
}

const END = { runIds: ['run_1', 'run_2'], mayBeBilled: true, runId: 'run_2' };

describe('classifyRunEnd', () => {
  test('completed: the result as returned, counted with the slug and the charge', () => {
    const result: RunTechniqueResult = {
      workflowId: 'wf',
      status: 'completed',
      runId: 'run_2',
      technique: { slug: undefined, techniqueId: 'tech_flux', name: 'Flux' },
      outputs: [],
      chargedCost: 0.04,
      progress: 100,
      polls: 7,
      attempts: 2,
    };
    const end = classifyRunEnd({ kind: 'returned', result }, facts());
    assert.deepEqual(end, {
      kind: 'completed',
      outcome: 'completed',
      technique: 'tech_flux', // no slug (top-level route): the id
      chargedUsd: 0.04,
      result,
    });
  });

  test('continued as new: raised unchanged, not an end', () => {
    const can = new ContinueAsNew({ workflowType: 'runTechnique' });
    const end = classifyRunEnd({ kind: 'threw', error: can }, facts({ deadlineHit: true }));
    assert.equal(end.kind, 'continued-as-new');
    assert.equal(end.kind === 'continued-as-new' && end.raise, can);
  });

  test('failed with a FLORA run error: its own type, end details merged into its details', () => {
    const err = runFailed({
      runId: 'run_2',
      runIds: ['run_1', 'run_2'],
      techniqueName: 'Flux',
      errorCode: 'safety_blocked',
      errorMessage: 'blocked',
      attempts: 2,
      attemptsExhausted: false,
    });
    const { end, raise } = raised(classifyRunEnd({ kind: 'threw', error: err }, facts()));
    assert.equal(end.kind, 'failed');
    assert.equal(end.outcome, 'safety_blocked');
    assert.equal(end.technique, 'flux');
    assert.ok(raise instanceof ApplicationFailure);
    assert.equal(raise.type, 'safety_blocked');
    assert.equal(raise.nonRetryable, true);
    assert.equal(raise.message, 'FLORA run run_2 of Flux failed: safety_blocked: blocked');
    assert.deepEqual(raise.details, [
      {
        runId: 'run_2',
        runIds: ['run_1', 'run_2'],
        errorCode: 'safety_blocked',
        errorMessage: 'blocked',
        attempts: 2,
        mayBeBilled: true,
      },
    ]);
    assert.deepEqual(end.status, {
      phase: Phase.Failed,
      error: { type: 'safety_blocked', message: raise.message },
    });
  });

  test('failed after the last attempt of a transient error: the message says the attempts ran out', () => {
    const err = runFailed({
      runId: 'run_2',
      runIds: ['run_1', 'run_2'],
      techniqueName: 'Flux',
      errorCode: FailureType.ModelTimeout,
      errorMessage: 'slow',
      attempts: 2,
      attemptsExhausted: true,
    });
    const { raise } = raised(classifyRunEnd({ kind: 'threw', error: err }, facts()));
    assert.ok(raise instanceof ApplicationFailure);
    assert.equal(
      raise.message,
      'FLORA run run_2 of Flux failed after 2 run attempts (options.maxRunAttempts): model_timeout: slow',
    );
  });

  test('failed in an activity: wrapped in an ApplicationFailure of the innermost type, the chain kept', () => {
    const inner = ApplicationFailure.create({
      type: 'insufficient_credits',
      message: 'no credits',
      nonRetryable: true,
    });
    const activity = new ActivityFailure(
      'activity failed',
      'createRun',
      '1',
      RetryState.NON_RETRYABLE_FAILURE,
      undefined,
      inner,
    );
    const { end, raise } = raised(classifyRunEnd({ kind: 'threw', error: activity }, facts()));
    assert.equal(end.outcome, 'insufficient_credits');
    assert.ok(raise instanceof ApplicationFailure);
    assert.equal(raise.type, 'insufficient_credits');
    assert.equal(raise.cause, activity);
    assert.deepEqual(raise.details, [END]);
  });

  test('a refused request (before any run): invalid_request, nothing may be billed', () => {
    const f = facts({
      status: status({ runId: undefined, runIds: [], technique: undefined, phase: Phase.Validating }),
    });
    const err = invalidRequest([{ field: 'inputs.prompt', message: 'missing' }]);
    const { end, raise } = raised(classifyRunEnd({ kind: 'threw', error: err }, f));
    assert.equal(end.outcome, FailureType.InvalidRequest);
    assert.equal(end.technique, 'flux', 'the requested name before the schema was read');
    assert.ok(raise instanceof ApplicationFailure);
    assert.deepEqual(raise.details, [
      { problems: [{ field: 'inputs.prompt', message: 'missing' }], runIds: [], mayBeBilled: false },
    ]);
    assert.equal(end.status.phase, Phase.Failed);
  });

  test('a bug (a plain Error) is raised unchanged, so the workflow task fails and is retried', () => {
    const bug = new TypeError('x is undefined');
    const { end, raise } = raised(classifyRunEnd({ kind: 'threw', error: bug }, facts()));
    assert.equal(raise, bug);
    assert.equal(end.outcome, 'TypeError');
    assert.deepEqual(end.status, {
      phase: Phase.Failed,
      error: { type: 'TypeError', message: 'x is undefined' },
    });
    const thrown = raised(classifyRunEnd({ kind: 'threw', error: 'a string' }, facts()));
    assert.equal(thrown.raise, 'a string');
    assert.deepEqual(thrown.end.status, {}, 'nothing to describe in the status');
  });

  test('cancelled: a CancelledFailure with the end details; the note says the FLORA run keeps going', () => {
    const { end, raise } = raised(
      classifyRunEnd({ kind: 'threw', error: new CancelledFailure('cancelled') }, facts()),
    );
    assert.equal(end.kind, 'cancelled');
    assert.equal(end.outcome, 'cancelled');
    const note =
      'Cancelled. FLORA has no cancel: run run_2 keeps going at FLORA and is billed if it completes.';
    assert.deepEqual(end.status, { phase: Phase.Cancelled, note });
    assert.ok(raise instanceof CancelledFailure);
    assert.equal(raise.message, note);
    assert.deepEqual(raise.details, [END]);

    const early = raised(
      classifyRunEnd(
        { kind: 'threw', error: new CancelledFailure('cancelled') },
        facts({ status: status({ runId: undefined, runIds: [] }) }),
      ),
    );
    assert.equal(early.end.status.note, 'Cancelled before any FLORA run was created.');
    assert.deepEqual((early.raise as CancelledFailure).details, [{ runIds: [], mayBeBilled: false }]);
  });

  test('deadline: the cancellation it caused becomes deadline_exceeded naming the FLORA run', () => {
    const { end, raise } = raised(
      classifyRunEnd(
        { kind: 'threw', error: new CancelledFailure('cancelled') },
        facts({ deadlineHit: true }),
      ),
    );
    assert.equal(end.kind, 'deadline');
    assert.equal(end.outcome, FailureType.DeadlineExceeded);
    assert.ok(raise instanceof ApplicationFailure);
    assert.equal(raise.type, FailureType.DeadlineExceeded);
    assert.equal(raise.nonRetryable, true);
    assert.equal(
      raise.message,
      'Deadline of 60000 ms passed: FLORA run run_2 was still running (40%); it keeps going at FLORA and can be resumed with options.attachRunId',
    );
    assert.deepEqual(raise.details, [{ ...END, progress: 40, polls: 7 }]);
    assert.equal(end.status.phase, Phase.Failed);
    assert.equal(end.status.error?.type, FailureType.DeadlineExceeded);
  });

  test('deadline passed before the execution began (continued too late): same failure, other phases named', () => {
    const f = facts({ deadlineHit: true, status: status({ phase: Phase.Creating }) });
    const { end, raise } = raised(classifyRunEnd({ kind: 'deadline-passed' }, f));
    assert.equal(end.kind, 'deadline');
    assert.ok(raise instanceof ApplicationFailure);
    assert.match(raise.message, /FLORA run run_2 was still creating;/);
    const none = raised(
      classifyRunEnd(
        { kind: 'deadline-passed' },
        facts({ status: status({ runId: undefined, runIds: [] }) }),
      ),
    );
    assert.equal(
      (none.raise as ApplicationFailure).message,
      'Deadline of 60000 ms passed: no FLORA run had been created',
    );
  });

  test('after the deadline, a failure that is no cancellation keeps its own type', () => {
    const own = ApplicationFailure.create({
      type: FailureType.IdempotencyUnresolved,
      message: 'lost',
      nonRetryable: true,
    });
    const { end, raise } = raised(
      classifyRunEnd({ kind: 'threw', error: own }, facts({ deadlineHit: true })),
    );
    assert.equal(end.kind, 'failed');
    assert.equal((raise as ApplicationFailure).type, FailureType.IdempotencyUnresolved);
  });
});
