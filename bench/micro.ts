/**
 * `npm run bench -- micro`: prints numbers, asserts nothing. Each measurement is compared with a baseline taken
 * in the same run, because these machines are noisy.
 *
 * 1. FLORA client overhead: polls through FloraClient (zod parse, error mapping, hooks) against bare
 *    undici requests with JSON.parse, same simulator, same pool size.
 * 2. Workflow fan-out: N concurrent runTechnique workflows on a real dev server and the simulator:
 *    wall time, FLORA requests, creates per key, worker heap, against the simulator's own run time.
 * 3. FLORA_MAX_REQUESTS_PER_SECOND: the FLORA request rate of the same load with the task-queue rate
 *    limit against the same load without it.
 */
import { Pool } from 'undici';
import { FloraClient } from '../src/flora/client';
import { runTechnique } from '../src/workflows';
import { startHarness, startWorker } from '../test/helpers/env';
import { startSimulator } from '../src/simulator';

const CLIENT_CALLS = Number(process.env.BENCH_CLIENT_CALLS ?? 3000);
const WORKFLOWS = Number(process.env.BENCH_WORKFLOWS ?? 40);

async function timed(
  label: string,
  calls: number,
  fn: () => Promise<unknown>,
  concurrency = 16,
): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < calls) {
        next += 1;
        await fn();
      }
    }),
  );
  const ms = performance.now() - started;
  const perSecond = Math.round((calls / ms) * 1000);
  console.log(`  ${label.padEnd(28)} ${calls} calls in ${ms.toFixed(0)} ms: ${perSecond} calls/s`);
  return perSecond;
}

async function benchClient(): Promise<void> {
  console.log('FLORA client overhead (poll of one run, 16 in flight):');
  const sim = await startSimulator({ runDurationMs: 60_000 });
  const flora = new FloraClient({ baseUrl: sim.baseUrl, apiKey: sim.apiKey, connections: 16 });
  const created = await flora.createRunNested({
    slug: 'text-to-image',
    inputs: [{ id: 'prompt', type: 'text', value: 'x' }],
  });
  const runId = created.data.run_id;
  const url = new URL(sim.baseUrl);
  const pool = new Pool(url.origin, { connections: 16 });
  const path = `${url.pathname}/techniques/text-to-image/runs/${runId}`;
  const raw = async () => {
    const res = await pool.request({
      method: 'GET',
      path,
      headers: { authorization: `Bearer ${sim.apiKey}` },
    });
    JSON.parse(await res.body.text());
  };
  const ours = () => flora.getRun({ technique: 'text-to-image', runId });
  await timed('warm-up', 300, raw);
  await timed('warm-up', 300, ours);
  const baseline = await timed('baseline: undici + JSON', CLIENT_CALLS, raw);
  const client = await timed('FloraClient.getRun', CLIENT_CALLS, ours);
  console.log(`  FloraClient throughput is ${((client / baseline) * 100).toFixed(0)} % of bare undici`);
  await pool.close();
  await flora.close();
  await sim.close();
}

async function benchWorkflows(): Promise<void> {
  console.log(`Workflow fan-out (${WORKFLOWS} concurrent runTechnique, simulated runs of 2 s):`);
  const h = await startHarness({ runDurationMs: 2_000 });
  const worker = await startWorker(h);
  try {
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const started = performance.now();
    const handles = await Promise.all(
      Array.from({ length: WORKFLOWS }, (_, i) =>
        h.env.client.workflow.start(runTechnique, {
          taskQueue: worker.taskQueue,
          workflowId: `bench-${Date.now()}-${i}`,
          args: [
            {
              technique: 'text-to-image',
              inputs: { prompt: `fox ${i}` },
              options: { pollMinMs: 200, pollMaxMs: 500 },
            },
          ],
        }),
      ),
    );
    const results = await Promise.all(handles.map((handle) => handle.result()));
    const wallMs = performance.now() - started;
    const heapAfter = process.memoryUsage().heapUsed;
    const stats = h.sim.stats();
    const perKey = Object.values(stats.createsByIdempotencyKey);
    console.log(
      `  wall time ${wallMs.toFixed(0)} ms for ${results.length} runs (baseline: one simulated run takes 2000 ms)`,
    );
    console.log(`  overhead over the run itself: ${(wallMs - 2000).toFixed(0)} ms`);
    console.log(
      `  FLORA requests ${Object.values(stats.requests).reduce((a, b) => a + b, 0)}, creates ${stats.runsCreated}, max creates per key ${Math.max(...perKey)}`,
    );
    console.log(`  polls per run: ${(results.reduce((s, r) => s + r.polls, 0) / results.length).toFixed(1)}`);
    console.log(
      `  bench process heap: ${(heapBefore / 2 ** 20).toFixed(0)} MiB before, ${(heapAfter / 2 ** 20).toFixed(0)} MiB after`,
    );
  } finally {
    await worker.stop();
    await h.close();
  }
}

/** Peak FLORA requests in any one-second window while `load` runs. */
async function peakRate(
  h: Awaited<ReturnType<typeof startHarness>>,
  load: () => Promise<unknown>,
): Promise<{ peak: number; total: number; ms: number }> {
  const total = () => Object.values(h.sim.stats().requests).reduce((a, b) => a + b, 0);
  const samples: number[] = [];
  const started = performance.now();
  const timer = setInterval(() => samples.push(total()), 250);
  await load();
  clearInterval(timer);
  samples.push(total());
  let peak = 0;
  for (let i = 4; i < samples.length; i++) peak = Math.max(peak, (samples[i] ?? 0) - (samples[i - 4] ?? 0));
  return { peak, total: total(), ms: performance.now() - started };
}

async function benchRateLimit(): Promise<void> {
  const limit = Number(process.env.BENCH_RATE_LIMIT ?? 4);
  console.log(
    `Task-queue rate limit (${WORKFLOWS} workflows, FLORA_MAX_REQUESTS_PER_SECOND=${limit} vs none):`,
  );
  const h = await startHarness({ runDurationMs: 1_500 });
  try {
    for (const maxRequestsPerSecond of [undefined, limit]) {
      h.sim.reset();
      const queue = `bench-rate-${maxRequestsPerSecond ?? 'none'}-${Date.now()}`;
      const worker = await startWorker(
        h,
        queue,
        h.flora,
        maxRequestsPerSecond === undefined ? {} : { maxRequestsPerSecond },
      );
      const r = await peakRate(h, () =>
        Promise.all(
          Array.from({ length: WORKFLOWS }, (_, i) =>
            h.env.client.workflow
              .start(runTechnique, {
                taskQueue: queue,
                workflowId: `${queue}-${i}`,
                args: [
                  {
                    technique: 'text-to-speech',
                    inputs: { text: `t${i}` },
                    options: { pollMinMs: 200, pollMaxMs: 400 },
                  },
                ],
              })
              .then((handle) => handle.result()),
          ),
        ),
      );
      await worker.stop();
      console.log(
        `  ${maxRequestsPerSecond === undefined ? 'no limit  ' : `limit ${maxRequestsPerSecond}/s`}: peak ${r.peak} requests in any 1 s, ` +
          `${r.total} requests in ${(r.ms / 1000).toFixed(1)} s (${(r.total / (r.ms / 1000)).toFixed(1)}/s average)`,
      );
    }
  } finally {
    await h.close();
  }
}

export async function runMicro(): Promise<void> {
  await benchClient();
  await benchWorkflows();
  await benchRateLimit();
}
