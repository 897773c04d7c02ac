/**
 * `npm run chaos`: reliability in numbers. Starts a Temporal dev server (SQLite file, so it can be
 * crashed and restarted), the FLORA simulator and worker processes, runs each row's faults under load,
 * prints the table, writes docs/RELIABILITY.md, and exits 1 when a goal is missed.
 *
 *   npm run chaos [-- --seed N] [--smoke] [--only row,row] [--plant-bug key-per-attempt,leak-key] [--no-write]
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { TraceCollector } from './collector';
import { ChaosContext, type RowResult } from './context';
import { prepareEntries } from './entry';
import { workflowBundlePath } from './fleet';
import { killAll, sleep } from './procs';
import { printTable, reliabilityMarkdown } from './report';
import { Rng } from './rng';
import { ROWS, type Row } from './rows/index';
import { SimProcess } from './sim';
import { startDevServer, type TemporalServer } from './temporal';

/** What `--plant-bug` can plant (scripts/chaos/worker-entry.ts), comma-separated. */
const PLANTABLE_BUGS = ['key-per-attempt', 'leak-key'];

interface Args {
  seed: number;
  smoke: boolean;
  only: string[] | undefined;
  plantBug: string | undefined;
  write: boolean;
  /** Where the markdown goes. @default docs/RELIABILITY.md */
  doc: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    seed: randomBytes(4).readUInt32BE() % 1_000_000,
    smoke: false,
    only: undefined,
    plantBug: undefined,
    write: true,
    doc: join(__dirname, '../../docs/RELIABILITY.md'),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--seed') args.seed = Number(value());
    else if (a === '--smoke') args.smoke = true;
    else if (a === '--only') args.only = value().split(',');
    else if (a === '--plant-bug') args.plantBug = value();
    else if (a === '--no-write') args.write = false;
    else if (a === '--doc') args.doc = value();
    else
      throw new Error(
        `unknown argument ${a}; usage: npm run chaos -- [--seed N] [--smoke] [--only row,row] [--plant-bug key-per-attempt] [--no-write] [--doc FILE]`,
      );
  }
  if (!Number.isInteger(args.seed)) throw new Error('--seed must be an integer');
  // A misspelt bug would plant nothing, and a harness that then passes would look like a broken one.
  for (const bug of args.plantBug?.split(',') ?? [])
    if (!PLANTABLE_BUGS.includes(bug))
      throw new Error(`unknown bug ${bug} to plant; bugs: ${PLANTABLE_BUGS.join(', ')}`);
  const known = ROWS.map((r) => r.id);
  for (const id of args.only ?? [])
    if (!known.includes(id)) throw new Error(`unknown row ${id}; rows: ${known.join(', ')}`);
  return args;
}

