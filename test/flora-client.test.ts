/**
 * FloraClient over real sockets: the FLORA simulator for the contract, and small node:http stubs for
 * shapes the simulator cannot produce (broken bodies, foreign hosts, silence, echoed secrets).
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { FloraClient, type FloraRequestEvent } from '../src/flora/client';
import { ConfigError, floraConfigFromEnv } from '../src/flora/config';
import { DEFAULT_RETRY_AFTER_MS, FloraError, FloraProtocolError } from '../src/flora/errors';
import { FailureType } from '../src/domain/failures';
import { DEFAULT_CATALOG, DEFAULT_WORKSPACE_ID, startSimulator, type FloraSimulator } from '../src/simulator';
import {
  closedPort,
  sendJson,
  sendRaw,
  startHttpStub,
  type HttpStub,
  type StubHandler,
} from './helpers/http-stub';

const RUN_DURATION_MS = 150;
const PROMPT = [{ id: 'prompt', type: 'text', value: 'a red fox in the snow' }];
const PHOTO = [{ id: 'input_image', type: 'imageUrl', value: 'https://example.com/photo.png' }];

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Awaits a call expected to fail and returns its FloraError. */
async function floraError(call: Promise<unknown>): Promise<FloraError> {
  try {
    await call;
  } catch (err) {
    assert.ok(err instanceof FloraError, `expected a FloraError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the call to fail with a FloraError');
}

/** A run object as FLORA returns it, for stubs. */
function runBody(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { run_id: 'run_stub01', status: 'pending', progress: 0, created_at: 1_700_000_000, ...extra };
}

let sim: FloraSimulator;
let flora: FloraClient;
const stubs: HttpStub[] = [];
const clients: FloraClient[] = [];

/** A stub closed after the file's tests. */
async function stub(handler?: StubHandler): Promise<HttpStub> {
  const s = await startHttpStub(handler);
  stubs.push(s);
  return s;
}

/** A client closed after the file's tests. */
function client(options: Partial<ConstructorParameters<typeof FloraClient>[0]> & { baseUrl: string }) {
  const c = new FloraClient({ apiKey: sim.apiKey, timeoutMs: 2_000, ...options });
  clients.push(c);
  return c;
}

before(async () => {
  sim = await startSimulator({ runDurationMs: RUN_DURATION_MS });
  flora = client({ baseUrl: sim.baseUrl });
});

after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(stubs.map((s) => s.close()));
  await sim.close();
});

beforeEach(() => sim.reset());

describe('listTechniques', () => {
  test('pages through the catalog with cursors', async () => {
    const first = await flora.listTechniques({ limit: 20 });
    assert.equal(first.techniques.length, 20);
    assert.equal(first.meta?.limit, 20);
    const cursor = first.meta?.next_cursor;
    assert.ok(cursor, 'the first page should carry next_cursor');

    const second = await flora.listTechniques({ limit: 20, cursor });
    assert.equal(second.techniques.length, DEFAULT_CATALOG.length - 20);
    assert.equal(second.meta?.next_cursor ?? undefined, undefined, 'the last page has no next_cursor');

    const seen = [...first.techniques, ...second.techniques].map((t) => t.technique_id);
    assert.equal(new Set(seen).size, seen.length, 'pages must not overlap');
    assert.deepEqual(new Set(seen), new Set(DEFAULT_CATALOG.map((t) => t.technique_id)));
  });

  test('filters by query', async () => {
    const page = await flora.listTechniques({ query: 'video' });
    assert.ok(page.techniques.length > 0);
    assert.ok(page.techniques.length < DEFAULT_CATALOG.length);
    for (const t of page.techniques) {
      assert.match(`${t.name} ${t.slug ?? ''}`.toLowerCase(), /video/);
    }
    assert.ok(page.techniques.some((t) => t.slug === 'image-to-video'));
  });

  test('accepts list items with only technique_id, slug and name, and sends every query parameter', async () => {
    const s = await stub((_req, res) =>
      sendJson(res, 200, { techniques: [{ technique_id: 'tech_min01', slug: 'minimal', name: 'Minimal' }] }),
    );
    const page = await client({ baseUrl: s.baseUrl }).listTechniques({
      limit: 5,
      cursor: 'abc',
      query: 'fox cub',
      workspaceId: 'ws_1',
    });
    assert.deepEqual(page.techniques, [{ technique_id: 'tech_min01', slug: 'minimal', name: 'Minimal' }]);
    const url = new URL(s.requests[0]?.url ?? '', s.origin);
    assert.equal(url.pathname, '/api/v1/techniques');
    assert.equal(url.searchParams.get('limit'), '5');
    assert.equal(url.searchParams.get('cursor'), 'abc');
    assert.equal(url.searchParams.get('query'), 'fox cub');
    assert.equal(url.searchParams.get('workspace_id'), 'ws_1');
  });
});

describe('getTechnique', () => {
  test('parses the schema, by slug and by tech_ id', async () => {
    const bySlug = await flora.getTechnique('text-to-image');
    assert.equal(bySlug.technique_id, 'tech_txt2img01');
    assert.equal(bySlug.name, 'Text to Image');
    assert.equal(bySlug.run_cost, 0.04);
    assert.deepEqual(
      bySlug.inputs.map((s) => [s.id, s.type, s.optional ?? false]),
      [
        ['prompt', 'text', false],
        ['negative_prompt', 'text', true],
      ],
    );
    assert.deepEqual(
      bySlug.outputs.map((s) => [s.id, s.type]),
      [['image', 'imageUrl']],
    );
    const byId = await flora.getTechnique('tech_txt2img01');
    assert.deepEqual(byId, bySlug);
  });

  test('an unknown slug is a 404 not_found with request id and route', async () => {
    const err = await floraError(flora.getTechnique('no-such-technique'));
    assert.equal(err.status, 404);
    assert.equal(err.code, FailureType.NotFound);
    assert.match(err.requestId ?? '', /^req_/);
    assert.equal(err.route, 'GET /techniques/{id}');
    assert.equal(err.retryable, false);
    assert.match(err.describe(), /HTTP 404/);
    assert.match(err.describe(), /request-id req_/);
  });
});

describe('createRunNested', () => {
  test('sends mode async and the idempotency key as header and body field', async () => {
    const s = await stub((_req, res) => sendJson(res, 200, runBody()));
    const res = await client({ baseUrl: s.baseUrl }).createRunNested({
      slug: 'text-to-image',
      inputs: PROMPT,
      idempotencyKey: 'key-header-and-body',
    });
    assert.equal(res.data.run_id, 'run_stub01');
    assert.equal(res.replayed, false);
    assert.equal(res.requestId, 'req_stub0001');

    assert.equal(s.requests.length, 1);
    const req = s.requests[0];
    assert.ok(req);
    assert.equal(req.method, 'POST');
    assert.equal(req.url, '/api/v1/techniques/text-to-image/runs');
    assert.equal(req.headers['idempotency-key'], 'key-header-and-body');
    assert.equal(req.headers.authorization, `Bearer ${sim.apiKey}`);
    assert.match(req.headers['content-type'] ?? '', /^application\/json/);
    assert.deepEqual(JSON.parse(req.body), {
      inputs: PROMPT,
      mode: 'async',
      idempotency_key: 'key-header-and-body',
    });
  });

  test('without a key sends neither header nor body field', async () => {
    const s = await stub((_req, res) => sendJson(res, 200, runBody()));
    await client({ baseUrl: s.baseUrl }).createRunNested({ slug: 'text-to-image', inputs: PROMPT });
    const req = s.requests[0];
    assert.ok(req);
    assert.equal(req.headers['idempotency-key'], undefined);
    assert.deepEqual(JSON.parse(req.body), { inputs: PROMPT, mode: 'async' });
  });

  test('a replay returns replayed: true and the same run, and creates one run only', async () => {
    const key = 'key-replay';
    const first = await flora.createRunNested({ slug: 'text-to-image', inputs: PROMPT, idempotencyKey: key });
    assert.match(first.data.run_id, /^run_/);
    assert.equal(first.replayed, false);
    assert.match(first.requestId ?? '', /^req_/);
    assert.equal(sim.stats().createsByIdempotencyKey[key], 1);

    const again = await flora.createRunNested({ slug: 'text-to-image', inputs: PROMPT, idempotencyKey: key });
    assert.equal(again.replayed, true);
    assert.equal(again.data.run_id, first.data.run_id);
    assert.equal(sim.stats().createsByIdempotencyKey[key], 1);
    assert.equal(sim.stats().runsCreated, 1);
    // The simulator accepts the key only when header and body agree, so this also proves both were sent.
    assert.equal(sim.getRun(first.data.run_id)?.idempotency_key, key);
  });

  test('409 mode: a reused key is a FloraError idempotency_duplicate', async () => {
    sim.setIdempotencyMode('conflict');
    const key = 'key-409';
    await flora.createRunNested({ slug: 'text-to-image', inputs: PROMPT, idempotencyKey: key });
    const err = await floraError(
      flora.createRunNested({ slug: 'text-to-image', inputs: PROMPT, idempotencyKey: key }),
    );
    assert.equal(err.status, 409);
    assert.equal(err.code, FailureType.IdempotencyDuplicate);
    assert.equal(err.route, 'POST /techniques/{slug}/runs');
    assert.equal(err.retryable, false);
    assert.equal(sim.stats().createsByIdempotencyKey[key], 1);
  });

  test('the same key with a different body is 422 idempotency_conflict', async () => {
    const key = 'key-422';
    await flora.createRunNested({ slug: 'text-to-image', inputs: PROMPT, idempotencyKey: key });
    const err = await floraError(
      flora.createRunNested({
        slug: 'text-to-image',
        inputs: [{ id: 'prompt', type: 'text', value: 'a different prompt' }],
        idempotencyKey: key,
      }),
    );
    assert.equal(err.status, 422);
    assert.equal(err.code, FailureType.IdempotencyConflict);
    assert.equal(err.retryable, false);
    assert.equal(sim.stats().runsCreated, 1);
  });
});

describe('createRunTopLevel', () => {
  test('creates a run from technique_id, workspace_id and an input map', async () => {
    const res = await flora.createRunTopLevel({
      techniqueId: 'tech_txt2img01',
      workspaceId: DEFAULT_WORKSPACE_ID,
      inputs: { prompt: 'a red fox in the snow' },
      idempotencyKey: 'key-top-level',
    });
    assert.match(res.data.run_id, /^run_/);
    assert.equal(res.data.type, 'technique');
    assert.equal(res.data.charged_cost, 0.04);
    assert.equal(res.data.estimated_seconds, RUN_DURATION_MS / 1000);
    assert.equal(res.data.technique?.technique_id, 'tech_txt2img01');
    assert.match(res.data.poll_url ?? '', /\/techniques\/tech_txt2img01\/runs\/run_/);
    assert.equal(res.replayed, false);
    assert.equal(sim.stats().createsByIdempotencyKey['key-top-level'], 1);
  });

  test('ids without their prefixes come back as 400 input_validation_error naming each field', async () => {
    const err = await floraError(
      flora.createRunTopLevel({
        techniqueId: 'txt2img01',
        workspaceId: 'simulator',
        inputs: { prompt: 'x' },
      }),
    );
    assert.equal(err.status, 400);
    assert.equal(err.code, FailureType.InputValidationError);
    assert.equal(err.route, 'POST /runs/technique');
    const fields = err.fields.map((f) => f.field).sort();
    assert.deepEqual(fields, ['technique_id', 'workspace_id']);
    for (const f of err.fields) assert.ok(f.message.length > 0);
    assert.match(err.describe(), /technique_id/);
    assert.match(err.describe(), /workspace_id/);
    assert.equal(sim.stats().runsCreated, 0);
  });
});

describe('getRun', () => {
  test('polls a nested run by slug until it completes', async () => {
    const created = await flora.createRunNested({ slug: 'text-to-image', inputs: PROMPT });
    const runId = created.data.run_id;
    const early = await flora.getRun({ technique: 'text-to-image', runId });
    assert.equal(early.run_id, runId);
    assert.ok(['pending', 'running'].includes(early.status), early.status);

    await sleep(RUN_DURATION_MS + 50);
    const done = await flora.getRun({ technique: 'text-to-image', runId });
    assert.equal(done.status, 'completed');
    assert.equal(done.progress, 100);
    assert.equal(done.charged_cost, 0.04);
    assert.equal(done.outputs?.length, 1);
    assert.equal(done.outputs?.[0]?.output_id, 'image');
    assert.match(done.outputs?.[0]?.url ?? '', /^https:\/\//);
  });

  test('polls a top-level run by its tech_ id', async () => {
    const created = await flora.createRunTopLevel({
      techniqueId: 'tech_cctvcam01',
      workspaceId: DEFAULT_WORKSPACE_ID,
      inputs: { input_image: 'https://example.com/photo.png' },
    });
    const run = await flora.getRun({ technique: 'tech_cctvcam01', runId: created.data.run_id });
    assert.equal(run.run_id, created.data.run_id);
  });

  test('uses poll_url when it points at the configured FLORA', async () => {
    const created = await flora.createRunNested({ slug: 'cctv-cam', inputs: PHOTO });
    const pollUrl = created.data.poll_url;
    assert.ok(pollUrl?.startsWith(sim.baseUrl), `poll_url ${pollUrl} should be on the simulator`);
    // A wrong technique would be a 404, so success proves the request followed poll_url.
    const run = await flora.getRun({ technique: 'no-such-technique', runId: created.data.run_id, pollUrl });
    assert.equal(run.run_id, created.data.run_id);
  });

  test('ignores a poll_url on another origin: the key never leaves the configured base URL', async () => {
    const elsewhere = await stub((_req, res) => sendJson(res, 200, runBody()));
    const created = await flora.createRunNested({ slug: 'cctv-cam', inputs: PHOTO });
    const runId = created.data.run_id;
    const pollsBefore = sim.stats().requests.getRun;
    const run = await flora.getRun({
      technique: 'cctv-cam',
      runId,
      pollUrl: `${elsewhere.baseUrl}/techniques/cctv-cam/runs/${runId}`,
    });
    assert.equal(run.run_id, runId);
    assert.equal(elsewhere.requests.length, 0, 'the foreign host must receive nothing');
    assert.equal(sim.stats().requests.getRun, pollsBefore + 1);
  });

  test('an unknown run is 404 not_found on the poll route', async () => {
    const err = await floraError(flora.getRun({ technique: 'text-to-image', runId: 'run_missing' }));
    assert.equal(err.status, 404);
    assert.equal(err.code, FailureType.NotFound);
    assert.equal(err.route, 'GET /techniques/{id}/runs/{run_id}');
  });
});

describe('listRuns', () => {
  test('filters by technique_id, newest first', async () => {
    const a = await flora.createRunNested({ slug: 'text-to-image', inputs: PROMPT });
    await flora.createRunNested({ slug: 'cctv-cam', inputs: PHOTO });
    const b = await flora.createRunNested({
      slug: 'text-to-image',
      inputs: [{ id: 'prompt', type: 'text', value: 'another fox' }],
    });
    const page = await flora.listRuns({ techniqueId: 'tech_txt2img01' });
    assert.deepEqual(
      page.technique_runs.map((r) => r.run_id),
      [b.data.run_id, a.data.run_id],
    );
    for (const r of page.technique_runs) assert.equal(r.technique?.technique_id, 'tech_txt2img01');
    const all = await flora.listRuns();
    assert.equal(all.technique_runs.length, 3);
  });
});

describe('errors', () => {
  test('a wrong key is 401 invalid_api_key, and the key is in neither message nor describe()', async () => {
    const wrongKey = 'sk_test_wrong_key_4f9a2c';
    const err = await floraError(
      client({ baseUrl: sim.baseUrl, apiKey: wrongKey }).getTechnique('text-to-image'),
    );
    assert.equal(err.status, 401);
    assert.equal(err.code, FailureType.InvalidApiKey);
    assert.equal(err.retryable, false);
    assert.ok(!err.message.includes(wrongKey));
    assert.ok(!err.describe().includes(wrongKey));
    assert.ok(!JSON.stringify(err).includes(wrongKey));
  });

  test('an error body echoing the key is redacted', async () => {
    const secret = 'sk_live_echoed_9d8c7b6a';
    const s = await stub((_req, res) =>
      sendJson(res, 400, {
        error: {
          code: 'input_validation_error',
          message: `Key ${secret} may not create runs`,
          fields: [{ field: 'inputs.prompt', message: `rejected for ${secret}` }],
        },
      }),
    );
    const err = await floraError(
      client({ baseUrl: s.baseUrl, apiKey: secret }).createRunNested({ slug: 'x', inputs: PROMPT }),
    );
    assert.equal(err.status, 400);
    assert.equal(err.code, 'input_validation_error');
    assert.match(err.message, /\[redacted\]/);
    assert.equal(err.fields[0]?.message, 'rejected for [redacted]');
    for (const text of [err.message, err.describe(), JSON.stringify(err), JSON.stringify(err.fields)]) {
      assert.ok(!text.includes(secret), `the key leaked into: ${text}`);
    }
  });

  test('429 with retry-after seconds sets retryAfterMs', async () => {
    sim.addFault('getTechnique', { kind: 'rateLimit', retryAfterSeconds: 3 });
    const err = await floraError(flora.getTechnique('text-to-image'));
    assert.equal(err.status, 429);
    assert.equal(err.code, FailureType.RateLimited);
    assert.equal(err.retryAfterMs, 3_000);
    assert.equal(err.retryable, true);
    assert.match(err.requestId ?? '', /^req_/);
  });

  test('429 with an HTTP-date retry-after waits until that date', async () => {
    const at = new Date(Date.now() + 30_000);
    const s = await stub((_req, res) =>
      sendJson(
        res,
        429,
        { error: { code: 'rate_limited', message: 'slow down' } },
        { 'retry-after': at.toUTCString() },
      ),
    );
    const err = await floraError(client({ baseUrl: s.baseUrl }).getTechnique('text-to-image'));
    assert.equal(err.status, 429);
    assert.equal(err.code, FailureType.RateLimited);
    const wait = err.retryAfterMs ?? -1;
    // HTTP dates have whole seconds: up to 1 s is lost to truncation, a little more to the round trip.
    assert.ok(wait > 27_000 && wait <= 30_000, `retryAfterMs ${wait}`);
  });

  test('429 without retry-after defaults to 5 s', async () => {
    sim.addFault('getTechnique', { kind: 'rateLimit', retryAfterSeconds: null });
    const err = await floraError(flora.getTechnique('text-to-image'));
    assert.equal(err.status, 429);
    assert.equal(err.retryAfterMs, DEFAULT_RETRY_AFTER_MS);
    assert.equal(DEFAULT_RETRY_AFTER_MS, 5_000);
  });

  test('429 without the JSON envelope is still rate_limited', async () => {
    const s = await stub((_req, res) =>
      sendRaw(res, 429, 'Too Many Requests', { 'content-type': 'text/plain' }),
    );
    const err = await floraError(client({ baseUrl: s.baseUrl }).getTechnique('text-to-image'));
    assert.equal(err.code, FailureType.RateLimited);
    assert.equal(err.retryAfterMs, 5_000);
  });

  test('503 with the envelope is service_unavailable and retryable', async () => {
    sim.addFault('getTechnique', { kind: 'status5xx', status: 503 });
    const err = await floraError(flora.getTechnique('text-to-image'));
    assert.equal(err.status, 503);
    assert.equal(err.code, FailureType.ServiceUnavailable);
    assert.equal(err.retryable, true);
  });

  test('503 without the JSON envelope keeps status and is retryable', async () => {
    const s = await stub((_req, res) =>
      sendRaw(res, 503, '<html><body>Service Unavailable</body></html>', { 'content-type': 'text/html' }),
    );
    const err = await floraError(client({ baseUrl: s.baseUrl }).getTechnique('text-to-image'));
    assert.equal(err.status, 503);
    assert.equal(err.code, FailureType.UnknownError);
    assert.equal(err.retryable, true);
    assert.equal(err.requestId, 'req_stub0001');
    assert.match(err.message, /HTTP 503/);
  });

  test('connection refused is a retryable flora_network_error', async () => {
    const port = await closedPort();
    const err = await floraError(
      client({ baseUrl: `http://127.0.0.1:${port}/api/v1` }).getTechnique('text-to-image'),
    );
    assert.equal(err.code, FailureType.NetworkError);
    assert.equal(err.status, undefined);
    assert.equal(err.retryable, true);
    assert.equal(err.route, 'GET /techniques/{id}');
    assert.match(err.message, /ECONNREFUSED/);
  });

  test('a server that never answers is a retryable flora_timeout within timeoutMs', async () => {
    const silent = await stub(() => {
      // Never answers.
    });
    const started = performance.now();
    const err = await floraError(
      client({ baseUrl: silent.baseUrl, timeoutMs: 300 }).getTechnique('text-to-image'),
    );
    const elapsed = performance.now() - started;
    assert.equal(err.code, FailureType.Timeout);
    assert.equal(err.retryable, true);
    assert.match(err.message, /300 ms/);
    assert.equal(silent.requests.length, 1, 'the request reached the server; only the answer is missing');
    assert.ok(elapsed >= 250 && elapsed < 1_500, `gave up after ${Math.round(elapsed)} ms`);
  });

  test('a body that stops half-way times out too (the timeout covers the body)', async () => {
    const stalled = await stub((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"run_id":"run_');
    });
    const started = performance.now();
    const err = await floraError(
      client({ baseUrl: stalled.baseUrl, timeoutMs: 300 }).getRun({ technique: 't', runId: 'run_1' }),
    );
    const elapsed = performance.now() - started;
    assert.equal(err.code, FailureType.Timeout);
    assert.equal(err.status, 200);
    assert.ok(elapsed < 1_500, `gave up after ${Math.round(elapsed)} ms`);
  });

  test('malformed JSON on a 200 is a FloraProtocolError', async () => {
    sim.addFault('getTechnique', { kind: 'malformedJson' });
    const err = await floraError(flora.getTechnique('text-to-image'));
    assert.ok(err instanceof FloraProtocolError);
    assert.equal(err.code, FailureType.ProtocolError);
    assert.equal(err.status, 200);
    assert.match(err.requestId ?? '', /^req_/);
    assert.equal(err.retryable, true);
  });

  test('a 200 missing run_id is a FloraProtocolError naming run_id', async () => {
    const s = await stub((_req, res) => sendJson(res, 200, { status: 'pending', progress: 0 }));
    const err = await floraError(
      client({ baseUrl: s.baseUrl }).createRunNested({ slug: 'text-to-image', inputs: PROMPT }),
    );
    assert.ok(err instanceof FloraProtocolError);
    assert.equal(err.code, FailureType.ProtocolError);
    assert.match(err.message, /run_id/);
    assert.deepEqual(
      err.fields.map((f) => f.field),
      ['run_id'],
    );
  });

  test('unknown extra fields (and an unknown status) are tolerated', async () => {
    const s = await stub((_req, res) =>
      sendJson(
        res,
        200,
        runBody({
          status: 'queued',
          brand_new_field: { nested: [1, 2, 3] },
          outputs: [{ output_id: 'image', type: 'imageUrl', url: 'https://x.test/a.png', width: 1024 }],
        }),
      ),
    );
    const run = await client({ baseUrl: s.baseUrl }).getRun({
      technique: 'text-to-image',
      runId: 'run_stub01',
    });
    assert.equal(run.run_id, 'run_stub01');
    assert.equal(run.status, 'queued');
    assert.deepEqual(run.outputs, [{ output_id: 'image', type: 'imageUrl', url: 'https://x.test/a.png' }]);
  });
});

