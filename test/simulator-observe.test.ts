/**
 * The simulator's outside view for the chaos harness: the control plane is off unless asked for, the
 * request log and activity report what happened, the per-workspace rate limit answers 429 with
 * `retry-after`, and the faults that rewrite or delay a handled answer.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { startSimulator, type FloraSimulator, type RequestLogEntry } from '../src/simulator';
import type { SimRunSummary } from '../src/simulator';

const BODY = {
  inputs: [{ id: 'input_image', type: 'imageUrl', value: 'https://example.com/cat.png' }],
  mode: 'async',
};

async function post(sim: FloraSimulator, path: string, body: unknown, key?: string): Promise<Response> {
  return fetch(sim.baseUrl + path, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${sim.apiKey}`,
      'content-type': 'application/json',
      ...(key ? { 'idempotency-key': key } : {}),
    },
    body: JSON.stringify(body),
  });
}

function controlUrl(sim: FloraSimulator, path: string): string {
  return sim.baseUrl.replace(/\/api\/v1$/, `/_sim${path}`);
}

describe('simulator control plane switch', () => {
  test('without `control`, /_sim is an unknown path and nothing changes', async () => {
    const sim = await startSimulator({ runDurationMs: 50 });
    try {
      const res = await fetch(controlUrl(sim, '/faults'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ route: '*', fault: { kind: 'status5xx', count: 5 } }),
      });
      assert.equal(res.status, 404);
      assert.equal((await post(sim, '/techniques/cctv-cam/runs', BODY)).status, 200);
      assert.equal((await fetch(controlUrl(sim, '/stats'))).status, 404);
    } finally {
      await sim.close();
    }
  });
});

describe('simulator observation', () => {
  let sim: FloraSimulator;
  before(async () => {
    sim = await startSimulator({ runDurationMs: 50, control: true });
  });
  after(() => sim.close());
  beforeEach(() => sim.reset());

  test('request log and activity: keys, outcomes, retry-after and polls, over HTTP', async () => {
    sim.addFault('createRunNested', { kind: 'rateLimit', retryAfterSeconds: 7 });
    assert.equal((await post(sim, '/techniques/cctv-cam/runs', BODY, 'k-1')).status, 429);
    const created = (await (await post(sim, '/techniques/cctv-cam/runs', BODY, 'k-1')).json()) as {
      run_id: string;
      poll_url: string;
    };
    await fetch(created.poll_url, { headers: { authorization: `Bearer ${sim.apiKey}` } });

    const log = (await (await fetch(controlUrl(sim, '/requests?after=0'))).json()) as {
      entries: RequestLogEntry[];
      last: number;
    };
    assert.deepEqual(
      log.entries.map((e) => [e.route, e.outcome, e.retryAfterS, e.subject]),
      [
        ['createRunNested', 429, 7, 'k-1'],
        ['createRunNested', 200, undefined, 'k-1'],
        ['getRun', 200, undefined, created.run_id],
      ],
    );
    const later = (await (await fetch(controlUrl(sim, `/requests?after=${log.last}`))).json()) as {
      entries: RequestLogEntry[];
    };
    assert.equal(later.entries.length, 0);

    const activity = (await (await fetch(controlUrl(sim, '/activity'))).json()) as {
      runs: SimRunSummary[];
    };
    assert.equal(activity.runs.length, 1);
    assert.equal(activity.runs[0]?.idempotency_key, 'k-1');
    assert.equal(activity.runs[0]?.polls, 1);
    assert.equal(activity.runs[0]?.inputs.input_image, 'https://example.com/cat.png');
  });

  test('rate limit: a burst beyond the per-second budget gets 429 with retry-after', async () => {
    const res = await fetch(controlUrl(sim, '/rate-limit'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ perSecond: 3 }),
    });
    assert.equal(res.status, 200);
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 6; i++) {
      const r = await fetch(`${sim.baseUrl}/techniques/cctv-cam`, {
        headers: { authorization: `Bearer ${sim.apiKey}` },
      });
      statuses.push(r.status);
      if (r.status === 429) retryAfter = r.headers.get('retry-after');
      await r.arrayBuffer();
    }
    assert.deepEqual(statuses.slice(0, 3), [200, 200, 200]);
    assert.ok(statuses.slice(3).includes(429), `statuses: ${statuses.join(',')}`);
    assert.equal(retryAfter, '1');
    sim.reset();
    assert.equal(
      (
        await fetch(`${sim.baseUrl}/techniques/cctv-cam`, {
          headers: { authorization: `Bearer ${sim.apiKey}` },
        })
      ).status,
      200,
    );
  });

  test('slowResponse bills the run, then answers late; the in-flight count shows it meanwhile', async () => {
    sim.addFault('createRunNested', { kind: 'slowResponse', latencyMs: 300 });
    const pending = post(sim, '/techniques/cctv-cam/runs', BODY, 'slow-1');
    await new Promise((r) => setTimeout(r, 100));
    const mid = sim.activity();
    assert.equal(mid.inFlight.createRunNested, 1);
    assert.equal(mid.runs.length, 1, 'the run exists before the answer is sent');
    assert.equal((await pending).status, 200);
    assert.equal(sim.activity().inFlight.createRunNested, undefined);
  });

  test('missingField drops the required field; foreignPollUrl moves poll_url to another origin', async () => {
    sim.addFault('createRunNested', { kind: 'missingField' });
    const bare = (await (await post(sim, '/techniques/cctv-cam/runs', BODY, 'm-1')).json()) as Record<
      string,
      unknown
    >;
    assert.equal(bare.run_id, undefined);
    assert.equal(typeof bare.status, 'string');
    sim.addFault('createRunNested', { kind: 'foreignPollUrl', foreignOrigin: 'http://127.0.0.1:1' });
    const moved = (await (await post(sim, '/techniques/cctv-cam/runs', BODY, 'm-2')).json()) as {
      poll_url: string;
    };
    assert.match(moved.poll_url, /^http:\/\/127\.0\.0\.1:1\/api\/v1\/techniques\/cctv-cam\/runs\/run_/);
    assert.equal(sim.stats().runsCreated, 2);
  });
});

describe('simulator: an answer nobody reads', () => {
  test('a create handled after the client hung up is logged as aborted', async () => {
    const sim = await startSimulator({ runDurationMs: 50, control: true });
    try {
      sim.addFault('createRunNested', { kind: 'slowResponse', latencyMs: 300 });
      const controller = new AbortController();
      const pending = fetch(`${sim.baseUrl}/techniques/cctv-cam/runs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${sim.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(BODY),
        signal: controller.signal,
      });
      setTimeout(() => controller.abort(), 100);
      await assert.rejects(pending);
      await new Promise((r) => setTimeout(r, 400));
      const outcomes = sim.requests(0).entries.map((e) => e.outcome);
      assert.deepEqual(outcomes, ['aborted']);
      assert.equal(sim.stats().runsCreated, 1, 'the run was created all the same');
    } finally {
      await sim.close();
    }
  });
});

describe('simulator: holdResponse, an answer held until the client dies', () => {
  let sim: FloraSimulator;
  before(async () => {
    sim = await startSimulator({ runDurationMs: 50, control: true, serveFiles: true });
  });
  after(async () => {
    await sim.close();
  });

  async function until<T>(what: string, probe: () => T | undefined): Promise<T> {
    for (let i = 0; i < 200; i++) {
      const value = probe();
      if (value !== undefined) return value;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  test('a held create is billed and listed; the client leaving loses its answer', async () => {
    sim.reset();
    sim.addFault('createRunNested', { kind: 'holdResponse' });
    const controller = new AbortController();
    const pending = fetch(`${sim.baseUrl}/techniques/cctv-cam/runs`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${sim.apiKey}`,
        'content-type': 'application/json',
        'idempotency-key': 'held-1',
      },
      body: JSON.stringify(BODY),
      signal: controller.signal,
    });
    const held = await until('the held create', () => sim.activity().held.find((h) => h.state === 'holding'));
    assert.equal(held.route, 'createRunNested');
    assert.equal(held.subject, 'held-1');
    const run = sim.activity().runs.find((r) => r.run_id === held.run_id);
    assert.ok(run, 'the run exists (billed) while its answer is held');
    assert.equal(run.create_answered, false);
    controller.abort();
    await assert.rejects(pending);
    const gone = await until('the client to be gone', () =>
      sim.activity().held.find((h) => h.id === held.id && h.state === 'client-gone'),
    );
    assert.ok(gone.ended_ms !== null);
    assert.deepEqual(
      sim.requests(0).entries.map((e) => e.outcome),
      ['aborted'],
    );
    assert.equal(sim.activity().runs[0]?.create_answered, false);
  });

  test('a create answered normally is marked create_answered; a hold ends by answering after latencyMs', async () => {
    sim.reset();
    sim.addFault('createRunNested', { kind: 'holdResponse', latencyMs: 50 });
    const res = await post(sim, '/techniques/cctv-cam/runs', BODY, 'held-2');
    assert.equal(res.status, 200);
    const { run_id } = (await res.json()) as { run_id: string };
    const activity = sim.activity();
    assert.equal(activity.held[0]?.state, 'answered');
    assert.equal(activity.runs.find((r) => r.run_id === run_id)?.create_answered, true);
  });

  test('a held file sends half its bytes, then waits: a download cut off mid-body', async () => {
    sim.reset();
    const created = (await (
      await post(sim, '/techniques/text-to-image/runs', {
        inputs: [{ id: 'prompt', type: 'text', value: 'fox' }],
        mode: 'async',
      })
    ).json()) as { poll_url: string };
    let url: string | undefined;
    for (let i = 0; i < 100 && !url; i++) {
      await new Promise((r) => setTimeout(r, 20));
      const run = (await (
        await fetch(created.poll_url, { headers: { authorization: `Bearer ${sim.apiKey}` } })
      ).json()) as { status: string; outputs?: { url: string }[] };
      if (run.status === 'completed') url = run.outputs?.[0]?.url;
    }
    assert.ok(url);
    sim.addFault('getFile', { kind: 'holdResponse' });
    const controller = new AbortController();
    const res = await fetch(url, { signal: controller.signal });
    assert.equal(res.status, 200);
    const total = Number(res.headers.get('content-length'));
    const reader = res.body?.getReader();
    assert.ok(reader);
    const first = (await reader.read()) as { value?: Uint8Array };
    const got = first.value?.length ?? 0;
    assert.ok(got > 0 && got < total, 'part of the body came');
    const held = sim.activity().held.find((h) => h.route === 'getFile');
    assert.equal(held?.state, 'holding');
    controller.abort();
    await until('the download to be cut off', () =>
      sim.activity().held.find((h) => h.route === 'getFile' && h.state === 'client-gone'),
    );
  });
});
