import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  canonicalJson,
  differingParts,
  pipelineFingerprint,
  readFingerprint,
  runFingerprint,
} from '../../src/client/request-fingerprint';

describe('request fingerprints', () => {
  test('canonical JSON sorts keys at every level and drops undefined members', () => {
    assert.equal(
      canonicalJson({ b: 1, a: { d: [1, { y: 2, x: undefined }], c: 'é' } }),
      '{"a":{"c":"é","d":[1,{"y":2}]},"b":1}',
    );
  });

  test('key order and fields the workflow sets for itself do not change a run fingerprint', () => {
    const a = runFingerprint({ technique: 'x', inputs: { p: '1', q: '2' }, options: { deadline: '1h' } });
    const b = runFingerprint({
      options: { deadline: '1h' },
      inputs: { q: '2', p: '1' },
      technique: 'x',
      reportTo: { workflowId: 'p', stepId: 's', index: 0 },
    } as unknown as Parameters<typeof runFingerprint>[0]);
    assert.equal(a.sha256, b.sha256);
    assert.deepEqual(differingParts(a, b), []);
  });

  test('differing parts are named', () => {
    const base = runFingerprint({ technique: 'x', inputs: { p: '1' } });
    assert.deepEqual(differingParts(base, runFingerprint({ technique: 'x', inputs: { p: '2' } })), [
      'inputs',
    ]);
    assert.deepEqual(differingParts(base, runFingerprint({ technique: 'y', inputs: { p: '2' } })), [
      'inputs',
      'technique',
    ]);
    assert.deepEqual(
      differingParts(
        base,
        runFingerprint({ technique: 'x', inputs: { p: '1' }, options: { maxCostUsd: 1 } }),
      ),
      ['options'],
    );
    const spec = { name: 'n', steps: [{ id: 'a', technique: 'x', inputs: {} }] };
    assert.deepEqual(
      differingParts(pipelineFingerprint(spec), pipelineFingerprint({ ...spec, budgetUsd: 2 })),
      ['budgetUsd'],
    );
    assert.deepEqual(differingParts(pipelineFingerprint(spec), base), ['kind']);
  });

  test('a memo value round-trips; anything else is not a fingerprint', () => {
    const fp = runFingerprint({ technique: 'x', inputs: {} });
    assert.deepEqual(readFingerprint(JSON.parse(JSON.stringify(fp))), fp);
    for (const junk of [undefined, null, 'abc', { version: 2 }, { ...fp, kind: 'other' }])
      assert.equal(readFingerprint(junk), undefined);
  });
});
