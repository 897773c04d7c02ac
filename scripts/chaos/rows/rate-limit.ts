/**
 * Rate limit: the simulator enforces a per-workspace request rate; the fleet shares the same budget
 * through FLORA_MAX_REQUESTS_PER_SECOND ÷ FLORA_WORKERS per worker (local-activity polls included) and
 * Temporal's task-queue activity rate limit. With demand far
 * above the limit, 429s must stay near zero and throughput must match the limit.
 */
import { figure, type ChaosContext, type RowResult } from '../context';
import { percentile } from '../figures';
import { loadedFleet, outcomeFigures, statusOf } from './common';

const params = (smoke: boolean) =>
  smoke
    ? { limit: 4, runs: 4, runMs: 4_000, workers: 1 }
    : // At 8/s with 40 runs a loaded 2-core machine could not make the demand (median 4/s, p95 8/s, on
      // 2026-11-28): a limit of 5/s and 60 runs keep demand well above the limit there too.
      { limit: 5, runs: 60, runMs: 30_000, workers: 3 };

/** Each worker takes its share (limit ÷ FLORA_WORKERS). */
const fleetEnv = (p: ReturnType<typeof params>): Record<string, string> => ({
  FLORA_MAX_REQUESTS_PER_SECOND: String(p.limit),
  FLORA_WORKERS: String(p.workers),
});

/** The row's workers, started ahead (smoke lanes): idle until the row's load, they send FLORA nothing. */
export function prestartRateLimit(ctx: ChaosContext): void {
  const p = params(ctx.options.smoke);
  ctx.prestart('rate', p.workers, fleetEnv(p));
}

export async function rateLimit(ctx: ChaosContext): Promise<RowResult> {
  const t0 = Date.now();
  const smoke = ctx.options.smoke;
  const p = params(smoke);
  await ctx.sim.reset();
  await ctx.sim.setRunDuration(p.runMs);
  await ctx.sim.setRateLimit(p.limit);
  // Each worker takes its share (limit ÷ FLORA_WORKERS): polls are local activities, which the task queue's
  // rate limit does not see (docs/operations.md).
  const { fleet, load, close } = await loadedFleet(ctx, p.workers, 'rate', { env: fleetEnv(p) });
  // Polls every 200–400 ms per run: demand is several times the limit.
  for (let i = 0; i < p.runs; i++) await load.startRun(i, { pollMinMs: 200, pollMaxMs: 400, deadline: '1h' });
  const outcomes = await ctx.timed('rate-limit: settled', () => load.settle(smoke ? 180_000 : 900_000));
  await close();
  const log = (await ctx.sim.requests()).filter((e) => e.route !== 'getFile');
  await ctx.sim.setRateLimit(null);
  const limited = log.filter((e) => e.outcome === 429).length;
  // Requests per whole second, over the middle of the run (ramp-up and the tail have less demand).
  const first = log[0]?.atMs ?? 0;
  const buckets = new Map<number, number>();
  for (const e of log)
    buckets.set(
      Math.floor((e.atMs - first) / 1000),
      (buckets.get(Math.floor((e.atMs - first) / 1000)) ?? 0) + 1,
    );
  const seconds = [...buckets.keys()].sort((a, b) => a - b);
  const middle = seconds.slice(Math.floor(seconds.length * 0.2), Math.ceil(seconds.length * 0.8));
  const perSecond = middle.map((s) => buckets.get(s) ?? 0);
  const median = percentile(perSecond, 50) ?? 0;
  const p95 = percentile(perSecond, 95) ?? 0;
  const figures = await outcomeFigures(ctx.sim, outcomes);
  figures.push(
    figure(
      '429s from the rate limit',
      `${limited} of ${log.length} requests (${((100 * limited) / Math.max(1, log.length)).toFixed(2)} %)`,
      '<= 1 %',
      limited <= log.length * 0.01,
    ),
    figure(
      'throughput (requests per second, middle of the run): median / p95',
      `${median} / ${p95} with the limit at ${p.limit}/s`,
      `median within 75–105 % of ${p.limit}${smoke ? ' (not judged at smoke load)' : ''}`,
      smoke ? undefined : median >= p.limit * 0.75 && median <= p.limit * 1.05,
    ),
  );
  await ctx.timed('rate-limit: workers stopped', () => fleet.stopAll());
  return {
    id: 'rate-limit',
    title: 'Rate limit',
    fault: `simulator limit ${p.limit} requests/s per workspace (429 beyond); FLORA_MAX_REQUESTS_PER_SECOND=${p.limit}, FLORA_WORKERS=${p.workers} on every worker`,
    load: `${p.runs} runs polling every 200–400 ms, ${p.workers} workers`,
    status: statusOf(figures),
    figures,
    seconds: (Date.now() - t0) / 1000,
  };
}
