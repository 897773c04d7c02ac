/**
 * The Temporal server SIGKILLed twice mid-run and started again on the same persistence: every run
 * must complete, with one create per key. Used for the dev server (SQLite file) and for the
 * production-style server with PostgreSQL (temporal-postgres.ts).
 */
import { figure, fmtMs, type ChaosContext, type RowResult } from '../context';
import { sleep } from '../procs';
import { startDevServer, type TemporalServer } from '../temporal';
import { findPostgresParts, startPostgresTemporal } from '../temporal-postgres';
import { loadedFleet, outcomeFigures, statusOf } from './common';

export async function crashServerUnderLoad(
  ctx: ChaosContext,
  server: TemporalServer,
  id: string,
  title: string,
): Promise<RowResult> {
  const t0 = Date.now();
  const smoke = ctx.options.smoke;
  const rng = ctx.rng.fork(id);
  // One worker in the smoke version: a worker start is most of a smoke row's CPU, and one is enough to
  // see its runs carry on across the server's crashes.
  const p = smoke
    ? { runs: 3, pipelines: 1, runMs: 5_000, workers: 1 }
    : { runs: 30, pipelines: 2, runMs: 25_000, workers: 2 };
  await ctx.sim.reset();
  await ctx.sim.setRunDuration(p.runMs);
  const { fleet, load, close } = await loadedFleet(ctx, p.workers, id, { server });
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
    await ctx.timed(`${id}: server restarted`, () => server.restart());
    downtimes.push(Date.now() - down);
  }
  const outcomes = await ctx.timed(`${id}: settled`, () => load.settle(smoke ? 180_000 : 900_000));
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
  await ctx.timed(`${id}: workers stopped`, () => fleet.stopAll());
  return {
    id,
    title,
    fault: `SIGKILL of the ${server.kind} twice mid-run, then a restart on the same persistence`,
    load: `${p.runs} runs + ${p.pipelines} pipelines, ${p.runMs / 1000} s runs, ${p.workers} worker${p.workers > 1 ? 's' : ''}`,
    status: statusOf(figures),
    figures,
    seconds: (Date.now() - t0) / 1000,
  };
}

export async function devServerCrash(ctx: ChaosContext): Promise<RowResult> {
  const id = 'temporal-crash-dev';
  const title = 'Temporal server crash (dev server, SQLite)';
  if (!ctx.parallel) return crashServerUnderLoad(ctx, ctx.temporal, id, title);
  // Rows run side by side here: crashing the shared server would crash theirs too, so this row gets a
  // dev server of its own (kept until the end of the run, so the secrets row searches its histories).
  const server = await ctx.timed(`${id}: own dev server started`, () => startDevServer(ctx.log));
  ctx.extraServers.push(server);
  return crashServerUnderLoad(ctx, server, id, title);
}

export async function postgresServerCrash(ctx: ChaosContext): Promise<RowResult> {
  const id = 'temporal-crash-postgres';
  const title = 'Temporal server crash (PostgreSQL)';
  const t0 = Date.now();
  const skipped = (note: string): RowResult => ({
    id,
    title,
    fault: 'SIGKILL of the Temporal server twice mid-run',
    load: '',
    status: 'skipped',
    figures: [],
    note,
    seconds: (Date.now() - t0) / 1000,
  });
  if (ctx.options.smoke) {
    // Not run (its setup takes minutes), but the smoke version still says whether the full run could.
    const parts = await findPostgresParts({ build: false });
    return skipped(
      parts.ok
        ? 'not part of the smoke version (PostgreSQL setup takes minutes); Go, PostgreSQL and the server are here, so the full run runs it'
        : `not part of the smoke version, and the full run will skip it too: ${parts.why}`,
    );
  }
  const server = await startPostgresTemporal(ctx.log);
  if ('skipped' in server) return skipped(`skipped: ${server.skipped}`);
  ctx.extraServers.push(server);
  try {
    return await crashServerUnderLoad(ctx, server, id, title);
  } finally {
    await server.stop();
  }
}
