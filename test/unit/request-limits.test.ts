/**
 * The client library's own checks, found by the chaos harness's bad-input row at full load: a 1 MB input
 * reached FLORA (413 after the workflow started) and an attachRunId without the `run_` prefix was polled
 * (404), neither naming the field.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clientRequestProblems } from '../../src/client/request-limits';

test('a 1 MB input is refused naming the input, before anything starts', () => {
  const problems = clientRequestProblems({
    technique: 'text-to-image',
    inputs: { prompt: 'x'.repeat(1024 * 1024) },
  });
  assert.equal(problems.length, 1);
  assert.match(problems[0] ?? '', /^inputs\.prompt: \d+ bytes; FLORA refuses requests over 1 MiB/);
});

test('attachRunId must look like a FLORA run id', () => {
  assert.match(
    clientRequestProblems({ technique: 'text-to-image', inputs: {}, options: { attachRunId: 'xyz' } })[0] ??
      '',
    /^options\.attachRunId: expected a FLORA run id/,
  );
  assert.deepEqual(
    clientRequestProblems({ technique: 'text-to-image', inputs: {}, options: { attachRunId: 'run_8gf2K' } }),
    [],
  );
});

test('ordinary requests pass', () => {
  assert.deepEqual(clientRequestProblems({ technique: 'text-to-image', inputs: { prompt: 'fox' } }), []);
});
