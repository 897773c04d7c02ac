/**
 * The adaptive FLORA request limiter against the simulator's per-workspace rate limit: three workers
 * (each its own FLORA client, limiter and activities, as three processes would have) each starting at
 * twice FLORA's real limit, as when FLORA_MAX_REQUESTS_PER_SECOND is set too high and FLORA_WORKERS=1
 * while an autoscaler runs three. FLORA's 429s
 * must bring them under the limit together: the share of 429s falls once they have adapted. Counts, not
 * timings: the outcome of every request comes from the simulator's own request log, in arrival order.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Logger } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../src/activities';
import { RequestRateLimiter } from '../src/activities/rate-limit';
import { FloraClient } from '../src/flora/client';
import { startSimulator, type FloraSimulator } from '../src/simulator';

/** FLORA's limit, and the share each worker starts with: six times over the limit together. */
const LIMIT_PER_SECOND = 2;
const START_SHARE = 4;
const WORKERS = 3;
const REQUESTS_PER_WORKER = 30;

const noop = (): void => {};
const quietLogger: Logger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };

let sim: FloraSimulator;
const clients: FloraClient[] = [];

before(async () => {
  sim = await startSimulator({ runDurationMs: 1_000 });
});
after(async () => {
  for (const c of clients) await c.close();
  await sim.close();
});

/** Same spacing, no adaptation: what the fleet did before 429s fed back into the limiter. */
class FixedRateLimiter extends RequestRateLimiter {
  override rateLimited(): void {}
}

/** WORKERS workers poll one run REQUESTS_PER_WORKER times each; the outcomes in arrival order. */
async function fleet(runId: string, limiters: RequestRateLimiter[]): Promise<(number | string)[]> {
  const seqBefore = sim.requests(0).last;
  await Promise.all(
    limiters.map(async (limiter) => {
      const flora = new FloraClient({ baseUrl: sim.baseUrl, apiKey: sim.apiKey });
      clients.push(flora);
      const acts = createActivities({ flora, limiter });
      const env = new MockActivityEnvironment({}, { logger: quietLogger });
      for (let i = 0; i < REQUESTS_PER_WORKER; i += 1) {
        try {
          await env.run(() => acts.pollRunOnce({ technique: 'text-to-image', runId }));
        } catch (err) {
          // A 429 is a retryable failure for Temporal to retry; here the loop simply goes on.
          if (!(err instanceof Error && /rate_limited/.test(`${err.name} ${err.message}`))) throw err;
        }
      }
    }),
  );
  return sim.requests(seqBefore).entries.map((e) => e.outcome);
}

const share429 = (part: (number | string)[]) => part.filter((o) => o === 429).length / part.length;
const pct = (x: number) => `${(x * 100).toFixed(0)} %`;

test('workers over FLORA’s limit converge under it on its 429s: the share of 429s falls', async () => {
  const setup = new FloraClient({ baseUrl: sim.baseUrl, apiKey: sim.apiKey });
  clients.push(setup);
  const created = await setup.createRunNested({
    slug: 'text-to-image',
    inputs: [{ id: 'prompt', type: 'text', value: 'a heron' }],
    idempotencyKey: 'adaptive-limit',
  });
  const runId = created.data.run_id;
  sim.setRateLimit(LIMIT_PER_SECOND);

  // Without adaptation the fleet stays over the limit throughout.
  const fixed = await fleet(
    runId,
    Array.from({ length: WORKERS }, () => new FixedRateLimiter(START_SHARE, 60_000)),
  );
  sim.setRateLimit(LIMIT_PER_SECOND); // a fresh bucket
  const limiters = Array.from({ length: WORKERS }, () => new RequestRateLimiter(START_SHARE, 60_000));
  const adaptive = await fleet(runId, limiters);

  for (const outcome of [...fixed, ...adaptive])
    assert.ok(outcome === 200 || outcome === 429, `unexpected ${outcome}`);
  // Every request reached FLORA (the limiter never refused one: its wait bound is 60 s here).
  assert.equal(fixed.length, WORKERS * REQUESTS_PER_WORKER);
  assert.equal(adaptive.length, WORKERS * REQUESTS_PER_WORKER);
  const third = Math.floor(adaptive.length / 3);
  const first = share429(adaptive.slice(0, third));
  const last = share429(adaptive.slice(-third));
  const report = `429s: fixed ${pct(share429(fixed))}; adaptive first third ${pct(first)}, last third ${pct(last)} (${adaptive.join(',')})`;
  assert.ok(share429(fixed) >= 0.4, `the fleet is over the limit: ${report}`);
  for (const limiter of limiters) assert.ok(limiter.cuts >= 1, `every worker slowed down: ${report}`);
  assert.ok(last < first, report);
  assert.ok(last <= share429(fixed) / 2, report);
});