async function main(): Promise<number> {
  // Ctrl-C or a timeout: take every child process down with us.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void killAll().then(() => process.exit(130));
    });
  }
  const args = parseArgs(process.argv.slice(2));
  const startedAt = new Date();
  const loadAtStart = loadavg()[0] ?? 0;
  const log = (line: string): void => {
    process.stderr.write(`[chaos ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0)}s] ${line}\n`);
  };
  const command = `npm run chaos -- --seed ${args.seed}${args.smoke ? ' --smoke' : ''}${args.only ? ` --only ${args.only.join(',')}` : ''}${args.plantBug ? ` --plant-bug ${args.plantBug}` : ''}`;
  log(`seed ${args.seed} (repeat: ${command})`);
  // A key nobody else uses, so the secrets row can search every trace of the run for it.
  const apiKey = `sk_test_chaos_${randomBytes(12).toString('hex')}`;
  let temporal: TemporalServer | undefined;
  let traces: TraceCollector | undefined;
  const results: RowResult[] = [];
  // One write at a time: rows in lanes may finish together.
  let writing = Promise.resolve();
  const writeDoc = (): Promise<void> =>
    (writing = writing.then(() =>
      writeFile(
        args.doc,
        reliabilityMarkdown(results, {
          seed: args.seed,
          command,
          startedAt,
          seconds: (Date.now() - startedAt.getTime()) / 1000,
          plantBug: args.plantBug,
          loadAtStart,
        }),
      ),
    ));
  try {
    const selected = ROWS.filter((row) => !args.only || args.only.includes(row.id));
    const laneIds = args.smoke
      ? [...new Set(selected.flatMap((row) => (row.lane === undefined ? [] : [row.lane])))]
      : [];
    await prepareEntries();
    const since = (t0: number): string => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
    const t0 = Date.now();
    const [t, sims, bundlePath] = await Promise.all([
      startDevServer(log).then((server) => (log(`dev server up in ${since(t0)}`), server)),
      Promise.all(
        Array.from({ length: Math.max(1, laneIds.length) }, () => SimProcess.start(apiKey, args.seed, 5_000)),
      ).then((started) => (log(`${started.length} simulator(s) up in ${since(t0)}`), started)),
      workflowBundlePath(log),
    ]);
    temporal = t;
    const [sim] = sims;
    if (!sim) throw new Error('no simulator');
    log(`Temporal ${temporal.kind} at ${temporal.address}; simulator at ${sim.baseUrl}`);
    traces = await TraceCollector.start();
    const ctx = new ChaosContext(
      { seed: args.seed, smoke: args.smoke, plantBug: args.plantBug },
      new Rng(args.seed),
      temporal,
      sim,
      apiKey,
      bundlePath,
      log,
    );
    ctx.traces = traces;
    const runRow = async (row: Row, rowCtx: ChaosContext): Promise<void> => {
      log(`row ${row.id}: starting`);
      let result: RowResult;
      const t0 = Date.now();
      try {
        result = await row.run(rowCtx);
      } catch (err) {
        result = {
          id: row.id,
          title: row.title,
          fault: '',
          load: '',
          status: 'fail',
          figures: [],
          note: `the row itself failed: ${err instanceof Error ? err.message : String(err)}`,
          seconds: (Date.now() - t0) / 1000,
        };
      }
      log(`row ${row.id}: ${result.status} in ${result.seconds.toFixed(0)} s`);
      results.push(result);
      // In the table's order, whichever lane finished first.
      results.sort((x, y) => ROWS.findIndex((r) => r.id === x.id) - ROWS.findIndex((r) => r.id === y.id));
      // Written after every row, so a long run that is cut short still leaves the rows it finished.
      if (args.write) await writeDoc();
    };
    if (laneIds.length > 1) log(`smoke: ${laneIds.length} lanes side by side, one simulator each`);
    // Each lane's rows one after another, the lanes side by side (one lane: the serial order).
    const laneCtxs = laneIds.map((_, i) => (i === 0 ? ctx : ctx.lane(sims[i] ?? sim)));
    // The later rows' workers boot once every lane's first row has its workers up (or after 90 s).
    void Promise.race([Promise.all(laneCtxs.map((c) => c.firstFleetReady)), sleep(90_000)]).then(() => {
      laneIds.forEach((lane, i) => {
        for (const row of selected.filter((r) => r.lane === lane)) row.prestart?.(laneCtxs[i] ?? ctx);
      });
    });
    await Promise.all(
      laneIds.map(async (lane, i) => {
        for (const row of selected.filter((r) => r.lane === lane)) await runRow(row, laneCtxs[i] ?? ctx);
      }),
    );
    for (const row of selected.filter((r) => !laneIds.includes(r.lane ?? -1))) await runRow(row, ctx);
  } finally {
    await killAll();
    await traces?.close();
  }
  printTable(results, (line) => process.stdout.write(`${line}\n`));
  const seconds = (Date.now() - startedAt.getTime()) / 1000;
  if (args.write) {
    await writeDoc();
    log(`wrote ${args.doc}`);
  }
  const failed = results.filter((r) => r.status === 'fail');
  process.stdout.write(
    `\n${failed.length === 0 ? 'every goal met' : `goals missed in: ${failed.map((r) => r.id).join(', ')}`} (seed ${args.seed}, ${Math.round(seconds)} s)\n`,
  );
  return failed.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  async (err: unknown) => {
    process.stderr.write(`chaos: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    await killAll();
    process.exit(2);
  },
);
