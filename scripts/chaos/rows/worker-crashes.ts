/**
 * Worker crashes: the load runs while workers are SIGKILLed at seeded moments, some aimed at the
 * moments that cost money when handled badly: a create in flight (its answer dies with the process),
 * a run created but never polled, a download under way. Each aimed kill counts only where the
 * simulator proves it landed (kill-moments.ts).
 */
import { figure, fmtMs, type ChaosContext, type RowResult } from '../context';
import { percentile } from '../figures';
import { sleep } from '../procs';
import { loadedFleet, outcomeFigures, statusOf } from './common';
import { aimedKill, MOMENTS, type Landed } from './kill-moments';

export async function workerCrashes(ctx: ChaosContext): Promise<RowResult> {
  const t0 = Date.now();
  const smoke = ctx.options.smoke;
  const rng = ctx.rng.fork('worker-crashes');
  const base = smoke
    ? {
        runs: 4,
        pipelines: 1,
        // One kill per aimed moment (the plain kill is the full run's).
        kills: 3,
        workers: 1,
        runMs: 6_000,
        startSpreadMs: 6_000,
        poll: [1_500, 3_000],
        downloadEvery: 1,
        aimWaitMs: 90_000,
      }
    : {
        runs: 200,
        pipelines: 5,
        kills: 100,
        workers: 3,
        runMs: 150_000,
        // Creates, first polls and downloads go on for most of the row, so aimed kills find them.
        startSpreadMs: 300_000,
        poll: [4_000, 12_000],
        downloadEvery: 2,
        aimWaitMs: 60_000,
      };
  // CHAOS_KILLS: fewer kills than the full row's 100, where the machine cannot fit them in the time there is.
  const p = { ...base, kills: Number(process.env.CHAOS_KILLS ?? base.kills) };
  await ctx.sim.reset();
  await ctx.sim.setRunDuration(p.runMs);
  // Windows wide enough to aim at: a share of creates answer late (after billing), downloads are slow,
  // a few create answers are lost outright, and some runs fail transiently (designed re-creates).
  const backgroundFaults = async (): Promise<void> => {
    await ctx.sim.addFault('createRunNested', { kind: 'slowResponse', rate: 0.35, latencyMs: 1_500 });
    await ctx.sim.addFault('createRunNested', { kind: 'dropResponse', rate: 0.03 });
    await ctx.sim.addFault('getFile', { kind: 'slowResponse', rate: 0.6, latencyMs: 1_500 });
  };
  await backgroundFaults();
  const transient = Math.max(1, Math.round(p.runs * 0.04));
  for (let i = 0; i < transient; i++) await ctx.sim.queueRunFailure('text-to-image', 'model_timeout');

  const { fleet, load, close } = await loadedFleet(ctx, p.workers, 'crash');
  const options = {
    pollMinMs: p.poll[0],
    pollMaxMs: p.poll[1],
    deadline: '2h',
    // The smoke version does not wait out the designed 10–30 s before a re-create.
    ...(smoke ? { recreateDelayMs: 1_000 } : {}),
  };

  // Starts are spread over startSpreadMs at seeded moments, so creates go on while workers die.
  const starting = (async () => {
    const total = p.runs + p.pipelines;
    for (let i = 0; i < total; i++) {
      await sleep(rng.int(0, Math.round((2 * p.startSpreadMs) / total)));
      if (i < p.pipelines) await load.startPipeline(i, { pollMinMs: p.poll[0], pollMaxMs: p.poll[1] });
      else {
        const n = i - p.pipelines;
        await load.startRun(n, n % p.downloadEvery === 0 ? { ...options, downloadTo: `run-${n}` } : options);
      }
    }
  })();

  const hits: Record<Landed, number> = { create: 0, 'pre-poll': 0, download: 0, other: 0 };
  let kills = 0;
  let event = 0;
  while (kills < p.kills) {
    // Every fourth kill is a plain one (one random worker, any moment); the others aim, in turn, at a
    // create in flight, a run created but not polled yet, and a download under way.
    const aim = event % 4 === 3 ? undefined : MOMENTS[event % 4];
    event += 1;
    await sleep(rng.int(300, smoke ? 1_000 : 2_500));
    if (aim === undefined) {
      const victim = fleet.workers.length > 0 ? rng.pick(fleet.workers) : undefined;
      if (victim) {
        await fleet.kill(victim);
        kills += 1;
        hits.other += 1;
      }
    } else {
      // Aim only with every worker up: on a loaded machine a restart takes tens of seconds, and the
      // moments aimed at happen only while workers run.
      await Promise.race([
        Promise.all(fleet.workers.map((w) => w.ready.catch(() => undefined))),
        sleep(120_000),
      ]);
      const aimedAt = Date.now();
      const { landed, killed } = await aimedKill(ctx.sim, fleet, aim, p.aimWaitMs, backgroundFaults);
      kills += killed;
      hits[landed] += 1;
      ctx.log(
        `worker-crashes: kill aimed at ${aim} landed ${landed} after ${((Date.now() - aimedAt) / 1000).toFixed(1)} s (${killed} workers)`,
      );
    }
    while (fleet.workers.length < p.workers) fleet.start(true);
    // Let replacements come up (up to 8 s), so most kills find a worker with work in flight.
    await ctx.timed('worker-crashes: replacement ready (or 8 s)', () =>
      Promise.race([Promise.all(fleet.workers.map((w) => w.ready.catch(() => undefined))), sleep(8_000)]),
    );
  }
  await ctx.timed('worker-crashes: kills done, waiting for the last starts', () => starting);
  const outcomes = await ctx.timed('worker-crashes: settled', () => load.settle(smoke ? 180_000 : 1_200_000));
  await close();
  const polls = fleet.firstPollTimes();
  const readies = fleet.readyTimes();
  const figures = await outcomeFigures(ctx.sim, outcomes);
  figures.push(
    figure('SIGKILLs of worker processes', kills, `>= ${p.kills}`, kills >= p.kills),
    figure(
      'kills landed, proven by the simulator: inside a create whose answer was lost / between create and first poll / mid-download / elsewhere',
      `${hits.create} / ${hits['pre-poll']} / ${hits.download} / ${hits.other}`,
      'each of the first three >= 1',
      hits.create > 0 && hits['pre-poll'] > 0 && hits.download > 0,
    ),
    figure(
      "new worker's start to its first FLORA poll, p50 / p95",
      `${fmtMs(percentile(polls, 50))} / ${fmtMs(percentile(polls, 95))} (${polls.length} restarts)`,
      // No goal for the time itself (it is the machine's), but it must be measured: a restarted worker
      // that never reports its first poll means the measurement (or the worker) is broken.
      'reported, from at least one restart',
      polls.length > 0,
    ),
    figure(
      "new worker's start to polling Temporal (ready), p50 / p95",
      `${fmtMs(percentile(readies, 50))} / ${fmtMs(percentile(readies, 95))}`,
      'reported',
      undefined,
    ),
    figure('worker exits not caused by the harness', fleet.unexpectedExits, '0', fleet.unexpectedExits === 0),
  );
  await ctx.timed('worker-crashes: workers stopped', () => fleet.stopAll());
  await ctx.sim.clearFaults();
  return {
    id: 'worker-crashes',
    title: 'Worker crashes',
    fault: `SIGKILL of worker processes at seeded moments, three in four aimed at a held create answer, a run not yet polled or a held download (${p.workers} workers, restarted at once)`,
    load: `${p.runs} concurrent runs (1 in ${p.downloadEvery} downloads its outputs) + ${p.pipelines} pipelines (3 steps each), ${p.runMs / 1000} s runs, ${transient} transient run failures, 35% of creates answered late, 3% lost, slow downloads`,
    status: statusOf(figures),
    figures,
    seconds: (Date.now() - t0) / 1000,
  };
}
