import assert from 'node:assert/strict';
import { Agent, request as httpRequest } from 'node:http';
import { after, before, beforeEach, describe, test } from 'node:test';
import {
  DEFAULT_CATALOG,
  startSimulator,
  type FloraSimulator,
  type RunHistoryItem,
  type RunObject,
  type SimStats,
} from '../src/simulator';

const OTHER_KEY = 'sk_test_other';

interface ErrorBody {
  error: { code: string; message: string; fields?: Array<{ field: string; message: string }> };
}
interface TechniqueListBody {
  techniques: Array<Record<string, unknown> & { technique_id: string; slug: string; name: string }>;
  meta: { limit: number; next_cursor?: string };
}
interface RunListBody {
  technique_runs: RunHistoryItem[];
  meta: { limit: number; next_cursor?: string };
}
interface TopLevelBody {
  run_id: string;
  type: string;
  charged_cost: number;
  estimated_seconds: number;
  poll_url: string;
  project_id: string;
  technique: { technique_id: string; name: string };
}

interface Reply<T> {
  status: number;
  headers: Headers;
  body: T;
}

interface CallInit {
  method?: string;
  body?: unknown;
  rawBody?: string;
  /** null sends no Authorization header. */
  key?: string | null;
  headers?: Record<string, string>;
}

