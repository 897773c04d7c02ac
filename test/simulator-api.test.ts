/** The FLORA simulator over a real socket: the API's front door: auth and transport, techniques, input validation, credits. Helpers: test/helpers/simulator-http.ts. */
import assert from 'node:assert/strict';

import { describe, test } from 'node:test';
import { DEFAULT_CATALOG, startSimulator, type FloraSimulator, type RunObject } from '../src/simulator';
import {
  call,
  cctvBody,
  fieldsOf,
  waitForTerminal,
  type ErrorBody,
  type Reply,
  type TechniqueListBody,
  useSharedSimulator,
} from './helpers/simulator-http';

describe('FLORA simulator', () => {
  let sim: FloraSimulator;
  useSharedSimulator((started) => (sim = started));

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
});
