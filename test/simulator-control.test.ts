/** The FLORA simulator over a real socket: faults, the /_sim control plane, options, close. Helpers: test/helpers/simulator-http.ts. */
import assert from 'node:assert/strict';
import { Agent, request as httpRequest } from 'node:http';
import { describe, test } from 'node:test';
import {
  DEFAULT_CATALOG,
  startSimulator,
  type FloraSimulator,
  type RunObject,
  type SimStats,
} from '../src/simulator';
import {
  call,
  cctvBody,
  fieldsOf,
  sleep,
  type ErrorBody,
  type Reply,
  type TechniqueListBody,
  type TopLevelBody,
  useSharedSimulator,
} from './helpers/simulator-http';

describe('FLORA simulator', () => {
  let sim: FloraSimulator;
  useSharedSimulator((started) => (sim = started));

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