async function call<T = unknown>(sim: FloraSimulator, path: string, init: CallInit = {}): Promise<Reply<T>> {
  const url = path.startsWith('http')
    ? path
    : path.startsWith('/_sim')
      ? new URL(path, sim.baseUrl).href
      : sim.baseUrl + path;
  const key = init.key === undefined ? sim.apiKey : init.key;
  const headers: Record<string, string> = { ...init.headers };
  if (key !== null) headers.authorization = `Bearer ${key}`;
  let payload: string | undefined = init.rawBody;
  if (init.body !== undefined) payload = JSON.stringify(init.body);
  if (payload !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url, {
    method: init.method ?? (payload === undefined ? 'GET' : 'POST'),
    headers,
    body: payload,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: JSON.parse(text) as T };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function cctvBody(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    inputs: [{ id: 'input_image', type: 'imageUrl', value: 'https://example.com/photo.png' }],
    mode: 'async',
    ...extra,
  };
}

function fieldsOf(reply: Reply<ErrorBody>): string[] {
  return (reply.body.error.fields ?? []).map((f) => f.field).sort();
}

async function waitForTerminal(sim: FloraSimulator, pollUrl: string, key?: string): Promise<RunObject[]> {
  const seen: RunObject[] = [];
  for (let i = 0; i < 200; i += 1) {
    const reply = await call<RunObject>(sim, pollUrl, key === undefined ? {} : { key });
    assert.equal(reply.status, 200);
    seen.push(reply.body);
    if (reply.body.status === 'completed' || reply.body.status === 'failed') return seen;
    await sleep(15);
  }
  throw new Error(`run at ${pollUrl} never finished`);
}

describe('FLORA simulator', () => {
  let sim: FloraSimulator;

  before(async () => {
    sim = await startSimulator({
      runDurationMs: 200,
      apiKeys: ['sk_test_simulator', OTHER_KEY],
      control: true,
    });
  });
  after(async () => {
    await sim.close();
  });
  beforeEach(() => {
    sim.reset();
  });

  describe('auth and transport', () => {
    test('missing, malformed and unknown API keys get 401 with distinct codes', async () => {
      const missing = await call<ErrorBody>(sim, '/techniques', { key: null });
      assert.equal(missing.status, 401);
      assert.equal(missing.body.error.code, 'unauthorized');
      const malformed = await call<ErrorBody>(sim, '/techniques', {
        key: null,
        headers: { authorization: 'Token x' },
      });
      assert.equal(malformed.body.error.code, 'unauthorized');
      const wrong = await call<ErrorBody>(sim, '/techniques', { key: 'sk_live_nope' });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.body.error.code, 'invalid_api_key');
    });

    test('every response carries a unique request-id', async () => {
      const a = await call(sim, '/techniques');
      const b = await call(sim, '/techniques/nope');
      const idA = a.headers.get('request-id');
      const idB = b.headers.get('request-id');
      assert.match(idA ?? '', /^req_\w+$/);
      assert.match(idB ?? '', /^req_\w+$/);
      assert.notEqual(idA, idB);
    });

    test('unknown paths, wrong methods and bad JSON', async () => {
      const unknown = await call<ErrorBody>(sim, '/nope');
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.error.code, 'not_found');
      const trailing = await call<ErrorBody>(sim, '/techniques/');
      assert.equal(trailing.status, 404);
      const wrongMethod = await call<ErrorBody>(sim, '/techniques', { method: 'DELETE' });
      assert.equal(wrongMethod.status, 405);
      assert.equal(wrongMethod.headers.get('allow'), 'GET');
      const badJson = await call<ErrorBody>(sim, '/techniques/cctv-cam/runs', { rawBody: '{"inputs": [' });
      assert.equal(badJson.status, 400);
      assert.equal(badJson.body.error.code, 'invalid_json');
      const empty = await call<ErrorBody>(sim, '/techniques/cctv-cam/runs', { method: 'POST' });
      assert.equal(empty.body.error.code, 'invalid_json');
      assert.equal(sim.stats().responses['unmatched 404'], 2);
    });
  });

  describe('techniques', () => {
    test('pages through the whole catalog with cursors, minimal list items', async () => {
      const slugs: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const query = cursor === undefined ? '' : `?cursor=${encodeURIComponent(cursor)}`;
        const page = await call<TechniqueListBody>(sim, `/techniques${query}`);
        assert.equal(page.status, 200);
        assert.equal(page.body.meta.limit, 20);
        assert.ok(page.body.techniques.length <= 20);
        for (const t of page.body.techniques) {
          assert.equal('inputs' in t, false);
          assert.match(t.technique_id, /^tech_/);
          assert.equal(typeof t.run_cost, 'number');
          slugs.push(t.slug);
        }
        cursor = page.body.meta.next_cursor;
        pages += 1;
      } while (cursor !== undefined);
      assert.ok(pages > 1);
      assert.deepEqual(
        slugs,
        DEFAULT_CATALOG.map((t) => t.slug),
      );
    });

    test('limit bounds, bad cursors and foreign workspaces are rejected', async () => {
      for (const limit of ['0', '101', 'abc', '2.5']) {
        const reply = await call<ErrorBody>(sim, `/techniques?limit=${limit}`);
        assert.equal(reply.status, 400, limit);
        assert.equal(reply.body.error.code, 'input_validation_error');
        assert.deepEqual(fieldsOf(reply), ['limit']);
      }
      const both = await call<ErrorBody>(sim, '/techniques?limit=0&cursor=garbage');
      assert.deepEqual(fieldsOf(both), ['cursor', 'limit']);
      const badWs = await call<ErrorBody>(sim, '/techniques?workspace_id=simulator');
      assert.deepEqual(fieldsOf(badWs), ['workspace_id']);
      const otherWs = await call<ErrorBody>(sim, '/techniques?workspace_id=ws_other');
      assert.equal(otherWs.status, 403);
      assert.equal(otherWs.body.error.code, 'forbidden');
      const ownWs = await call<TechniqueListBody>(sim, '/techniques?workspace_id=ws_simulator&limit=100');
      assert.equal(ownWs.body.techniques.length, DEFAULT_CATALOG.length);
    });

    test('query filters by name or slug, case-insensitively', async () => {
      const reply = await call<TechniqueListBody>(sim, '/techniques?query=CCTV&limit=5');
      assert.deepEqual(
        reply.body.techniques.map((t) => t.slug),
        ['cctv-cam'],
      );
      assert.equal(reply.body.meta.next_cursor, undefined);
      const video = await call<TechniqueListBody>(sim, '/techniques?query=video&limit=100');
      assert.ok(video.body.techniques.some((t) => t.slug === 'image-to-video'));
    });

    test('schema by slug or technique id; unknown is 404', async () => {
      const bySlug = await call<Record<string, unknown>>(sim, '/techniques/text-to-image');
      assert.equal(bySlug.status, 200);
      assert.deepEqual(bySlug.body, {
        technique_id: 'tech_txt2img01',
        slug: 'text-to-image',
        name: 'Text to Image',
        description: 'Generate a still image from a text prompt.',
        run_cost: 0.04,
        inputs: [
          { id: 'prompt', name: 'Prompt', type: 'text', description: 'What the image should show.' },
          {
            id: 'negative_prompt',
            name: 'Negative Prompt',
            type: 'text',
            description: 'What the image should avoid.',
            optional: true,
          },
        ],
        outputs: [{ id: 'image', name: 'Image', type: 'imageUrl' }],
      });
      const byId = await call(sim, '/techniques/tech_txt2img01');
      assert.deepEqual(byId.body, bySlug.body);
      const unknown = await call<ErrorBody>(sim, '/techniques/no-such-thing');
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.error.code, 'not_found');
    });
  });

  describe('input validation', () => {
    test('nested route reports every problem with its input id', async () => {
      const reply = await call<ErrorBody>(sim, '/techniques/stitch-clips/runs', {
        body: {
          mode: 'async',
          inputs: [
            { id: 'clip_1', type: 'videoUrl', value: 'http://example.com/a.mp4' },
            { id: 'clip_3', type: 'imageUrl', value: 'https://example.com/c.mp4' },
            { id: 'clip_9', type: 'videoUrl', value: 'https://example.com/z.mp4' },
            { id: 'clip_1', type: 'videoUrl', value: 'https://example.com/a.mp4' },
          ],
        },
      });
      assert.equal(reply.status, 400);
      assert.equal(reply.body.error.code, 'input_validation_error');
      // clip_1: http URL and duplicate; clip_2: missing; clip_3: wrong type; clip_9: unknown.
      assert.deepEqual(fieldsOf(reply), [
        'inputs.clip_1',
        'inputs.clip_1',
        'inputs.clip_2',
        'inputs.clip_3',
        'inputs.clip_9',
      ]);
      assert.match(reply.body.error.message, /https/);
      assert.equal(sim.stats().runsCreated, 0);
    });

    test('text must be non-empty, values must be strings, URLs must parse', async () => {
      const reply = await call<ErrorBody>(sim, '/techniques/restyle-image/runs', {
        body: {
          mode: 'async',
          inputs: [
            { id: 'image', type: 'imageUrl', value: 'not a url' },
            { id: 'style', type: 'text', value: '   ' },
          ],
        },
      });
      assert.deepEqual(fieldsOf(reply), ['inputs.image', 'inputs.style']);
      const nonString = await call<ErrorBody>(sim, '/techniques/text-to-speech/runs', {
        body: { mode: 'async', inputs: [{ id: 'text', type: 'text', value: 42 }] },
      });
      assert.deepEqual(fieldsOf(nonString), ['inputs.text']);
    });

    test('mode, unknown body fields and type aliases', async () => {
      const noMode = await call<ErrorBody>(sim, '/techniques/cctv-cam/runs', {
        body: { inputs: cctvBody().inputs },
      });
      assert.deepEqual(fieldsOf(noMode), ['mode']);
      const sync = await call<ErrorBody>(sim, '/techniques/cctv-cam/runs', {
        body: cctvBody({ mode: 'sync' }),
      });
      assert.deepEqual(fieldsOf(sync), ['mode']);
      const typo = await call<ErrorBody>(sim, '/techniques/cctv-cam/runs', {
        body: cctvBody({ idempotencyKey: 'k' }),
      });
      assert.deepEqual(fieldsOf(typo), ['idempotencyKey']);
      const alias = await call<RunObject>(sim, '/techniques/cctv-cam/runs', {
        body: {
          mode: 'stream',
          inputs: [{ id: 'input_image', type: 'image_url', value: 'https://example.com/a.png' }],
        },
      });
      assert.equal(alias.status, 200);
      const optionalOmitted = await call<RunObject>(sim, '/techniques/text-to-image/runs', {
        body: { mode: 'async', inputs: [{ id: 'prompt', type: 'text', value: 'a fox' }] },
      });
      assert.equal(optionalOmitted.status, 200);
    });

    test('nested route takes a slug, not a tech_ id', async () => {
      const reply = await call<ErrorBody>(sim, '/techniques/tech_cctvcam01/runs', { body: cctvBody() });
      assert.equal(reply.status, 404);
      assert.match(reply.body.error.message, /slug/);
    });

    test('top-level route checks prefixes, workspace, technique and inputs', async () => {
      const bare = await call<ErrorBody>(sim, '/runs/technique', {
        body: { technique_id: 'cctv-cam', workspace_id: 'simulator', inputs: {} },
      });
      assert.equal(bare.status, 400);
      assert.deepEqual(fieldsOf(bare), ['technique_id', 'workspace_id']);
      const foreign = await call<ErrorBody>(sim, '/runs/technique', {
        body: { technique_id: 'tech_cctvcam01', workspace_id: 'ws_other', inputs: {} },
      });
      assert.equal(foreign.status, 403);
      const unknown = await call<ErrorBody>(sim, '/runs/technique', {
        body: { technique_id: 'tech_nope', workspace_id: 'ws_simulator', inputs: {} },
      });
      assert.equal(unknown.status, 404);
      const badInputs = await call<ErrorBody>(sim, '/runs/technique', {
        body: {
          technique_id: 'tech_cctvcam01',
          workspace_id: 'ws_simulator',
          inputs: { image: 'https://a.b/c.png' },
        },
      });
      assert.deepEqual(fieldsOf(badInputs), ['inputs.image', 'inputs.input_image']);
      assert.equal(sim.stats().runsCreated, 0);
    });
  });

  describe('idempotency', () => {
    test('replay mode returns the original response and creates one run', async () => {
      const first = await call<RunObject>(sim, '/techniques/cctv-cam/runs', {
        body: cctvBody({ idempotency_key: 'key-replay' }),
      });
      assert.equal(first.status, 200);
      assert.equal(first.headers.get('idempotent-replayed'), null);
      // Same body with keys in another order, key sent as header too: still the same request.
      const second = await call<RunObject>(sim, '/techniques/cctv-cam/runs', {
        body: {
          idempotency_key: 'key-replay',
          mode: 'async',
          inputs: [{ value: 'https://example.com/photo.png', type: 'imageUrl', id: 'input_image' }],
        },
        headers: { 'idempotency-key': 'key-replay' },
      });
      assert.equal(second.status, 200);
      assert.equal(second.headers.get('idempotent-replayed'), 'true');
      assert.deepEqual(second.body, first.body);
      assert.notEqual(second.headers.get('request-id'), first.headers.get('request-id'));
      const stats = sim.stats();
      assert.equal(stats.runsCreated, 1);
      assert.deepEqual(stats.createsByIdempotencyKey, { 'key-replay': 1 });
    });

    test('a reused key with a different body is 422 in both modes', async () => {
      await call(sim, '/techniques/cctv-cam/runs', { body: cctvBody({ idempotency_key: 'key-422' }) });
      const otherBody = cctvBody({ idempotency_key: 'key-422' });
      otherBody.inputs = [{ id: 'input_image', type: 'imageUrl', value: 'https://example.com/other.png' }];
      const replayMode = await call<ErrorBody>(sim, '/techniques/cctv-cam/runs', { body: otherBody });
      assert.equal(replayMode.status, 422);
      assert.equal(replayMode.body.error.code, 'idempotency_conflict');
      sim.setIdempotencyMode('conflict');
      const conflictMode = await call<ErrorBody>(sim, '/techniques/cctv-cam/runs', { body: otherBody });
      assert.equal(conflictMode.status, 422);
      const otherRoute = await call<ErrorBody>(sim, '/runs/technique', {
        body: {
          technique_id: 'tech_cctvcam01',
          workspace_id: 'ws_simulator',
          inputs: { input_image: 'https://example.com/photo.png' },
          idempotency_key: 'key-422',
        },
      });
      assert.equal(otherRoute.status, 422);
      assert.equal(sim.stats().runsCreated, 1);
    });

    test('conflict mode answers a duplicate with 409 and creates nothing', async () => {
      sim.setIdempotencyMode('conflict');
      const first = await call(sim, '/techniques/cctv-cam/runs', {
        body: cctvBody(),
        headers: { 'idempotency-key': 'key-409' },
      });
      assert.equal(first.status, 200);
      const dup = await call<ErrorBody>(sim, '/techniques/cctv-cam/runs', {
        body: cctvBody(),
        headers: { 'idempotency-key': 'key-409' },
      });
      assert.equal(dup.status, 409);
      assert.equal(dup.body.error.code, 'idempotency_duplicate');
      assert.deepEqual(sim.stats().createsByIdempotencyKey, { 'key-409': 1 });
    });

    test('concurrent same-key creates: one run when atomic, two in non-atomic mode; the request log has both', async () => {
      const slow = await startSimulator({ createLatencyMs: 300 });
      try {
        const twoAtOnce = (key: string) =>
          Promise.all([
            call<RunObject>(slow, '/techniques/cctv-cam/runs', {
              body: cctvBody({ idempotency_key: key }),
              headers: { 'idempotency-key': key },
            }),
            sleep(50).then(() =>
              call<RunObject>(slow, '/techniques/cctv-cam/runs', {
                body: cctvBody({ idempotency_key: key }),
                headers: { 'idempotency-key': key },
              }),
            ),
          ]);
        const [a, b] = await twoAtOnce('atomic');
        assert.equal(a.body.run_id, b.body.run_id, 'the second waited for the first and got its run');
        assert.equal(b.headers.get('idempotent-replayed'), 'true');
        slow.setIdempotencyMode('non-atomic');
        const [c, d] = await twoAtOnce('racy');
        assert.notEqual(c.body.run_id, d.body.run_id, 'both ran, as FLORA warns they may');
        assert.deepEqual(slow.stats().createsByIdempotencyKey, { atomic: 1, racy: 2 });
        // Once the first has finished, a later same-key create is a replay in non-atomic mode too.
        const later = await call<RunObject>(slow, '/techniques/cctv-cam/runs', {
          body: cctvBody({ idempotency_key: 'racy' }),
        });
        assert.equal(later.headers.get('idempotent-replayed'), 'true');
        // The request log: every create, each with its key, arrival times in order within each pair.
        const log = slow.requests(0).entries.filter((r) => r.route === 'createRunNested');
        assert.deepEqual(
          log.map((r) => r.subject),
          ['atomic', 'atomic', 'racy', 'racy', 'cctv-cam'],
        );
      } finally {
        await slow.close();
      }
    });

    test('header and body keys must agree; keys are scoped per API key; failures are not cached', async () => {
      const mismatch = await call<ErrorBody>(sim, '/techniques/cctv-cam/runs', {
        body: cctvBody({ idempotency_key: 'a' }),
        headers: { 'idempotency-key': 'b' },
      });
      assert.equal(mismatch.status, 400);
      assert.deepEqual(fieldsOf(mismatch), ['idempotency_key']);

      await call(sim, '/techniques/cctv-cam/runs', { body: cctvBody({ idempotency_key: 'shared' }) });
      const other = await call<RunObject>(sim, '/techniques/cctv-cam/runs', {
        body: cctvBody({ idempotency_key: 'shared' }),
        key: OTHER_KEY,
      });
      assert.equal(other.status, 200);
      assert.equal(other.headers.get('idempotent-replayed'), null);
      assert.equal(sim.stats().createsByIdempotencyKey.shared, 2);

      const invalid = await call(sim, '/techniques/cctv-cam/runs', {
        body: { mode: 'async', inputs: [], idempotency_key: 'fix-me' },
      });
      assert.equal(invalid.status, 400);
      const fixed = await call(sim, '/techniques/cctv-cam/runs', {
        body: cctvBody({ idempotency_key: 'fix-me' }),
      });
      assert.equal(fixed.status, 200);
    });
  });

  describe('run lifecycle', () => {
    test('pending -> running -> completed with outputs, monotonic progress and billing', async () => {
      const created = await call<RunObject>(sim, '/techniques/storyboard/runs', {
        body: { mode: 'async', inputs: [{ id: 'prompt', type: 'text', value: 'a heist in three beats' }] },
      });
      assert.equal(created.status, 200);
      assert.match(created.body.run_id, /^run_/);
      assert.equal(created.body.status, 'pending');
      assert.equal(created.body.progress, 0);
      assert.equal(typeof created.body.created_at, 'number');
      assert.equal(created.body.poll_url, `${sim.baseUrl}/techniques/storyboard/runs/${created.body.run_id}`);
      assert.equal(created.body.charged_cost, undefined);

      const seen = await waitForTerminal(sim, created.body.poll_url);
      const order = ['pending', 'running', 'completed'];
      const ranks = seen.map((r) => order.indexOf(r.status));
      assert.ok(!ranks.includes(-1));
      assert.deepEqual(
        ranks,
        [...ranks].sort((a, b) => a - b),
      );
      assert.ok(seen.some((r) => r.status === 'running'));
      const progress = seen.map((r) => r.progress);
      assert.deepEqual(
        progress,
        [...progress].sort((a, b) => a - b),
      );
      assert.ok(seen.filter((r) => r.status === 'running').every((r) => r.progress < 100));

      const done = seen.at(-1);
      assert.ok(done);
      assert.equal(done.status, 'completed');
      assert.equal(done.progress, 100);
      assert.equal(done.charged_cost, 0.12);
      assert.ok(done.started_at !== undefined && done.completed_at !== undefined);
      assert.ok(done.created_at <= done.started_at && done.started_at <= done.completed_at);
      assert.deepEqual(
        done.outputs?.map((o) => [o.output_id, o.type]),
        [
          ['frame_1', 'imageUrl'],
          ['frame_2', 'imageUrl'],
          ['frame_3', 'imageUrl'],
        ],
      );
      for (const o of done.outputs ?? []) assert.match(o.url, /^https:\/\/files\.flora-sim\.test\//);
      assert.equal(sim.stats().billedUsd, 0.12);
      assert.equal(sim.getRun(done.run_id)?.status, 'completed');
    });

    test('text outputs carry the text itself', async () => {
      sim.setRunDuration(0);
      const created = await call<RunObject>(sim, '/techniques/caption-image/runs', {
        body: {
          mode: 'async',
          inputs: [{ id: 'image', type: 'imageUrl', value: 'https://example.com/a.png' }],
        },
      });
      const done = await call<RunObject>(sim, created.body.poll_url);
      assert.equal(done.body.status, 'completed');
      const caption = done.body.outputs?.[0];
      assert.equal(caption?.type, 'text');
      assert.doesNotMatch(caption?.url ?? '', /^https?:/);
      assert.ok((caption?.url ?? '').length > 0);
    });

    test('top-level create returns its own shape and is pollable by tech_ id or slug', async () => {
      const created = await call<TopLevelBody>(sim, '/runs/technique', {
        body: {
          technique_id: 'tech_img2vid01',
          workspace_id: 'ws_simulator',
          inputs: { input_image: 'https://example.com/a.png' },
        },
      });
      assert.equal(created.status, 200);
      const { run_id } = created.body;
      assert.deepEqual(created.body, {
        run_id,
        type: 'technique',
        charged_cost: 0.25,
        estimated_seconds: 0.2,
        poll_url: `${sim.baseUrl}/techniques/tech_img2vid01/runs/${run_id}`,
        project_id: 'proj_simulator',
        technique: { technique_id: 'tech_img2vid01', name: 'Image to Video' },
      });
      const byId = await call<RunObject>(sim, created.body.poll_url);
      assert.equal(byId.status, 200);
      const bySlug = await call<RunObject>(sim, `/techniques/image-to-video/runs/${run_id}`);
      assert.equal(bySlug.status, 200);
      assert.equal(bySlug.body.run_id, run_id);
    });

    test('a run is 404 under another technique, another API key, or when unknown', async () => {
      const created = await call<RunObject>(sim, '/techniques/cctv-cam/runs', { body: cctvBody() });
      const id = created.body.run_id;
      for (const [path, key] of [
        [`/techniques/text-to-image/runs/${id}`, sim.apiKey],
        [`/techniques/cctv-cam/runs/${id}`, OTHER_KEY],
        ['/techniques/cctv-cam/runs/run_missing', sim.apiKey],
        [`/techniques/no-such/runs/${id}`, sim.apiKey],
      ] as const) {
        const reply = await call<ErrorBody>(sim, path, { key });
        assert.equal(reply.status, 404, path);
        assert.equal(reply.body.error.code, 'not_found');
      }
    });

    test('a queued failure fails the next run of that technique only, unbilled', async () => {
      sim.queueRunFailure('tech_cctvcam01', 'model_timeout');
      sim.setRunDuration(30);
      const failing = await call<RunObject>(sim, '/techniques/cctv-cam/runs', { body: cctvBody() });
      const healthy = await call<RunObject>(sim, '/techniques/cctv-cam/runs', { body: cctvBody() });
      const failed = (await waitForTerminal(sim, failing.body.poll_url)).at(-1);
      assert.equal(failed?.status, 'failed');
      assert.equal(failed?.error_code, 'model_timeout');
      assert.ok((failed?.error_message ?? '').length > 0);
      assert.equal(failed?.charged_cost, 0);
      assert.equal(failed?.outputs, undefined);
      assert.ok((failed?.progress ?? 100) < 100);
      const ok = (await waitForTerminal(sim, healthy.body.poll_url)).at(-1);
      assert.equal(ok?.status, 'completed');
      assert.equal(sim.stats().billedUsd, 0.05);
      assert.throws(() => sim.queueRunFailure('no-such', 'internal_error'), /no technique/);
    });

    test('a [sim:fail=<code>] text input fails the run; an unknown code is a validation error', async () => {
      sim.setRunDuration(20);
      const created = await call<RunObject>(sim, '/techniques/text-to-speech/runs', {
        body: {
          mode: 'async',
          inputs: [{ id: 'text', type: 'text', value: 'hello [sim:fail=safety_blocked]' }],
        },
      });
      const last = (await waitForTerminal(sim, created.body.poll_url)).at(-1);
      assert.equal(last?.error_code, 'safety_blocked');
      const bad = await call<ErrorBody>(sim, '/techniques/text-to-speech/runs', {
        body: { mode: 'async', inputs: [{ id: 'text', type: 'text', value: '[sim:fail=boom]' }] },
      });
      assert.equal(bad.status, 400);
      assert.deepEqual(fieldsOf(bad), ['inputs.text']);
    });
  });

  describe('run history', () => {
    test('newest first, filtered, paginated, scoped to the API key', async () => {
      sim.setRunDuration(0);
      sim.queueRunFailure('cctv-cam', 'internal_error');
      const ids: string[] = [];
      for (let i = 0; i < 3; i += 1) {
        ids.push((await call<RunObject>(sim, '/techniques/cctv-cam/runs', { body: cctvBody() })).body.run_id);
      }
      const tts = await call<RunObject>(sim, '/techniques/text-to-speech/runs', {
        body: { mode: 'async', inputs: [{ id: 'text', type: 'text', value: 'hi' }] },
      });
      ids.push(tts.body.run_id);
      await call(sim, '/techniques/cctv-cam/runs', { body: cctvBody(), key: OTHER_KEY });

      const all = await call<RunListBody>(sim, '/technique-runs');
      assert.deepEqual(
        all.body.technique_runs.map((r) => r.run_id),
        [...ids].reverse(),
      );
      const item = all.body.technique_runs[0];
      assert.ok(item);
      assert.equal(item.technique_run_id, item.run_id);
      assert.equal(item.workspace_id, 'ws_simulator');
      assert.equal(item.project_id, 'proj_simulator');
      assert.deepEqual(item.technique, { technique_id: 'tech_tts01', name: 'Text to Speech' });

      const cctv = await call<RunListBody>(sim, '/technique-runs?technique_id=tech_cctvcam01');
      assert.equal(cctv.body.technique_runs.length, 3);
      const failed = await call<RunListBody>(sim, '/technique-runs?status=failed');
      assert.deepEqual(
        failed.body.technique_runs.map((r) => r.run_id),
        [ids[0]],
      );
      const project = await call<RunListBody>(sim, '/technique-runs?project_id=proj_other');
      assert.equal(project.body.technique_runs.length, 0);

      const pageIds: string[] = [];
      let cursor: string | undefined;
      do {
        const q = cursor === undefined ? '' : `&cursor=${cursor}`;
        const page = await call<RunListBody>(sim, `/technique-runs?limit=3${q}`);
        pageIds.push(...page.body.technique_runs.map((r) => r.run_id));
        cursor = page.body.meta.next_cursor;
      } while (cursor !== undefined);
      assert.deepEqual(pageIds, [...ids].reverse());

      const bad = await call<ErrorBody>(sim, '/technique-runs?technique_id=cctv-cam&status=done&limit=500');
      assert.deepEqual(fieldsOf(bad), ['limit', 'status', 'technique_id']);
      const foreign = await call<ErrorBody>(sim, '/technique-runs?workspace_id=ws_other');
      assert.equal(foreign.status, 403);
      const techCursor = await call<ErrorBody>(
        sim,
        '/technique-runs?cursor=eyJrIjoidGVjaG5pcXVlcyIsInAiOjN9',
      );
      assert.deepEqual(fieldsOf(techCursor), ['cursor']);
    });
  });

  describe('faults', () => {
    test('status5xx: 503 service_unavailable by default, 500 internal_error on request, count consumed', async () => {
      sim.addFault('listTechniques', { kind: 'status5xx', count: 2 });
      sim.addFault('listTechniques', { kind: 'status5xx', status: 500 });
      const a = await call<ErrorBody>(sim, '/techniques');
      const b = await call<ErrorBody>(sim, '/techniques');
      const c = await call<ErrorBody>(sim, '/techniques');
      const d = await call(sim, '/techniques');
      assert.deepEqual([a.status, b.status, c.status, d.status], [503, 503, 500, 200]);
      assert.equal(a.body.error.code, 'service_unavailable');
      assert.equal(c.body.error.code, 'internal_error');
      assert.match(a.headers.get('request-id') ?? '', /^req_/);
      const stats = sim.stats();
      assert.equal(stats.requests.listTechniques, 4);
      assert.equal(stats.responses['listTechniques 503'], 2);
    });

    test('rateLimit sends retry-after unless null', async () => {
      sim.addFault('getTechnique', { kind: 'rateLimit', retryAfterSeconds: 7 });
      sim.addFault('getTechnique', { kind: 'rateLimit', retryAfterSeconds: null });
      const a = await call<ErrorBody>(sim, '/techniques/cctv-cam');
      assert.equal(a.status, 429);
      assert.equal(a.body.error.code, 'rate_limited');
      assert.equal(a.headers.get('retry-after'), '7');
      const b = await call<ErrorBody>(sim, '/techniques/cctv-cam');
      assert.equal(b.status, 429);
      assert.equal(b.headers.get('retry-after'), null);
    });

    test('latency delays the request, then handles it', async () => {
      sim.addFault('*', { kind: 'latency', latencyMs: 120 });
      const started = Date.now();
      const reply = await call(sim, '/techniques/cctv-cam');
      assert.equal(reply.status, 200);
      assert.ok(Date.now() - started >= 110);
    });

    test('reset destroys the socket before anything is created', async () => {
      sim.addFault('createRunNested', { kind: 'reset' });
      await assert.rejects(
        call(sim, '/techniques/cctv-cam/runs', { body: cctvBody({ idempotency_key: 'reset-1' }) }),
      );
      const stats = sim.stats();
      assert.equal(stats.requests.createRunNested, 1);
      assert.equal(stats.runsCreated, 0);
      assert.equal(stats.responses['createRunNested reset'], 1);
    });

    test('dropResponse creates the run and loses the answer; a retry with the key replays it', async () => {
      sim.addFault('createRunNested', { kind: 'dropResponse' });
      await assert.rejects(
        call(sim, '/techniques/cctv-cam/runs', { body: cctvBody({ idempotency_key: 'lost-1' }) }),
      );
      assert.equal(sim.stats().runsCreated, 1);
      const retry = await call<RunObject>(sim, '/techniques/cctv-cam/runs', {
        body: cctvBody({ idempotency_key: 'lost-1' }),
      });
      assert.equal(retry.status, 200);
      assert.equal(retry.headers.get('idempotent-replayed'), 'true');
      assert.equal(sim.getRun(retry.body.run_id)?.idempotency_key, 'lost-1');
      const stats = sim.stats();
      assert.deepEqual(stats.createsByIdempotencyKey, { 'lost-1': 1 });
      assert.equal(stats.responses['createRunNested dropped'], 1);
    });

    test('malformedJson answers 200 with a body that does not parse', async () => {
      sim.addFault('getRun', { kind: 'malformedJson' });
      const created = await call<RunObject>(sim, '/techniques/cctv-cam/runs', { body: cctvBody() });
      const res = await fetch(created.body.poll_url, { headers: { authorization: `Bearer ${sim.apiKey}` } });
      assert.equal(res.status, 200);
      await assert.rejects(res.json());
    });

    test('rate draws from the seeded PRNG; 0 never fires, 1 always does; faults can be cleared', async () => {
      sim.addFault('getTechnique', { kind: 'status5xx', rate: 0 });
      assert.equal((await call(sim, '/techniques/cctv-cam')).status, 200);
      sim.addFault('getTechnique', { kind: 'status5xx', rate: 1 });
      assert.equal((await call(sim, '/techniques/cctv-cam')).status, 503);
      assert.equal((await call(sim, '/techniques/cctv-cam')).status, 503);
      sim.clearFaults();
      assert.equal((await call(sim, '/techniques/cctv-cam')).status, 200);
      assert.throws(() => sim.addFault('getTechnique', { kind: 'status5xx', rate: 2 }));
    });
  });

  describe('control plane', () => {
    test('drives faults, failures, idempotency mode, stats and reset over HTTP without auth', async () => {
      const ctl = (path: string, body?: unknown, method?: string): Promise<Reply<unknown>> =>
        call(sim, `/_sim${path}`, {
          key: null,
          ...(body === undefined ? {} : { body }),
          ...(method ? { method } : {}),
        });

      assert.equal(
        (await ctl('/faults', { route: 'getTechnique', fault: { kind: 'status5xx' } })).status,
        200,
      );
      assert.equal((await call(sim, '/techniques/cctv-cam')).status, 503);
      await ctl('/faults', { route: '*', fault: { kind: 'status5xx', count: 5 } });
      assert.equal((await ctl('/faults', undefined, 'DELETE')).status, 200);
      assert.equal((await call(sim, '/techniques/cctv-cam')).status, 200);

      assert.equal(
        (await ctl('/run-failures', { technique: 'cctv-cam', code: 'input_unreachable', message: 'gone' }))
          .status,
        200,
      );
      assert.equal((await ctl('/run-duration', { ms: 0 })).status, 200);
      const created = await call<RunObject>(sim, '/techniques/cctv-cam/runs', { body: cctvBody() });
      const run = await call<RunObject>(sim, created.body.poll_url);
      assert.equal(run.body.error_code, 'input_unreachable');
      assert.equal(run.body.error_message, 'gone');
      const view = await ctl(`/runs/${created.body.run_id}`);
      assert.equal(view.status, 200);

      assert.equal((await ctl('/idempotency', { mode: 'conflict' })).status, 200);
      await call(sim, '/techniques/cctv-cam/runs', { body: cctvBody({ idempotency_key: 'ctl' }) });
      const dup = await call(sim, '/techniques/cctv-cam/runs', {
        body: cctvBody({ idempotency_key: 'ctl' }),
      });
      assert.equal(dup.status, 409);

      const stats = (await ctl('/stats')).body as SimStats;
      assert.equal(stats.runsCreated, 2);
      assert.equal(stats.requests.createRunNested, 3);

      assert.equal((await ctl('/reset', {})).status, 200);
      const after = (await ctl('/stats')).body as SimStats;
      assert.equal(after.runsCreated, 0);
      assert.equal(after.requests.getTechnique, 0);

      const badFault = await ctl('/faults', { route: 'nope', fault: { kind: 'explode' } });
      assert.equal(badFault.status, 400);
      assert.deepEqual(fieldsOf(badFault as Reply<ErrorBody>), ['fault.kind', 'route']);
      assert.equal(
        (await ctl('/run-failures', { technique: 'no-such', code: 'internal_error' })).status,
        404,
      );
      assert.equal((await ctl('/nope')).status, 404);
    });
  });

  describe('credits', () => {
    test('402 once in-flight and billed runs would exceed the balance; failed runs give it back', async () => {
      // Long enough that the first run is still in flight (and reserved) when the third create
      // arrives, on a loaded machine too; it fails as soon as it finishes.
      const poor = await startSimulator({ runDurationMs: 2_000, credits: 0.1 });
      try {
        const create = (): Promise<Reply<RunObject & ErrorBody>> =>
          call(poor, '/techniques/text-to-image/runs', {
            body: { mode: 'async', inputs: [{ id: 'prompt', type: 'text', value: 'a fox' }] },
          });
        poor.queueRunFailure('text-to-image', 'internal_error');
        const first = await create();
        assert.equal(first.status, 200);
        assert.equal((await create()).status, 200);
        const refused = await create();
        assert.equal(refused.status, 402);
        assert.equal(refused.body.error.code, 'insufficient_credits');
        assert.match(refused.body.error.message, /balance/);
        await waitForTerminal(poor, first.body.poll_url);
        assert.equal((await create()).status, 200);
        assert.equal(poor.stats().runsCreated, 3);
      } finally {
        await poor.close();
      }
    });
  });

  describe('options', () => {
    const firstRunId = async (local: FloraSimulator): Promise<string> =>
      (await call<RunObject>(local, '/techniques/cctv-cam/runs', { body: cctvBody() })).body.run_id;

    test('an explicit seed makes ids reproducible; without one, each instance has its own ids', async () => {
      const sims = await Promise.all([
        startSimulator({ seed: 42 }),
        startSimulator({ seed: 42 }),
        startSimulator(),
        startSimulator(),
      ]);
      try {
        const [a, b, c, d] = await Promise.all(sims.map(firstRunId));
        assert.equal(a, b);
        assert.notEqual(c, d);
      } finally {
        await Promise.all(sims.map((s) => s.close()));
      }
    });

    test('custom catalog, output base URL and workspace; foreign-workspace techniques are hidden', async () => {
      const local = await startSimulator({
        runDurationMs: 0,
        workspaceId: 'ws_team',
        outputBaseUrl: 'https://cdn.example.test/out/',
        techniques: [
          {
            technique_id: 'tech_mine',
            slug: 'mine',
            name: 'Mine',
            run_cost: 0.5,
            inputs: [{ id: 'doc', name: 'Doc', type: 'documentUrl' }],
            outputs: [{ id: 'clip', name: 'Clip', type: 'audioUrl' }],
          },
          {
            technique_id: 'tech_theirs',
            slug: 'theirs',
            name: 'Theirs',
            run_cost: 0.5,
            inputs: [],
            outputs: [{ id: 'x', name: 'X', type: 'text' }],
            workspace_id: 'ws_elsewhere',
          },
        ],
      });
      try {
        const list = await call<TechniqueListBody>(local, '/techniques');
        assert.deepEqual(
          list.body.techniques.map((t) => t.slug),
          ['mine'],
        );
        assert.equal((await call(local, '/techniques/theirs')).status, 404);
        const created = await call<TopLevelBody>(local, '/runs/technique', {
          body: {
            technique_id: 'tech_mine',
            workspace_id: 'ws_team',
            inputs: { doc: 'https://a.test/d.pdf' },
          },
        });
        assert.equal(created.status, 200);
        const run = await call<RunObject>(local, created.body.poll_url);
        assert.equal(
          run.body.outputs?.[0]?.url,
          `https://cdn.example.test/out/runs/${created.body.run_id}/clip.mp3`,
        );
      } finally {
        await local.close();
      }
    });

    test('invalid options are rejected with the field named', async () => {
      await assert.rejects(startSimulator({ outputBaseUrl: 'http://insecure.test' }), /outputBaseUrl/);
      await assert.rejects(startSimulator({ runDurationMs: -1 }), /runDurationMs/);
      await assert.rejects(
        startSimulator({ techniques: [...DEFAULT_CATALOG, ...DEFAULT_CATALOG.slice(0, 1)] }),
        /more than one technique/,
      );
    });
  });

  describe('close', () => {
    test('returns promptly with an idle keep-alive connection and a request stuck in latency', async () => {
      const local = await startSimulator();
      const agent = new Agent({ keepAlive: true });
      try {
        const status = await new Promise<number>((resolve, reject) => {
          const req = httpRequest(
            `${local.baseUrl}/techniques`,
            { agent, headers: { authorization: `Bearer ${local.apiKey}` } },
            (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode ?? 0));
            },
          );
          req.on('error', reject);
          req.end();
        });
        assert.equal(status, 200);
        local.addFault('*', { kind: 'latency', latencyMs: 60_000 });
        const stuck = fetch(`${local.baseUrl}/techniques`, {
          headers: { authorization: `Bearer ${local.apiKey}` },
        });
        await sleep(30);
        const started = Date.now();
        await local.close();
        assert.ok(Date.now() - started < 1000, 'close() took too long');
        await assert.rejects(stuck);
        await local.close();
      } finally {
        agent.destroy();
      }
    });
  });
});

