/**
 * The FLORA activities inside MockActivityEnvironment (a mocked activity context, real HTTP) against
 * the simulator, including how every FLORA failure becomes an ApplicationFailure.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { Info } from '@temporalio/activity';
import { ApplicationFailure, type Logger } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities, type CreateRunRequest, type LegacyFloraActivities } from '../src/activities';
import type { FloraFailureDetails } from '../src/activities/failures';
import { FloraClient } from '../src/flora/client';
import { FailureType } from '../src/domain/failures';
import {
  MAX_RETRY_AFTER_MS,
  MIN_RETRY_DELAY_MS,
  UNKNOWN_CREATE_RETRY_DELAY_MS,
} from '../src/domain/retry-delays';
import { DEFAULT_WORKSPACE_ID, startSimulator, type FloraSimulator } from '../src/simulator';
import { closedPort, sendJson, startHttpStub, type HttpStub, type StubHandler } from './helpers/http-stub';

const RUN_DURATION_MS = 150;
const PROMPT = [{ id: 'prompt', type: 'text', value: 'a red fox in the snow' }];
const SCHEDULED_AT_MS = 1_760_000_000_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const noop = (): void => {};
const quietLogger: Logger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };

/** Runs `fn` (which calls one activity) inside the mock activity context, keeping its result type. */
function inActivity<T>(fn: () => Promise<T>, environment: MockActivityEnvironment = env): Promise<T> {
  return environment.run<[], T, () => Promise<T>>(fn);
}

function mockEnv(info: Partial<Info> = {}): MockActivityEnvironment {
  return new MockActivityEnvironment(
    { scheduledTimestampMs: SCHEDULED_AT_MS, ...info },
    { logger: quietLogger },
  );
}

let sim: FloraSimulator;
let flora: FloraClient;
let acts: LegacyFloraActivities;
let env: MockActivityEnvironment;
const closers: Array<() => Promise<void>> = [];

before(async () => {
  sim = await startSimulator({ runDurationMs: RUN_DURATION_MS });
  flora = new FloraClient({ baseUrl: sim.baseUrl, apiKey: sim.apiKey, timeoutMs: 2_000 });
  acts = createActivities({ flora });
  env = mockEnv();
});

after(async () => {
  await Promise.all(closers.map((close) => close()));
  await flora.close();
  await sim.close();
});

beforeEach(() => sim.reset());

/** Activities around a client of their own (closed after the file), e.g. for another server. */
function activitiesFor(baseUrl: string, apiKey = sim.apiKey): LegacyFloraActivities {
  const client = new FloraClient({ baseUrl, apiKey, timeoutMs: 2_000 });
  closers.push(() => client.close());
  return createActivities({ flora: client });
}

async function stub(handler: StubHandler): Promise<HttpStub> {
  const s = await startHttpStub(handler);
  closers.push(() => s.close());
  return s;
}

