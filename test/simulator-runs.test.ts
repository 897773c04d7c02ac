/** The FLORA simulator over a real socket: runs: idempotency, lifecycle, history. Helpers: test/helpers/simulator-http.ts. */
import assert from 'node:assert/strict';

import { describe, test } from 'node:test';
import { startSimulator, type FloraSimulator, type RunObject } from '../src/simulator';
import {
  OTHER_KEY,
  call,
  cctvBody,
  fieldsOf,
  sleep,
  waitForTerminal,
  type ErrorBody,
  type RunListBody,
  type TopLevelBody,
  useSharedSimulator,
} from './helpers/simulator-http';

describe('FLORA simulator', () => {
  let sim: FloraSimulator;
  useSharedSimulator((started) => (sim = started));

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
});
