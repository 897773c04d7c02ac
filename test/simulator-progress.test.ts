/**
 * The simulator's 'noisy' progress model and per-run durations, over a real socket with a controlled
 * clock: progress never decreases, is not a straight line, reaches 100 only when the run completes,
 * and estimated_seconds is an estimate, not the truth.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startSimulator, type FloraSimulator, type RunObject } from '../src/simulator';

let clock = 1_700_000_000_000;
let sim: FloraSimulator;
const durations: Record<string, number> = { short: 10_000, long: 600_000 };

before(async () => {
  sim = await startSimulator({
    progress: 'noisy',
    seed: 7,
    now: () => clock,
    runDurationFor: ({ inputs }) => durations[inputs.prompt ?? ''],
  });
});
after(() => sim.close());

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${sim.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${sim.apiKey}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as T;
}

test('runDurationFor sets each run its own length; others keep runDurationMs', async () => {
  const started = clock;
  const make = (prompt: string) =>
    call<RunObject>('POST', '/techniques/text-to-image/runs', {
      inputs: [{ id: 'prompt', type: 'text', value: prompt }],
      mode: 'async',
    });
  const [short, long, other] = await Promise.all([make('short'), make('long'), make('anything')]);
  clock = started + 600_000;
  for (const [run, ms] of [
    [short, 10_000],
    [long, 600_000],
    [other, 1_500],
  ] as const) {
    const view = sim.getRun(run.run_id);
    assert.equal(view?.status, 'completed');
    assert.equal(Math.round(((view?.completed_at ?? 0) - (view?.created_at ?? 0)) * 1000), ms);
  }
});

test('noisy progress: monotone, not linear, 100 only at completion; estimated_seconds is off', async () => {
  let estimatesOff = 0;
  let farFromLinear = 0;
  for (let i = 0; i < 12; i += 1) {
    const created = await call<{ run_id: string; estimated_seconds: number }>('POST', '/runs/technique', {
      technique_id: 'tech_txt2img01',
      workspace_id: 'ws_simulator',
      inputs: { prompt: 'long' },
    });
    if (Math.abs(created.estimated_seconds - 600) > 30) estimatesOff += 1;
    const createdAt = clock;
    let last = -1;
    for (let t = 0; t <= 600_000; t += 10_000) {
      clock = createdAt + t;
      const run = await call<RunObject>('GET', `/techniques/tech_txt2img01/runs/${created.run_id}`);
      assert.ok(run.progress >= last, `progress went from ${last} to ${run.progress}`);
      last = run.progress;
      if (t < 600_000) assert.ok(run.progress < 100 && run.status !== 'completed');
      else assert.equal(run.status, 'completed');
      // Linear would be (t - pending) / running: pending is 20 % of the run.
      const linear = Math.max(0, Math.floor(((t - 120_000) / 480_000) * 100));
      if (t < 600_000 && Math.abs(run.progress - linear) >= 15) farFromLinear += 1;
    }
    assert.equal(last, 100);
  }
  assert.ok(estimatesOff >= 6, `only ${estimatesOff} of 12 estimates were off by more than 5 %`);
  assert.ok(farFromLinear >= 20, `only ${farFromLinear} samples were 15 points or more off linear`);
});
