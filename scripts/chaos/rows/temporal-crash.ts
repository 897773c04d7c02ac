/**
 * The Temporal server SIGKILLed twice mid-run and started again on the same persistence: every run
 * must complete, with one create per key. Used for the dev server (SQLite file) and for the
 * production-style server with PostgreSQL (temporal-postgres.ts).
 */
import { figure, fmtMs, type ChaosContext, type RowResult } from '../context';
import { sleep } from '../procs';
import type { TemporalServer } from '../temporal';
import { startPostgresTemporal } from '../temporal-postgres';
import { Workload } from '../workload';
import { outcomeFigures, statusOf } from './common';

export async function crashServerUnderLoad(
  ctx: ChaosContext,
  server: TemporalServer,
  id: string,
  title: string,
): Promise<RowResult> {
  const t0 = Date.now();
  const smoke = ctx.options.smoke;
  const rng = ctx.rng.fork(id);
  const p = smoke ? { runs: 3, pipelines: 1, runMs: 5_000 } : { runs: 30, pipelines: 2, runMs: 25_000 };
  await ctx.sim.reset();
  await ctx.sim.setRunDuration(p.runMs);
  const fleet = await ctx.fleet({}, () => server.address);
  fleet.start();
  fleet.start();
  await Promise.all(fleet.workers.map((w) => w.ready));
  const { load, close } = await Workload.connect(
    server.address,
    fleet.config.taskQueue,
    `${id}${ctx.options.seed}`,
  );
  const options = { pollMinMs: 1_000, pollMaxMs: 3_000, deadline: '1h' };
  for (let j = 0; j < p.pipelines; j++) await load.startPipeline(j, { pollMinMs: 1_000, pollMaxMs: 3_000 });
  for (let i = 0; i < p.runs; i++) await load.startRun(i, options);
  const downtimes: number[] = [];
  for (let crash = 0; crash < 2; crash++) {
    await sleep(rng.int(1_000, smoke ? 3_000 : 8_000));
    await server.crash();
    ctx.log(`${id}: Temporal server SIGKILLed (${crash + 1} of 2)`);
    const down = Date.now();
    await sleep(rng.int(500, 3_000));
    await server.restart();
    downtimes.push(Date.now() - down);
  }
  const outcomes = await load.settle(smoke ? 180_000 : 900_000);
  await close();
  const figures = await outcomeFigures(ctx.sim, outcomes);
  figures.push(
    figure(
      'server SIGKILLs',
      `2 (down ${downtimes.map((ms) => fmtMs(ms)).join(', ')})`,
      '2',
      downtimes.length === 2,
    ),
    figure('worker exits not caused by the harness', fleet.unexpectedExits, '0', fleet.unexpectedExits === 0),
  );
  await fleet.stopAll();
  return {
    id,
    title,
    fault: `SIGKILL of the ${server.kind} twice mid-run, then a restart on the same persistence`,
    load: `${p.runs} runs + ${p.pipelines} pipelines, ${p.runMs / 1000} s runs, 2 workers`,
    status: statusOf(figures),
    figures,
    seconds: (Date.now() - t0) / 1000,
  };
}

export function devServerCrash(ctx: ChaosContext): Promise<RowResult> {
  return crashServerUnderLoad(
    ctx,
    ctx.temporal,
    'temporal-crash-dev',
    'Temporal server crash (dev server, SQLite)',
  );
}

export async function postgresServerCrash(ctx: ChaosContext): Promise<RowResult> {
  const id = 'temporal-crash-postgres';
  const title = 'Temporal server crash (PostgreSQL)';
  const t0 = Date.now();
  if (ctx.options.smoke) {
    return {
      id,
      title,
      fault: 'SIGKILL of the Temporal server twice mid-run',
      load: '',
      status: 'skipped',
      figures: [],
      note: 'not part of the smoke version (PostgreSQL setup takes minutes)',
      seconds: 0,
    };
  }
  const server = await startPostgresTemporal(ctx.log);
  if ('skipped' in server) {
    return {
      id,
      title,
      fault: 'SIGKILL of the Temporal server twice mid-run',
      load: '',
      status: 'skipped',
      figures: [],
      note: `skipped: ${server.skipped}`,
      seconds: (Date.now() - t0) / 1000,
    };
  }
  ctx.extraServers.push(server);
  try {
    return await crashServerUnderLoad(ctx, server, id, title);
  } finally {
    await server.stop();
  }
}
