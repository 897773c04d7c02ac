import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { ReplayCache } from '../../src/webhooks/replay-cache';
import {
  parseSignatureHeader,
  signatureHeader,
  signPayload,
  verifySignature,
} from '../../src/webhooks/signature';

const SECRET = 'whsec_unit_secret';
const BODY = '{"id":"whd_1","type":"run.completed","data":{"run_id":"run_1"}}';
const NOW = 1_800_000_000;

describe('webhook signatures (FLORA_API.md: HMAC-SHA256 over `${t}.${rawBody}`)', () => {
  test('signPayload is HMAC-SHA256 of "t.body" keyed with the whole whsec_ string, in hex', () => {
    const expected = createHmac('sha256', SECRET).update(`${NOW}.${BODY}`).digest('hex');
    assert.equal(signPayload(SECRET, NOW, BODY), expected);
  });

  test('a delivery signed with the secret, now, verifies', () => {
    const header = signatureHeader([SECRET], NOW, BODY);
    assert.deepEqual(verifySignature({ header, rawBody: BODY, secrets: [SECRET], nowSeconds: NOW }), {
      ok: true,
      timestamp: NOW,
    });
  });

  test('any of several v1 signatures, and any of several secrets (rotation), is enough', () => {
    const header = `t=${NOW},v1=${'0'.repeat(64)},v1=${signPayload('whsec_new', NOW, BODY)}`;
    assert.equal(verifySignature({ header, rawBody: BODY, secrets: [SECRET], nowSeconds: NOW }).ok, false);
    assert.equal(
      verifySignature({ header, rawBody: BODY, secrets: ['whsec_old', 'whsec_new'], nowSeconds: NOW }).ok,
      true,
    );
  });

  test('forged: another secret, a changed body, a changed timestamp, a truncated digest', () => {
    const good = signPayload(SECRET, NOW, BODY);
    const cases = [
      signatureHeader(['whsec_other'], NOW, BODY),
      signatureHeader([SECRET], NOW, BODY.replace('run_1', 'run_2')),
      `t=${NOW + 1},v1=${good}`,
      `t=${NOW},v1=${good.slice(0, 62)}`,
      `t=${NOW},v1=${good.toUpperCase().replace(/^./, 'g')}`,
    ];
    for (const header of cases) {
      assert.deepEqual(
        verifySignature({ header, rawBody: BODY, secrets: [SECRET], nowSeconds: NOW }),
        { ok: false, reason: 'mismatch' },
        header,
      );
    }
  });

  test('stale: correctly signed more than 300 s ago (or ahead), refused; 300 s exactly is fine', () => {
    const at = (t: number) =>
      verifySignature({
        header: signatureHeader([SECRET], t, BODY),
        rawBody: BODY,
        secrets: [SECRET],
        nowSeconds: NOW,
      });
    assert.deepEqual(at(NOW - 301), { ok: false, reason: 'stale' });
    assert.deepEqual(at(NOW + 301), { ok: false, reason: 'stale' });
    assert.equal(at(NOW - 300).ok, true);
  });

  test('malformed and missing headers are told apart from forgeries', () => {
    const v = (header: string | undefined) =>
      verifySignature({ header, rawBody: BODY, secrets: [SECRET], nowSeconds: NOW });
    assert.deepEqual(v(undefined), { ok: false, reason: 'missing' });
    assert.deepEqual(v(''), { ok: false, reason: 'missing' });
    for (const header of [
      'garbage',
      `v1=${'a'.repeat(64)}`,
      `t=${NOW}`,
      `t=abc,v1=${'a'.repeat(64)}`,
      `t=1,t=2,v1=aa`,
      'x'.repeat(2000),
    ]) {
      assert.deepEqual(v(header), { ok: false, reason: 'malformed' }, header.slice(0, 40));
    }
    assert.deepEqual(parseSignatureHeader(` t=5 , v1=ab , v0=cd`), { timestamp: 5, v1: ['ab'] });
  });
});

describe('ReplayCache', () => {
  test('claims an id once within the TTL, again after it', () => {
    const cache = new ReplayCache(10, 1_000);
    assert.equal(cache.claim('a', 0), true);
    assert.equal(cache.claim('a', 999), false);
    assert.equal(cache.claim('a', 1_000), true);
  });

  test('stays bounded: the oldest ids are evicted past maxEntries', () => {
    const cache = new ReplayCache(3, 60_000);
    for (const id of ['a', 'b', 'c', 'd']) assert.equal(cache.claim(id, 0), true);
    assert.equal(cache.size, 3);
    assert.equal(cache.claim('a', 1), true, 'a was evicted');
    assert.equal(cache.claim('d', 1), false);
  });

  test('release lets a retry of an unhandled delivery through', () => {
    const cache = new ReplayCache(3, 60_000);
    cache.claim('a', 0);
    cache.release('a');
    assert.equal(cache.claim('a', 1), true);
  });
});
