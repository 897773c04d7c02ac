/**
 * Worker crashes: the load runs while workers are SIGKILLed at seeded moments, some aimed at the
 * moments that cost money when handled badly: a create in flight (its answer dies with the process),
 * a run created but never polled, a download under way. Each kill is classified by what the
 * simulator had in flight at that instant.
 */
import { figure, fmtMs, type ChaosContext, type RowResult } from '../context';
import { percentile } from '../figures';
import { sleep } from '../procs';
import { Workload } from '../workload';
import { outcomeFigures, statusOf } from './common';

type Moment = 'create' | 'pre-poll' | 'download' | 'any';
const AIMS: Moment[] = ['create', 'pre-poll', 'download', 'any'];

export async function workerCrashes(ctx: ChaosContext): Promise<RowResult> {
  const t0 = Date.now();
  const smoke = ctx.options.smoke;
  const rng = ctx.rng.fork('worker-crashes');
  const p = smoke
    ? {
        runs: 4,
        pipelines: 1,
        kills: 4,
        workers: 2,
        runMs: 8_000,
        startSpreadMs: 8_000,
        poll: [1_500, 3_000],
      }
    : {
        runs: 200,
        pipelines: 5,
        kills: 100,
        workers: 3,
        runMs: 150_000,
        startSpreadMs: 90_000,
        poll: [4_000, 12_000],
      };
  await ctx.sim.reset();
  await ctx.sim.setRunDuration(p.runMs);
  // Windows wide enough to aim at: a share of creates answer late (after billing), downloads are slow,
  // a few create answers are lost outright, and some runs fail transiently (designed re-creates).
  await ctx.sim.addFault('createRunNested', { kind: 'slowResponse', rate: 0.35, latencyMs: 1_500 });
  await ctx.sim.addFault('createRunNested', { kind: 'dropResponse', rate: 0.03 });
  await ctx.sim.addFault('getFile', { kind: 'slowResponse', rate: 0.6, latencyMs: 1_500 });
  const transient = Math.max(1, Math.round(p.runs * 0.04));
  for (let i = 0; i < transient; i++) await ctx.sim.queueRunFailure('text-to-image', 'model_timeout');

  const fleet = await ctx.fleet();
  for (let i = 0; i < p.workers; i++) fleet.start();
  await Promise.all(fleet.workers.map((w) => w.ready));
  const { load, close } = await Workload.connect(
    ctx.temporal.address,
    fleet.config.taskQueue,
    `crash${ctx.options.seed}`,
  );
  const options = { pollMinMs: p.poll[0], pollMaxMs: p.poll[1], deadline: '2h' };

  // Starts are spread over startSpreadMs at seeded moments, so creates go on while workers die.
  const starting = (async () => {
    const total = p.runs + p.pipelines;
    for (let i = 0; i < total; i++) {
      await sleep(rng.int(0, Math.round((2 * p.startSpreadMs) / total)));
      if (i < p.pipelines) await load.startPipeline(i, { pollMinMs: p.poll[0], pollMaxMs: p.poll[1] });
      else {
        const n = i - p.pipelines;
        await load.startRun(n, n % 4 === 0 ? { ...options, downloadTo: `run-${n}` } : options);
      }
    }
  })();

  const hits: Record<Moment, number> = { create: 0, 'pre-poll': 0, download: 0, any: 0 };
  let kills = 0;
  let event = 0;
  while (kills < p.kills) {
    const aim = AIMS[event % AIMS.length] ?? 'any';
    event += 1;
    await sleep(rng.int(300, smoke ? 1_500 : 2_500));
    // Wait (a little) for the aimed-at moment; the kill goes ahead regardless, classified as it lands.
    let moment: Moment = 'any';
    for (let waited = 0; waited < (smoke ? 4_000 : 8_000); waited += 100) {
      const activity = await ctx.sim.activity();
      const inCreate =
        (activity.inFlight.createRunNested ?? 0) + (activity.inFlight.createRunTopLevel ?? 0) > 0;
      const prePoll = activity.runs.some(
        (r) => r.polls === 0 && r.status !== 'completed' && r.status !== 'failed',
      );
      const inDownload = (activity.inFlight.getFile ?? 0) > 0;
      const holds: Record<Moment, boolean> = {
        create: inCreate,
        'pre-poll': prePoll,
        download: inDownload,
        any: true,
      };
      moment = holds[aim] ? aim : (AIMS.find((m) => holds[m]) ?? 'any');
      if (holds[aim]) break;
      await sleep(100);
    }
    // An aimed kill takes down every worker, so whichever held the create or download dies.
    const victims = aim === 'any' ? [rng.pick(fleet.workers)] : [...fleet.workers];
    for (const v of victims) await fleet.kill(v);
    kills += victims.length;
    hits[moment] += 1;
    while (fleet.workers.length < p.workers) fleet.start(true);
    // Let replacements come up (up to 8 s), so most kills find a worker with work in flight.
    await Promise.race([Promise.all(fleet.workers.map((w) => w.ready.catch(() => undefined))), sleep(8_000)]);
  }
  await starting;
  const outcomes = await load.settle(smoke ? 180_000 : 1_200_000);
  await close();
  const polls = fleet.firstPollTimes();
  const readies = fleet.readyTimes();
  const figures = await outcomeFigures(ctx.sim, outcomes);
  figures.push(
    figure(
      'SIGKILLs (at: create in flight / run created, not polled / download / other)',
      `${kills} (${hits.create} / ${hits['pre-poll']} / ${hits.download} / ${hits.any})`,
      `>= ${p.kills}, each kind >= 1${smoke ? ' (kinds not judged at smoke load)' : ''}`,
      kills >= p.kills && (smoke || (hits.create > 0 && hits['pre-poll'] > 0 && hits.download > 0)),
    ),
    figure(
      "new worker's start to its first FLORA poll, p50 / p95",
      `${fmtMs(percentile(polls, 50))} / ${fmtMs(percentile(polls, 95))} (${polls.length} restarts)`,
      'reported',
      undefined,
    ),
    figure(
      "new worker's start to polling Temporal (ready), p50 / p95",
      `${fmtMs(percentile(readies, 50))} / ${fmtMs(percentile(readies, 95))}`,
      'reported',
      undefined,
    ),
    figure('worker exits not caused by the harness', fleet.unexpectedExits, '0', fleet.unexpectedExits === 0),
  );
  await fleet.stopAll();
  await ctx.sim.clearFaults();
  return {
    id: 'worker-crashes',
    title: 'Worker crashes',
    fault: `SIGKILL of worker processes at seeded moments (${p.workers} workers, restarted at once)`,
    load: `${p.runs} concurrent runs + ${p.pipelines} pipelines (3 steps each), ${p.runMs / 1000} s runs, ${transient} transient run failures, 35% of creates answered late, 3% lost, slow downloads`,
    status: statusOf(figures),
    figures,
    seconds: (Date.now() - t0) / 1000,
  };
}
