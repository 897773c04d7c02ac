/** The named failures (src/domain/failures.ts): one enum, type strings unchanged, messages as before. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  FailureType,
  PipelineFailureType,
  downloadErrorOf,
  downloadFailure,
  downloadFailureType,
  downloadsDisabled,
  idempotencyUnresolved,
  invalidDownloadDir,
  isDownloadFailure,
  localRateLimited,
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

test('download failures: the same type strings as ever, one predicate for "only saving failed"', () => {
  // Public names, recorded in histories: byte-identical to the activity's inline strings they replace.
  assert.equal(downloadsDisabled().type, 'downloads_disabled');
  assert.equal(downloadsDisabled().nonRetryable, true);
  assert.equal(
    downloadsDisabled().message,
    'This worker has no download root: set FLORA_DOWNLOAD_ROOT on the worker to enable options.downloadTo',
  );
  const dir = invalidDownloadDir('../etc');
  assert.equal(dir.type, 'invalid_download_dir');
  assert.equal(dir.nonRetryable, true);
  assert.equal(dir.message, 'options.downloadTo must be a relative directory without "..", got "../etc"');
  assert.equal(downloadFailureType('http_error'), 'download_http_error');
  const file = { message: 'HTTP 404', url: 'https://x.test/a.png', status: 404, outputId: 'o1' };
  const permanent = downloadFailure({ code: 'http_error', retryable: false, ...file });
  assert.equal(permanent.type, 'download_http_error');
  assert.equal(permanent.message, 'HTTP 404');
  assert.equal(permanent.nonRetryable, true);
  assert.deepEqual(permanent.details, [{ url: 'https://x.test/a.png', status: 404, outputId: 'o1' }]);
  assert.equal(downloadFailure({ code: 'timeout', retryable: true, ...file }).nonRetryable, false);
  // Only `download_*` says the run completed and only saving failed; the two refusals are not.
  for (const type of ['download_http_error', 'download_timeout', 'download_failed', permanent.type])
    assert.equal(isDownloadFailure(type), true, type);
  for (const type of ['downloads_disabled', 'invalid_download_dir', 'run_failed', 'download'])
    assert.equal(isDownloadFailure(type), false, type);
});

test("a completed child's downloadError: its type and message, `download_failed` when it has no type", () => {
  assert.deepEqual(downloadErrorOf({ type: 'download_timeout', message: 'slow' }), {
    type: 'download_timeout',
    message: 'slow',
  });
  assert.deepEqual(downloadErrorOf({ message: 'lost' }), { type: 'download_failed', message: 'lost' });
  assert.deepEqual(downloadErrorOf({ type: 7, message: null }), { type: 'download_failed', message: '' });
  assert.deepEqual(downloadErrorOf({}), { type: 'download_failed', message: '' });
  assert.equal(downloadErrorOf(undefined), undefined);
  assert.equal(downloadErrorOf(null), undefined);
  assert.equal(downloadErrorOf('download_timeout'), undefined);
});

test("the worker's own rate limit: retryable rate_limited naming its delay", () => {
  const failure = localRateLimited(2_500);
  assert.equal(failure.type, 'rate_limited');
  assert.equal(failure.nonRetryable, false);
  assert.equal(failure.nextRetryDelay, 2_500);
  assert.equal(
    failure.message,
    "this worker's share of FLORA_MAX_REQUESTS_PER_SECOND is used up; retrying in 2500 ms (nothing was sent)",
  );
});

test('workflows build no failure inline: every ApplicationFailure they raise comes from src/domain/failures.ts', () => {
  const dir = join(__dirname, '..', '..', 'src', 'workflows');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    const source = readFileSync(join(dir, file), 'utf8');
    assert.doesNotMatch(source, /ApplicationFailure\.create|new ApplicationFailure\b/, file);
  }
});

test('activities build no failure inline either, outside the one FLORA-error mapping (activities/failures.ts)', () => {
  const dir = join(__dirname, '..', '..', 'src', 'activities');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'failures.ts')) {
    const source = readFileSync(join(dir, file), 'utf8');
    assert.doesNotMatch(source, /ApplicationFailure\.create|new ApplicationFailure\b/, file);
  }
});