describe('FLORA simulator output files (serveFiles)', () => {
  let sim: FloraSimulator;

  before(async () => {
    sim = await startSimulator({ serveFiles: true, runDurationMs: 60, control: true });
  });
  after(async () => {
    await sim.close();
  });
  beforeEach(() => {
    sim.reset();
  });

  const origin = (): string => new URL(sim.baseUrl).origin;

  async function completed(slug: string, inputs: unknown[]): Promise<RunObject> {
    const created = await call<RunObject>(sim, `/techniques/${slug}/runs`, {
      body: { inputs, mode: 'async' },
    });
    assert.equal(created.status, 200);
    const seen = await waitForTerminal(sim, created.body.poll_url);
    const last = seen[seen.length - 1];
    assert.equal(last?.status, 'completed');
    return last;
  }

  async function getFile(url: string, init: RequestInit = {}): Promise<{ res: Response; bytes: Buffer }> {
    const res = await fetch(url, init);
    return { res, bytes: Buffer.from(await res.arrayBuffer()) };
  }

  const PROMPT = [{ id: 'prompt', type: 'text', value: 'three frames of a fox' }];

  test('serves deterministic bytes of completed runs, without auth, with content-type and length', async () => {
    const run = await completed('storyboard', PROMPT);
    const urls = (run.outputs ?? []).map((o) => o.url);
    assert.equal(urls.length, 3);
    for (const url of urls)
      assert.ok(url.startsWith(`http://127.0.0.1:${sim.port}/files/runs/${run.run_id}/`));

    const first = await getFile(urls[0] ?? '');
    assert.equal(first.res.status, 200);
    assert.equal(first.res.headers.get('content-type'), 'image/png');
    assert.equal(first.res.headers.get('content-length'), String(first.bytes.length));
    assert.ok(first.bytes.length > 1000 && first.bytes.length < 10_000, `${first.bytes.length} bytes`);
    assert.equal(first.bytes.subarray(1, 4).toString('latin1'), 'PNG');
    const again = await getFile(urls[0] ?? '');
    assert.ok(again.bytes.equals(first.bytes), 'the same URL always serves the same bytes');
    const other = await getFile(urls[1] ?? '');
    assert.ok(!other.bytes.equals(first.bytes), 'each output has its own bytes');

    const head = await getFile(urls[0] ?? '', { method: 'HEAD' });
    assert.equal(head.res.status, 200);
    assert.equal(head.res.headers.get('content-length'), String(first.bytes.length));
    assert.equal(head.bytes.length, 0);

    const stats = sim.stats();
    assert.equal(stats.requests.getFile, 4);
    assert.equal(stats.responses['getFile 200'], 4);
  });

  test('video, audio and documents look like their formats', async () => {
    const video = await completed('image-to-video', [
      { id: 'input_image', type: 'imageUrl', value: 'https://example.com/photo.png' },
    ]);
    const mp4 = await getFile(video.outputs?.[0]?.url ?? '');
    assert.equal(mp4.res.headers.get('content-type'), 'video/mp4');
    assert.equal(mp4.bytes.subarray(4, 8).toString('latin1'), 'ftyp');
    const speech = await completed('text-to-speech', [{ id: 'text', type: 'text', value: 'hello' }]);
    const mp3 = await getFile(speech.outputs?.[0]?.url ?? '');
    assert.equal(mp3.res.headers.get('content-type'), 'audio/mpeg');
    assert.equal(mp3.bytes.subarray(0, 3).toString('latin1'), 'ID3');
  });

  test('404 for unknown runs and outputs, text outputs and unfinished runs; 405 for other methods', async () => {
    // A run that cannot finish during the check, however slow the machine.
    sim.setRunDuration(3_600_000, 'cctv-cam');
    const pending = await call<RunObject>(sim, '/techniques/cctv-cam/runs', { body: cctvBody() });
    sim.setRunDuration(60, 'cctv-cam');
    const early = await getFile(`${origin()}/files/runs/${pending.body.run_id}/image.png`);
    assert.equal(early.res.status, 404, 'no file before the run completes');
    const created = await call<RunObject>(sim, '/techniques/cctv-cam/runs', { body: cctvBody() });
    await waitForTerminal(sim, created.body.poll_url);
    assert.equal((await getFile(`${origin()}/files/runs/${created.body.run_id}/image.png`)).res.status, 200);
    for (const path of [
      `/files/runs/run_nope/image.png`,
      `/files/runs/${created.body.run_id}/image.jpg`,
      `/files/runs/${created.body.run_id}/other.png`,
      `/files/runs/${created.body.run_id}`,
    ]) {
      assert.equal((await getFile(`${origin()}${path}`)).res.status, 404, path);
    }
    const caption = await completed('caption-image', [
      { id: 'image', type: 'imageUrl', value: 'https://example.com/photo.png' },
    ]);
    assert.equal(caption.outputs?.[0]?.type, 'text');
    assert.equal((await getFile(`${origin()}/files/runs/${caption.run_id}/caption.txt`)).res.status, 404);
    const post = await getFile(`${origin()}/files/runs/${created.body.run_id}/image.png`, { method: 'POST' });
    assert.equal(post.res.status, 405);
  });

  test('expireFiles: 410 for the runs made so far; later runs and reset() get working URLs', async () => {
    const before = await completed('cctv-cam', cctvBody().inputs as unknown[]);
    const url = before.outputs?.[0]?.url ?? '';
    sim.expireFiles();
    const gone = await getFile(url);
    assert.equal(gone.res.status, 410);
    assert.match((JSON.parse(gone.bytes.toString('utf8')) as ErrorBody).error.message, /expired/);
    const later = await completed('cctv-cam', cctvBody().inputs as unknown[]);
    assert.equal((await getFile(later.outputs?.[0]?.url ?? '')).res.status, 200);

    const viaControl = await call(sim, '/_sim/expire-files', { method: 'POST', key: null });
    assert.equal(viaControl.status, 200);
    assert.equal((await getFile(later.outputs?.[0]?.url ?? '')).res.status, 410);
  });

  test('faults aim at getFile: a 5xx, and a body cut off after half its bytes', async () => {
    const run = await completed('cctv-cam', cctvBody().inputs as unknown[]);
    const url = run.outputs?.[0]?.url ?? '';
    sim.addFault('getFile', { kind: 'status5xx' });
    assert.equal((await getFile(url)).res.status, 503);
    sim.addFault('getFile', { kind: 'malformedJson' });
    await assert.rejects(getFile(url));
    assert.equal((await getFile(url)).res.status, 200);
    const stats = sim.stats();
    assert.equal(stats.requests.getFile, 3);
    assert.equal(stats.responses['getFile 503'], 1);
    assert.equal(stats.responses['getFile truncated'], 1);
  });

  test('without serveFiles /files is an unknown path; an explicit outputBaseUrl wins', async () => {
    const plain = await startSimulator({ runDurationMs: 0 });
    const proxied = await startSimulator({
      runDurationMs: 0,
      serveFiles: true,
      outputBaseUrl: 'https://cdn.example/flora/',
    });
    try {
      const run = await call<RunObject>(plain, '/techniques/cctv-cam/runs', { body: cctvBody() });
      const polled = await call<RunObject>(plain, run.body.poll_url);
      assert.match(
        polled.body.outputs?.[0]?.url ?? '',
        /^https:\/\/files\.flora-sim\.test\/runs\/run_\w+\/image\.png$/,
      );
      const path = new URL(polled.body.outputs?.[0]?.url ?? '').pathname;
      assert.equal((await getFile(`${new URL(plain.baseUrl).origin}/files${path}`)).res.status, 404);
      assert.equal(plain.stats().requests.getFile, 0);
      assert.equal(plain.stats().responses['unmatched 404'], 1);

      const other = await call<RunObject>(proxied, '/techniques/cctv-cam/runs', { body: cctvBody() });
      const done = await call<RunObject>(proxied, other.body.poll_url);
      const url = done.body.outputs?.[0]?.url ?? '';
      assert.match(url, /^https:\/\/cdn\.example\/flora\/runs\/run_\w+\/image\.png$/);
      const local = `${new URL(proxied.baseUrl).origin}/files${new URL(url).pathname.slice('/flora'.length)}`;
      assert.equal((await getFile(local)).res.status, 200, 'files are still served, behind the proxy');
    } finally {
      await plain.close();
      await proxied.close();
    }
  });
});