describe('onRequest hook', () => {
  test('reports route, status, request id and duration for success and failure, never the key', async () => {
    const events: FloraRequestEvent[] = [];
    const observed = client({ baseUrl: sim.baseUrl, onRequest: (e) => events.push(e) });
    await observed.getTechnique('text-to-image');
    await floraError(observed.getTechnique('no-such-technique'));

    assert.equal(events.length, 2);
    const [ok, failed] = events;
    assert.ok(ok && failed);
    assert.equal(ok.method, 'GET');
    assert.equal(ok.route, 'GET /techniques/{id}');
    assert.equal(ok.status, 200);
    assert.match(ok.requestId ?? '', /^req_/);
    assert.equal(typeof ok.durationMs, 'number');
    assert.ok(ok.durationMs >= 0);
    assert.equal(ok.errorCode, undefined);

    assert.equal(failed.route, 'GET /techniques/{id}');
    assert.equal(failed.status, 404);
    assert.match(failed.requestId ?? '', /^req_/);
    assert.ok(failed.durationMs >= 0);
    assert.equal(failed.errorCode, FailureType.NotFound);
    assert.notEqual(failed.requestId, ok.requestId);

    assert.ok(!JSON.stringify(events).includes(sim.apiKey));
  });

  test('reports transport failures, and a throwing hook never breaks the call', async () => {
    const events: FloraRequestEvent[] = [];
    const port = await closedPort();
    const offline = client({
      baseUrl: `http://127.0.0.1:${port}/api/v1`,
      onRequest: (e) => events.push(e),
    });
    await floraError(offline.listTechniques());
    assert.equal(events.length, 1);
    assert.equal(events[0]?.route, 'GET /techniques');
    assert.equal(events[0]?.status, undefined);
    assert.equal(events[0]?.errorCode, FailureType.NetworkError);

    const throwing = client({
      baseUrl: sim.baseUrl,
      onRequest: () => {
        throw new Error('logging is broken');
      },
    });
    const technique = await throwing.getTechnique('text-to-image');
    assert.equal(technique.technique_id, 'tech_txt2img01');
  });
  test('an async hook that rejects causes no unhandled rejection', async () => {
    // TypeScript lets an async function stand in for `(event) => void`; the cast only says so explicitly.
    const asyncHook = (async () => {
      await Promise.resolve();
      throw new Error('log sink is down');
    }) as (event: FloraRequestEvent) => void;
    const rejections: unknown[] = [];
    const listener = (reason: unknown): void => {
      rejections.push(reason);
    };
    process.on('unhandledRejection', listener);
    try {
      const technique = await client({ baseUrl: sim.baseUrl, onRequest: asyncHook }).getTechnique(
        'text-to-image',
      );
      assert.equal(technique.technique_id, 'tech_txt2img01');
      await sleep(20);
    } finally {
      process.off('unhandledRejection', listener);
    }
    assert.deepEqual(rejections, []);
  });
});

