/**
 * The webhook receiver over a real socket: what it answers to good, forged, stale, replayed, malformed
 * and oversized deliveries, and what it tells the workflow (through an injected signal function; the
 * end-to-end path with Temporal is test/webhooks.test.ts).
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { signatureHeader } from '../src/webhooks/signature';
import { startWebhookReceiver, type ListeningWebhookReceiver } from '../src/webhooks/receiver';
import type { FloraRunEvent } from '../src/workflows/signals';

const SECRET = 'whsec_receiver_test';
const signals: { workflowId: string; event: FloraRunEvent }[] = [];
const logs: string[] = [];
let failSignals = false;
let receiver: ListeningWebhookReceiver;

function event(id: string, runId = 'run_1', type = 'run.completed'): string {
  return JSON.stringify({
    id,
    type,
    api_version: '2025-01-01',
    created_at: Date.now(),
    data: { run_id: runId, run_type: 'technique', workspace_id: 'ws_1', status: 'completed' },
  });
}

async function post(
  body: string,
  headers: Record<string, string>,
  query = '?wf=wf-1',
  method = 'POST',
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${receiver.url}${query}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(method === 'POST' ? { body } : {}),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as unknown) : undefined };
}

function signed(
  body: string,
  id: string,
  opts: { secret?: string; t?: number } = {},
): Record<string, string> {
  const t = opts.t ?? Math.floor(Date.now() / 1000);
  return {
    'flora-signature': signatureHeader([opts.secret ?? SECRET], t, body),
    'flora-webhook-id': id,
    'flora-event': 'run.completed',
  };
}

before(async () => {
  receiver = await startWebhookReceiver({
    secrets: ['whsec_previous', SECRET],
    maxBodyBytes: 4_096,
    signal: (workflowId, ev) => {
      if (failSignals) return Promise.reject(new Error('Temporal unavailable'));
      signals.push({ workflowId, event: ev });
      return Promise.resolve(workflowId !== 'wf-closed');
    },
    findWorkflow: (runId) => Promise.resolve(runId === 'run_known' ? 'wf-found' : undefined),
    log: (line, attrs) => logs.push(`${line} ${JSON.stringify(attrs)}`),
  });
});
after(() => receiver.close());
beforeEach(() => {
  signals.length = 0;
  failSignals = false;
});

describe('webhook receiver', () => {
  test('a signed run.completed signals the workflow named by ?wf= with the run id, once', async () => {
    const body = event('whd_ok');
    const res = await post(body, signed(body, 'whd_ok'));
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { status: 'signalled' });
    assert.deepEqual(signals, [
      { workflowId: 'wf-1', event: { runId: 'run_1', type: 'run.completed', deliveryId: 'whd_ok' } },
    ]);
  });

  test('replayed (same Flora-Webhook-Id, freshly signed): 200 so FLORA stops, but no second signal', async () => {
    const body = event('whd_replay');
    assert.equal((await post(body, signed(body, 'whd_replay'))).status, 200);
    const again = await post(body, signed(body, 'whd_replay'));
    assert.equal(again.status, 200);
    assert.deepEqual(again.json, { status: 'duplicate' });
    assert.equal(signals.length, 1);
  });

  test('forged (another secret, or a body changed after signing): 401, nothing signalled', async () => {
    const body = event('whd_forged');
    const other = await post(body, signed(body, 'whd_forged', { secret: 'whsec_attacker' }));
    assert.equal(other.status, 401);
    assert.deepEqual(other.json, { error: { code: 'invalid_signature', message: 'No signature matches.' } });
    const tampered = await post(body.replace('run_1', 'run_2'), signed(body, 'whd_forged'));
    assert.equal(tampered.status, 401);
    assert.equal(signals.length, 0);
    // A forgery does not burn the id: the genuine delivery still gets through.
    assert.equal((await post(body, signed(body, 'whd_forged'))).status, 200);
    assert.equal(signals.length, 1);
  });

  test('stale (signed 301 s ago) is 401 stale_timestamp; a rotated-out secret still in the list works', async () => {
    const body = event('whd_stale');
    const stale = await post(body, signed(body, 'whd_stale', { t: Math.floor(Date.now() / 1000) - 301 }));
    assert.equal(stale.status, 401);
    assert.equal((stale.json as { error: { code: string } }).error.code, 'stale_timestamp');
    const previous = await post(body, signed(body, 'whd_stale', { secret: 'whsec_previous' }));
    assert.equal(previous.status, 200);
    assert.equal(signals.length, 1);
  });

  test('malformed: no signature, unparsable signature, no webhook id, not JSON, not an event: 400', async () => {
    const body = event('whd_bad');
    const cases: [string, Record<string, string>, string][] = [
      [body, { 'flora-webhook-id': 'whd_bad' }, 'missing_signature'],
      [body, { 'flora-signature': 'nonsense', 'flora-webhook-id': 'whd_bad' }, 'malformed_signature'],
      [body, { 'flora-signature': signed(body, 'x')['flora-signature'] ?? '' }, 'missing_webhook_id'],
      ['not json', signed('not json', 'whd_bad'), 'invalid_payload'],
      ['{"type":"run.completed"}', signed('{"type":"run.completed"}', 'whd_bad'), 'invalid_payload'],
      [event('whd_other'), signed(event('whd_other'), 'whd_bad'), 'invalid_payload'],
    ];
    for (const [payload, headers, code] of cases) {
      const res = await post(payload, headers);
      assert.equal(res.status, 400, code);
      assert.equal((res.json as { error: { code: string } }).error.code, code);
    }
    assert.equal(signals.length, 0);
  });

  test('too large: 413 before reading it all; wrong method 405; wrong path 404', async () => {
    const big = JSON.stringify({ pad: 'x'.repeat(10_000) });
    assert.equal((await post(big, signed(big, 'whd_big'))).status, 413);
    assert.equal((await post('', {}, '?wf=wf-1', 'GET')).status, 405);
    const res = await fetch(`${receiver.url.replace('/flora/webhook', '/elsewhere')}`, {
      method: 'POST',
      body: '{}',
    });
    assert.equal(res.status, 404);
    assert.equal(signals.length, 0);
  });

  test('without ?wf= the workflow is found by FLORA run id; unknown run: 200 no_workflow', async () => {
    const known = event('whd_lookup', 'run_known');
    assert.deepEqual((await post(known, signed(known, 'whd_lookup'), '')).json, { status: 'signalled' });
    assert.equal(signals[0]?.workflowId, 'wf-found');
    const unknown = event('whd_unknown', 'run_unknown');
    assert.deepEqual((await post(unknown, signed(unknown, 'whd_unknown'), '')).json, {
      status: 'no_workflow',
    });
    const closed = event('whd_closed');
    assert.deepEqual((await post(closed, signed(closed, 'whd_closed'), '?wf=wf-closed')).json, {
      status: 'no_workflow',
    });
  });

  test('events other than a run end are acknowledged and ignored', async () => {
    const body = event('whd_progress', 'run_1', 'run.progress');
    assert.deepEqual((await post(body, signed(body, 'whd_progress'))).json, { status: 'ignored' });
    assert.equal(signals.length, 0);
  });

  test('Temporal unreachable: 503 so FLORA retries, and the retry is not taken for a replay', async () => {
    const body = event('whd_retry');
    failSignals = true;
    assert.equal((await post(body, signed(body, 'whd_retry'))).status, 503);
    failSignals = false;
    assert.deepEqual((await post(body, signed(body, 'whd_retry'))).json, { status: 'signalled' });
  });

  test('the secrets never appear in answers or logs', async () => {
    const body = event('whd_log');
    await post(body, signed(body, 'whd_log', { secret: 'whsec_attacker' }));
    await post(body, signed(body, 'whd_log'));
    const everything = logs.join('\n');
    assert.ok(logs.length > 0);
    assert.ok(!everything.includes(SECRET) && !everything.includes('whsec_previous'));
    assert.ok(!everything.includes('v1='), 'no signature in the logs either');
  });
});
