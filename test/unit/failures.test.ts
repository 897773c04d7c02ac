/** The named failures (src/domain/failures.ts): one enum, type strings unchanged, messages as before. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  FailureType,
  PipelineFailureType,
  idempotencyUnresolved,
  internalBug,
  invalidPipeline,
  invalidRequest,
} from '../../src/domain/failures';

test('one failure-type enum: distinct strings, the pipeline types among them', () => {
  const values = Object.values(FailureType);
  assert.equal(new Set(values).size, values.length);
  for (const type of Object.values(PipelineFailureType)) assert.ok(values.includes(type), type);
  // Public names: these strings are matched by callers and recorded in histories.
  assert.equal(FailureType.InvalidRequest, 'invalid_request');
  assert.equal(FailureType.IdempotencyUnresolved, 'idempotency_unresolved');
  assert.equal(PipelineFailureType.InvalidPipeline, 'invalid_pipeline');
  assert.equal(FailureType.InternalBug, 'internal_bug');
});

test('constructors: type, message naming every problem, non-retryable, details for operators', () => {
  const request = invalidRequest([
    { field: 'options.pollMinMs', message: 'too small' },
    { field: 'inputs.prompt', message: 'missing' },
  ]);
  assert.equal(request.type, 'invalid_request');
  assert.equal(request.nonRetryable, true);
  assert.equal(
    request.message,
    'Invalid run request, nothing was created: 2 problems: options.pollMinMs: too small; inputs.prompt: missing',
  );
  assert.deepEqual(request.details, [
    {
      problems: [
        { field: 'options.pollMinMs', message: 'too small' },
        { field: 'inputs.prompt', message: 'missing' },
      ],
    },
  ]);

  const pipeline = invalidPipeline([{ path: 'steps[0].technique', message: 'unknown' }]);
  assert.equal(pipeline.type, 'invalid_pipeline');
  assert.equal(
    pipeline.message,
    'Invalid pipeline, nothing was created: 1 problem: steps[0].technique: unknown',
  );
  assert.deepEqual(pipeline.details, [{ problems: [{ path: 'steps[0].technique', message: 'unknown' }] }]);

  const bug = internalBug('polling without a run id');
  assert.equal(bug.type, 'internal_bug');
  assert.equal(bug.message, 'flora-temporal bug: polling without a run id');
  assert.equal(bug.nonRetryable, true);

  const cause = new Error('lost');
  const unresolved = idempotencyUnresolved(
    'no run could be told apart',
    { idempotencyKey: 'k-1', candidateRunIds: ['run_a'] },
    cause,
  );
  assert.equal(unresolved.type, 'idempotency_unresolved');
  assert.equal(unresolved.nonRetryable, true);
  assert.deepEqual(unresolved.details, [{ idempotencyKey: 'k-1', candidateRunIds: ['run_a'] }]);
  assert.equal(unresolved.cause, cause);
});

test('workflows build no failure inline: every ApplicationFailure they raise comes from src/domain/failures.ts', () => {
  const dir = join(__dirname, '..', '..', 'src', 'workflows');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    const source = readFileSync(join(dir, file), 'utf8');
    assert.doesNotMatch(source, /ApplicationFailure\.create|new ApplicationFailure\b/, file);
  }
});