describe('floraConfigFromEnv', () => {
  const KEY = 'sk_test_config_1234';

  test('applies defaults', () => {
    const config = floraConfigFromEnv({ FLORA_API_KEY: KEY });
    assert.deepEqual(config, {
      baseUrl: 'https://app.flora.ai/api/v1',
      apiKey: KEY,
      timeoutMs: 15_000,
      warnings: [],
    });
  });

  test('reads every variable and treats empty ones as unset', () => {
    const config = floraConfigFromEnv({
      FLORA_API_KEY: KEY,
      FLORA_BASE_URL: 'https://flora.example.com/api/v1/',
      FLORA_HTTP_TIMEOUT_MS: '2500',
    });
    assert.equal(config.baseUrl, 'https://flora.example.com/api/v1');
    assert.equal(config.timeoutMs, 2_500);
    assert.equal(floraConfigFromEnv({ FLORA_API_KEY: KEY, FLORA_HTTP_TIMEOUT_MS: '' }).timeoutMs, 15_000);
  });

  test('warns about http:// to a host that is not loopback', () => {
    const config = floraConfigFromEnv({
      FLORA_API_KEY: KEY,
      FLORA_BASE_URL: 'http://flora.example.com/api/v1',
    });
    assert.equal(config.warnings.length, 1);
    assert.match(config.warnings[0] ?? '', /flora\.example\.com/);
    assert.ok(!(config.warnings[0] ?? '').includes(KEY));
  });

  test('does not warn about http:// to loopback', () => {
    for (const url of [
      'http://127.0.0.1:7777/api/v1',
      'http://localhost:7777/api/v1',
      'http://[::1]:7777/api/v1',
    ]) {
      assert.deepEqual(floraConfigFromEnv({ FLORA_API_KEY: KEY, FLORA_BASE_URL: url }).warnings, [], url);
    }
  });

  test('warns about http:// to a DNS name that merely starts with "127."', () => {
    const config = floraConfigFromEnv({
      FLORA_API_KEY: KEY,
      FLORA_BASE_URL: 'http://127.example.com/api/v1',
    });
    assert.equal(config.warnings.length, 1);
  });

  test('a missing or empty FLORA_API_KEY is a ConfigError naming it', () => {
    for (const env of [{}, { FLORA_API_KEY: '' }, { FLORA_API_KEY: '   ' }]) {
      assert.throws(
        () => floraConfigFromEnv(env),
        (err: unknown) => err instanceof ConfigError && /FLORA_API_KEY/.test(err.message),
        JSON.stringify(env),
      );
    }
  });

  test('FLORA_HTTP_TIMEOUT_MS above 25000 is rejected, naming the variable', () => {
    assert.equal(
      floraConfigFromEnv({ FLORA_API_KEY: KEY, FLORA_HTTP_TIMEOUT_MS: '25000' }).timeoutMs,
      25_000,
    );
    assert.throws(
      () => floraConfigFromEnv({ FLORA_API_KEY: KEY, FLORA_HTTP_TIMEOUT_MS: '25001' }),
      (err: unknown) =>
        err instanceof ConfigError && /FLORA_HTTP_TIMEOUT_MS/.test(err.message) && !err.message.includes(KEY),
    );
    assert.throws(
      () => floraConfigFromEnv({ FLORA_API_KEY: KEY, FLORA_HTTP_TIMEOUT_MS: 'soon' }),
      (err: unknown) => err instanceof ConfigError && /FLORA_HTTP_TIMEOUT_MS/.test(err.message),
    );
  });

  test('an invalid FLORA_BASE_URL is named', () => {
    for (const url of ['not a url', 'ftp://flora.example.com/api/v1', 'https://user:pw@flora.example.com/']) {
      assert.throws(
        () => floraConfigFromEnv({ FLORA_API_KEY: KEY, FLORA_BASE_URL: url }),
        (err: unknown) => err instanceof ConfigError && /FLORA_BASE_URL/.test(err.message),
        url,
      );
    }
  });

  test('every problem is reported at once', () => {
    assert.throws(
      () => floraConfigFromEnv({ FLORA_BASE_URL: 'nope', FLORA_HTTP_TIMEOUT_MS: '99999' }),
      (err: unknown) =>
        err instanceof ConfigError &&
        /FLORA_API_KEY/.test(err.message) &&
        /FLORA_BASE_URL/.test(err.message) &&
        /FLORA_HTTP_TIMEOUT_MS/.test(err.message),
    );
  });
});