/** Awaits an activity expected to fail and returns its ApplicationFailure and the FLORA details. */
async function failureOf(
  call: Promise<unknown>,
): Promise<{ failure: ApplicationFailure; details: FloraFailureDetails }> {
  try {
    await call;
  } catch (err) {
    assert.ok(err instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(err)}`);
    const details = err.details?.[0] as FloraFailureDetails | undefined;
    assert.ok(details, 'the failure should carry FLORA details');
    return { failure: err, details };
  }
  assert.fail('expected the activity to fail');
}

function assertNoKey(failure: ApplicationFailure, details: FloraFailureDetails, key: string): void {
  assert.ok(!failure.message.includes(key), `the key leaked into the message: ${failure.message}`);
  assert.ok(!JSON.stringify(details).includes(key), 'the key leaked into the details');
  assert.ok(!JSON.stringify(failure.details).includes(key), 'the key leaked into the details');
}

describe('getTechnique', () => {
  test('maps the schema to TechniqueInfo', async () => {
    const info = await inActivity(() => acts.getTechnique('image-to-video'));
    assert.equal(info.techniqueId, 'tech_img2vid01');
    assert.equal(info.slug, 'image-to-video');
    assert.equal(info.name, 'Image to Video');
    assert.equal(info.description, 'Animate a still image into a short clip.');
    assert.equal(info.runCost, 0.25);
    assert.deepEqual(
      info.inputs.map(({ id, name, type, optional }) => ({ id, name, type, optional })),
      [
        { id: 'input_image', name: 'Input Image', type: 'imageUrl', optional: false },
        { id: 'prompt', name: 'Motion Prompt', type: 'text', optional: true },
      ],
    );
    assert.deepEqual(
      info.outputs.map(({ id, type, optional }) => ({ id, type, optional })),
      [{ id: 'video', type: 'videoUrl', optional: false }],
    );
  });

  test('by tech_ id keeps the slug FLORA reports', async () => {
    const info = await inActivity(() => acts.getTechnique('tech_txt2img01'));
    assert.equal(info.techniqueId, 'tech_txt2img01');
    assert.equal(info.slug, 'text-to-image');
    assert.equal(info.inputs.find((s) => s.id === 'negative_prompt')?.optional, true);
  });
});

describe('createRun', () => {
  test('nested route: created, then a replay of the same key', async () => {
    const req: CreateRunRequest = {
      route: 'nested',
      slug: 'text-to-image',
      inputs: PROMPT,
      idempotencyKey: 'act-nested',
    };
    const first = await inActivity(() => acts.createRun(req));
    assert.equal(first.kind, 'created');
    assert.ok(first.kind === 'created');
    assert.match(first.runId, /^run_/);
    assert.match(first.pollUrl ?? '', /\/techniques\/text-to-image\/runs\/run_/);
    assert.equal(first.replayed, false);
    assert.match(first.requestId ?? '', /^req_/);

    const again = await inActivity(() => acts.createRun(req));
    assert.ok(again.kind === 'created');
    assert.equal(again.runId, first.runId);
    assert.equal(again.replayed, true);
    assert.equal(sim.stats().createsByIdempotencyKey['act-nested'], 1);
  });

  test('top-level route: created with cost and estimate', async () => {
    const res = await inActivity(() =>
      acts.createRun({
        route: 'top-level',
        techniqueId: 'tech_txt2img01',
        workspaceId: DEFAULT_WORKSPACE_ID,
        inputs: { prompt: 'a red fox in the snow' },
        idempotencyKey: 'act-top',
      }),
    );
    assert.ok(res.kind === 'created', res.kind);
    assert.match(res.runId, /^run_/);
    assert.equal(res.chargedCost, 0.04);
    assert.equal(res.estimatedSeconds, RUN_DURATION_MS / 1000);
    assert.equal(res.replayed, false);
    assert.equal(sim.stats().createsByIdempotencyKey['act-top'], 1);
  });

  test('409 idempotency_duplicate is reported as duplicate with the first attempt time', async () => {
    sim.setIdempotencyMode('conflict');
    const req: CreateRunRequest = {
      route: 'nested',
      slug: 'text-to-image',
      inputs: PROMPT,
      idempotencyKey: 'act-409',
    };
    const first = await inActivity(() => acts.createRun(req));
    assert.equal(first.kind, 'created');

    // A later attempt of the same activity: the run was created after the *first* attempt was scheduled.
    const retryEnv = mockEnv({ attempt: 2, currentAttemptScheduledTimestampMs: SCHEDULED_AT_MS + 30_000 });
    const again = await inActivity(() => acts.createRun(req), retryEnv);
    assert.ok(again.kind === 'duplicate', again.kind);
    assert.equal(again.firstAttemptAtMs, SCHEDULED_AT_MS);
    assert.match(again.requestId ?? '', /^req_/);
    assert.equal(sim.stats().createsByIdempotencyKey['act-409'], 1);
  });

  test('a 409 with code conflict, or with no envelope, is a duplicate too: the paid run is looked for, not dropped', async () => {
    for (const body of [{ error: { code: 'conflict', message: 'A run with this key exists' } }, undefined]) {
      const s = await stub((_req, res) =>
        body === undefined
          ? res.writeHead(409, { 'request-id': 'req_stub' }).end('')
          : sendJson(res, 409, body),
      );
      const req: CreateRunRequest = {
        route: 'nested',
        slug: 'text-to-image',
        inputs: PROMPT,
        idempotencyKey: 'k',
      };
      const result = await inActivity(() => activitiesFor(s.baseUrl).createRun(req));
      assert.equal(result.kind, 'duplicate');
    }
  });

  test('422 idempotency_conflict is thrown, non-retryable', async () => {
    const base = { route: 'nested', slug: 'text-to-image', idempotencyKey: 'act-422' } as const;
    await inActivity(() => acts.createRun({ ...base, inputs: PROMPT }));
    const { failure, details } = await failureOf(
      inActivity(() => acts.createRun({ ...base, inputs: [{ id: 'prompt', type: 'text', value: 'other' }] })),
    );
    assert.equal(failure.type, FailureType.IdempotencyConflict);
    assert.equal(failure.nonRetryable, true);
    assert.equal(details.status, 422);
  });
});

describe('pollRunOnce', () => {
  test('returns snapshots until the run completes with outputs', async () => {
    const created = await inActivity(() =>
      acts.createRun({
        route: 'nested',
        slug: 'text-to-image',
        inputs: PROMPT,
        idempotencyKey: 'act-poll',
      }),
    );
    assert.ok(created.kind === 'created');
    const req = { technique: 'text-to-image', runId: created.runId, pollUrl: created.pollUrl };

    const early = await inActivity(() => acts.pollRunOnce(req));
    assert.equal(early.runId, created.runId);
    assert.equal(early.terminal, false);
    assert.ok(['pending', 'running'].includes(early.status), early.status);
    assert.deepEqual(early.outputs, []);
    assert.equal(early.errorCode, undefined);

    await sleep(RUN_DURATION_MS + 50);
    const done = await inActivity(() => acts.pollRunOnce(req));
    assert.equal(done.status, 'completed');
    assert.equal(done.terminal, true);
    assert.equal(done.progress, 100);
    assert.equal(done.chargedCost, 0.04);
    assert.equal(done.outputs.length, 1);
    assert.equal(done.outputs[0]?.outputId, 'image');
    assert.equal(done.outputs[0]?.type, 'imageUrl');
    assert.match(done.outputs[0]?.url ?? '', /^https:\/\//);
    assert.equal(done.pollUrl, created.pollUrl);
  });

  test('a failed run is terminal and carries its error code', async () => {
    sim.queueRunFailure('text-to-image', 'safety_blocked');
    const created = await inActivity(() =>
      acts.createRun({
        route: 'nested',
        slug: 'text-to-image',
        inputs: PROMPT,
        idempotencyKey: 'act-fail',
      }),
    );
    assert.ok(created.kind === 'created');
    await sleep(RUN_DURATION_MS + 50);
    const snap = await inActivity(() =>
      acts.pollRunOnce({ technique: 'text-to-image', runId: created.runId }),
    );
    assert.equal(snap.status, 'failed');
    assert.equal(snap.terminal, true);
    assert.equal(snap.errorCode, 'safety_blocked');
    assert.ok(snap.errorMessage);
    assert.deepEqual(snap.outputs, []);
  });

  test('an answer about another run is a retryable protocol failure', async () => {
    const s = await stub((_req, res) => sendJson(res, 200, { run_id: 'run_other', status: 'running' }));
    const { failure, details } = await failureOf(
      inActivity(() =>
        activitiesFor(s.baseUrl).pollRunOnce({ technique: 'text-to-image', runId: 'run_mine' }),
      ),
    );
    assert.equal(failure.type, FailureType.ProtocolError);
    assert.equal(failure.nonRetryable, false);
    assert.equal(details.code, FailureType.ProtocolError);
  });
});

describe('findRecentRuns', () => {
  test('returns only runs of that technique created since createdSinceMs', async () => {
    const create = (slug: string, value: string, key: string) =>
      inActivity(() =>
        acts.createRun({
          route: 'nested',
          slug,
          inputs:
            slug === 'cctv-cam'
              ? [{ id: 'input_image', type: 'imageUrl', value }]
              : [{ id: 'prompt', type: 'text', value }],
          idempotencyKey: key,
        }),
      );
    const older = await create('text-to-image', 'an older fox', 'find-1');
    await sleep(20);
    const since = Date.now();
    await sleep(5);
    const recent = await create('text-to-image', 'a recent fox', 'find-2');
    await create('cctv-cam', 'https://example.com/cam.png', 'find-3');
    assert.ok(older.kind === 'created' && recent.kind === 'created');

    const found = await inActivity(() =>
      acts.findRecentRuns({
        techniqueId: 'tech_txt2img01',
        createdSinceMs: since,
      }),
    );
    assert.deepEqual(
      found.candidates.map((c) => c.runId),
      [recent.runId],
    );
    const [candidate] = found.candidates;
    assert.ok(candidate);
    assert.ok((candidate.createdAtMs ?? 0) >= since, 'createdAtMs is epoch milliseconds');
    assert.ok(['pending', 'running'].includes(candidate.status));
    assert.equal(found.nextCursor, undefined, 'an older run was reached: no need for another page');

    const everything = await inActivity(() =>
      acts.findRecentRuns({
        techniqueId: 'tech_txt2img01',
        createdSinceMs: 0,
      }),
    );
    assert.deepEqual(
      everything.candidates.map((c) => c.runId),
      [recent.runId, older.runId],
    );
  });
});

describe('failure mapping', () => {
  test('404 is not_found, non-retryable, with status, code and request id in details', async () => {
    const { failure, details } = await failureOf(inActivity(() => acts.getTechnique('no-such-technique')));
    assert.equal(failure.type, FailureType.NotFound);
    assert.equal(failure.nonRetryable, true);
    assert.equal(details.status, 404);
    assert.equal(details.code, FailureType.NotFound);
    assert.match(details.requestId ?? '', /^req_/);
    assert.equal(details.route, 'GET /techniques/{id}');
    assert.match(failure.message, /request-id req_/);
    assertNoKey(failure, details, sim.apiKey);
  });

  test('429 is rate_limited, retryable, with nextRetryDelay from retry-after', async () => {
    sim.addFault('getTechnique', { kind: 'rateLimit', retryAfterSeconds: 2 });
    const { failure, details } = await failureOf(inActivity(() => acts.getTechnique('text-to-image')));
    assert.equal(failure.type, FailureType.RateLimited);
    assert.equal(failure.nonRetryable, false);
    assert.equal(failure.nextRetryDelay, 2_000);
    assert.equal(details.status, 429);
    assert.match(details.requestId ?? '', /^req_/);
    assertNoKey(failure, details, sim.apiKey);
  });

  test('429 without retry-after waits the 5 s default', async () => {
    sim.addFault('getRun', { kind: 'rateLimit', retryAfterSeconds: null });
    const { failure } = await failureOf(
      inActivity(() => acts.pollRunOnce({ technique: 'text-to-image', runId: 'run_x' })),
    );
    assert.equal(failure.type, FailureType.RateLimited);
    assert.equal(failure.nextRetryDelay, 5_000);
  });

  test('503 is retryable', async () => {
    sim.addFault('listRuns', { kind: 'status5xx', status: 503 });
    const { failure, details } = await failureOf(
      inActivity(() => acts.findRecentRuns({ techniqueId: 'tech_txt2img01', createdSinceMs: 0 })),
    );
    assert.equal(failure.type, FailureType.ServiceUnavailable);
    assert.equal(failure.nonRetryable, false);
    assert.equal(details.status, 503);
    assert.equal(details.code, FailureType.ServiceUnavailable);
    assert.match(details.requestId ?? '', /^req_/);
    assertNoKey(failure, details, sim.apiKey);
  });

  test('402 is insufficient_credits, non-retryable, telling the operator to top up', async () => {
    const poor = await startSimulator({ runDurationMs: RUN_DURATION_MS, credits: 0.01 });
    closers.push(() => poor.close());
    const { failure, details } = await failureOf(
      inActivity(() =>
        activitiesFor(poor.baseUrl, poor.apiKey).createRun({
          route: 'nested',
          slug: 'image-to-video',
          inputs: [{ id: 'input_image', type: 'imageUrl', value: 'https://example.com/photo.png' }],
          idempotencyKey: 'act-402',
        }),
      ),
    );
    assert.equal(failure.type, FailureType.InsufficientCredits);
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, /top up/);
    assert.equal(details.status, 402);
    assert.equal(details.code, FailureType.InsufficientCredits);
    assert.match(details.requestId ?? '', /^req_/);
    assert.equal(poor.stats().runsCreated, 0);
    assertNoKey(failure, details, poor.apiKey);
  });

  test('400 input_validation_error is non-retryable and lists the fields', async () => {
    const { failure, details } = await failureOf(
      inActivity(() =>
        acts.createRun({
          route: 'top-level',
          techniqueId: 'txt2img01',
          workspaceId: 'simulator',
          inputs: { prompt: 'x' },
          idempotencyKey: 'act-400',
        }),
      ),
    );
    assert.equal(failure.type, FailureType.InputValidationError);
    assert.equal(failure.nonRetryable, true);
    assert.deepEqual(details.fields.map((f) => f.field).sort(), ['technique_id', 'workspace_id']);
  });

  test('a network error is flora_network_error, retryable', async () => {
    const port = await closedPort();
    const { failure, details } = await failureOf(
      inActivity(() => activitiesFor(`http://127.0.0.1:${port}/api/v1`).getTechnique('text-to-image')),
    );
    assert.equal(failure.type, FailureType.NetworkError);
    assert.equal(failure.nonRetryable, false);
    assert.equal(details.status, undefined);
    assert.equal(details.code, FailureType.NetworkError);
    assertNoKey(failure, details, sim.apiKey);
  });

  test('retry-after is honoured within [1 s, 120 s], on 429 and on 503', async () => {
    const delayFor = async (fault: Parameters<FloraSimulator['addFault']>[1]): Promise<unknown> => {
      sim.addFault('getTechnique', fault);
      const { failure } = await failureOf(inActivity(() => acts.getTechnique('text-to-image')));
      assert.equal(failure.nonRetryable, false);
      return failure.nextRetryDelay;
    };
    assert.equal(await delayFor({ kind: 'rateLimit', retryAfterSeconds: 0 }), MIN_RETRY_DELAY_MS);
    assert.equal(await delayFor({ kind: 'rateLimit', retryAfterSeconds: 45 }), 45_000);
    assert.equal(await delayFor({ kind: 'rateLimit', retryAfterSeconds: 3_600 }), MAX_RETRY_AFTER_MS);
    assert.equal(await delayFor({ kind: 'status5xx', status: 503, retryAfterSeconds: 3 }), 3_000);
    assert.equal(MAX_RETRY_AFTER_MS, 120_000);
  });

  test('5xx without retry-after backs off 1 s doubling to 30 s, by attempt', async () => {
    for (const [attempt, expected] of [
      [1, 1_000],
      [4, 8_000],
      [9, 30_000],
    ] as const) {
      sim.addFault('getTechnique', { kind: 'status5xx', status: 500 });
      const { failure } = await failureOf(
        inActivity(() => acts.getTechnique('text-to-image'), mockEnv({ attempt })),
      );
      assert.equal(failure.nextRetryDelay, expected, `attempt ${attempt}`);
    }
  });

  test('a create with no answer is retried only after the unknown-outcome delay; a read, or a refused connection, at once', async () => {
    const silent = await stub(() => undefined); // reads the request, never answers
    const slowActs = (() => {
      const client = new FloraClient({
        baseUrl: silent.baseUrl,
        apiKey: sim.apiKey,
        timeoutMs: 200,
      });
      closers.push(() => client.close());
      return createActivities({ flora: client });
    })();
    const create: CreateRunRequest = {
      route: 'nested',
      slug: 'text-to-image',
      inputs: PROMPT,
      idempotencyKey: 'act-unknown',
    };
    const timedOut = await failureOf(inActivity(() => slowActs.createRun(create)));
    assert.equal(timedOut.failure.type, FailureType.Timeout);
    assert.equal(timedOut.failure.nextRetryDelay, UNKNOWN_CREATE_RETRY_DELAY_MS);
    assert.match(timedOut.failure.message, /may still be processing/);
    const read = await failureOf(inActivity(() => slowActs.getTechnique('text-to-image')));
    assert.equal(read.failure.type, FailureType.Timeout);
    assert.equal(read.failure.nextRetryDelay, 1_000);
    const port = await closedPort();
    const refused = await failureOf(
      inActivity(() => activitiesFor(`http://127.0.0.1:${port}/api/v1`).createRun(create)),
    );
    assert.equal(refused.failure.type, FailureType.NetworkError);
    assert.equal(refused.failure.nextRetryDelay, 1_000, 'FLORA never saw it: no reason to wait');
    assert.equal(UNKNOWN_CREATE_RETRY_DELAY_MS, 120_000);
  });

  test('cancelling the activity does not abort a create FLORA is processing', async () => {
    const slow = await startSimulator({ runDurationMs: RUN_DURATION_MS, createLatencyMs: 600 });
    closers.push(() => slow.close());
    const slowActs = activitiesFor(slow.baseUrl, slow.apiKey);
    const activity = mockEnv();
    const running = inActivity(
      () =>
        slowActs.createRun({
          route: 'nested',
          slug: 'text-to-image',
          inputs: PROMPT,
          idempotencyKey: 'act-cancel',
        }),
      activity,
    );
    await sleep(150);
    activity.cancel('WORKER_SHUTDOWN');
    const res = await running;
    assert.equal(res.kind, 'created');
    assert.equal(slow.stats().runsCreated, 1);
  });

  test('a wrong key (401) never appears in the failure', async () => {
    const wrongKey = 'sk_test_not_a_real_key_77';
    const { failure, details } = await failureOf(
      inActivity(() => activitiesFor(sim.baseUrl, wrongKey).getTechnique('text-to-image')),
    );
    assert.equal(failure.type, FailureType.InvalidApiKey);
    assert.equal(failure.nonRetryable, true);
    assertNoKey(failure, details, wrongKey);
  });

  test('an error body echoing the key is redacted all the way to the failure', async () => {
    const secret = 'sk_live_echo_me_31337';
    const s = await stub((_req, res) =>
      sendJson(res, 403, {
        error: {
          code: 'forbidden',
          message: `Key ${secret} has no access`,
          fields: [{ field: 'authorization', message: `Bearer ${secret}` }],
        },
      }),
    );
    const { failure, details } = await failureOf(
      inActivity(() =>
        activitiesFor(s.baseUrl, secret).pollRunOnce({ technique: 'text-to-image', runId: 'run_x' }),
      ),
    );
    assert.equal(failure.type, FailureType.Forbidden);
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, /\[redacted\]/);
    assertNoKey(failure, details, secret);
  });
});
