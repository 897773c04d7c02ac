/**
 * Deploys: three workers on one task queue, restarted one at a time with SIGTERM every few seconds
 * for the whole run (a Kubernetes rollout), while the simulator's idempotency is non-atomic (two
 * concurrent creates with one key may both bill, as FLORA documents). A create aborted mid-flight by a
 * stopping worker shows up in the simulator's request log as an answer nobody read.
 */
import { figure, type ChaosContext, type RowResult } from '../context';
import { sleep } from '../procs';
import { loadedFleet, outcomeFigures, statusOf } from './common';

const params = (smoke: boolean) =>
  smoke
    ? // One worker and one rollout step (a new worker up, then the old one SIGTERMed): the mechanism,
      // at a third of the worker starts (most of a smoke row's CPU).
      { runs: 3, pipelines: 1, runMs: 6_000, restarts: 1, workers: 1 }
    : { runs: 60, pipelines: 3, runMs: 40_000, restarts: 30, workers: 3 };

/** The row's first workers, started ahead (smoke lanes): the rollout's new workers start in the row. */
export function prestartDeploys(ctx: ChaosContext): void {
  ctx.prestart('deploy', params(ctx.options.smoke).workers);
}

export async function deploys(ctx: ChaosContext): Promise<RowResult> {
  const t0 = Date.now();
  const smoke = ctx.options.smoke;
  const rng = ctx.rng.fork('deploys');
  const p = params(smoke);
  await ctx.sim.reset();
  const mode = 'non-atomic';
  if (!(await ctx.sim.trySetIdempotencyMode(mode)))
    throw new Error('the simulator refused its non-atomic idempotency mode');
  await ctx.sim.setRunDuration(p.runMs);
  // Creates whose answer takes a while (after billing), so a rollout catches some in flight.
  await ctx.sim.addFault('createRunNested', { kind: 'slowResponse', rate: 0.4, latencyMs: 1_500 });
  const { fleet, load, close } = await loadedFleet(ctx, p.workers, 'deploy');
  const options = { pollMinMs: 1_000, pollMaxMs: 4_000, deadline: '1h' };
  const starting = (async () => {
    for (let j = 0; j < p.pipelines; j++) await load.startPipeline(j, { pollMinMs: 1_000, pollMaxMs: 4_000 });
    for (let i = 0; i < p.runs; i++) {
      await load.startRun(i, options);
      await sleep(rng.int(0, smoke ? 500 : 800));
    }
  })();
  let restarts = 0;
  while (restarts < p.restarts) {
    await sleep(rng.int(2_000, 5_000));
    const oldest = fleet.workers[0];
    if (!oldest) break;
    // A rollout starts the new pod, waits for it to be ready, then stops an old one.
    const fresh = fleet.start(true);
    await ctx.timed('deploys: new worker ready', () => fresh.ready.catch(() => undefined));
    await ctx.timed('deploys: old worker SIGTERMed and gone', () => fleet.terminate(oldest));
    restarts += 1;
  }
  await starting;
  const outcomes = await ctx.timed('deploys: settled', () => load.settle(smoke ? 180_000 : 900_000));
  await close();
  const log = await ctx.sim.requests();
  const aborted = log.filter(
    (e) => (e.route === 'createRunNested' || e.route === 'createRunTopLevel') && e.outcome === 'aborted',
  ).length;
  const figures = await outcomeFigures(ctx.sim, outcomes);
  figures.push(
    figure('creates aborted mid-flight (answer written to a closed connection)', aborted, '0', aborted === 0),
    figure('rolling SIGTERM restarts', restarts, `${p.restarts}`, restarts >= p.restarts),
    figure('worker exits not caused by the harness', fleet.unexpectedExits, '0', fleet.unexpectedExits === 0),
  );
  await ctx.timed('deploys: workers stopped', () => fleet.stopAll());
  await ctx.sim.clearFaults();
  await ctx.sim.reset();
  return {
    id: 'deploys',
    title: 'Deploys (rolling restarts)',
    fault: `${p.workers} worker${p.workers > 1 ? 's' : ''}, one SIGTERMed and replaced every 2–5 s; simulator idempotency ${mode} (two creates racing with one key may both bill); 40% of creates take 1.5 s`,
    load: `${p.runs} runs + ${p.pipelines} pipelines, ${p.runMs / 1000} s runs`,
    status: statusOf(figures),
    figures,
    seconds: (Date.now() - t0) / 1000,
  };
}
