/**
 * `npm run bench`: flora-temporal against a plain loop and Temporal's two polling patterns, side by
 * side in one run, on the real dev server and the FLORA simulator. Prints the tables, writes
 * bench/RESULTS.md and bench/results.png. Asserts nothing: it measures.
 *
 *   npm run bench -- --quick     a small matrix (< 3 min), for development
 *   npm run bench                the full plan: the mixed-workload matrix (100, 300, 600, 1,000 concurrent),
 *                                the capacity ladder (runs of exactly 60 s), the SIGKILL test, the 6-hour run
 *   npm run bench -- micro       the micro-benchmarks (FLORA client overhead, fan-out, rate limit)
 *   npm run bench -- cadence     the poll cadence against the simulator's progress model, offline (seconds)
 *   options: --repeat R (each cell R times, medians), --no-write (stdout only),
 *            --systems flora,flora-activity (a subset), --loads 300,600 (the matrix's, for every system),
 *            --capacity-loads 300,450,600 (the capacity ladder's),
 *            --tuning slots100|autoscale|wide|lean (the worker tuning flora-tuned runs; default slots100;
 *            the full plan runs flora-tuned only when --tuning or --systems asks for it)
 */
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { Client, Connection } from '@temporalio/client';
import { startSimulator } from '../src/simulator';
import type { BenchContext } from './batch';
import { writeChart } from './chart';
import { runMicro } from './micro';
import { runCadenceModel } from './cadence-model';
import { loadAverage } from './procstat';
import { runCapacity } from './capacity';
import {
  afterStartsTable,
  capacitySummary,
  capacityTable,
  killTable,
  legend,
  longTable,
  matrixTable,
} from './report';
import { RequestLog } from './request-log';
import { runKillTest, runLongRun, runMatrix, type Systems } from './scenarios';
import {
  buildBundles,
  DEFAULT_TUNING,
  isTuningName,
  startSystem,
  SYSTEMS,
  TUNINGS,
  type SystemProcess,
} from './systems';
import { startDevServer } from './temporal-server';
import type { SystemName } from './worker-protocol';
import { BASELINE_INTERVAL_MS, HEARTBEAT_TIMEOUT_MS, PLANS, type Plan } from './workload';

function argValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('micro')) return runMicro();
  if (args.includes('cadence')) return runCadenceModel();
  let plan = { ...PLANS[args.includes('--smoke') ? 'smoke' : args.includes('--quick') ? 'quick' : 'full'] };
  const repeat = argValue(args, '--repeat');
  if (repeat !== undefined) plan.repeat = Math.max(1, Number(repeat));
  const loads = argValue(args, '--loads');
  if (loads !== undefined) plan = { ...plan, loads: loads.split(',').map(Number) };
  const capacityLoads = argValue(args, '--capacity-loads');
  if (capacityLoads !== undefined)
    plan = { ...plan, capacity: { ...plan.capacity, loads: capacityLoads.split(',').map(Number) } };
  const only = argValue(args, '--systems')?.split(',');
  const unknown = only?.filter((s) => !(SYSTEMS as readonly string[]).includes(s)) ?? [];
  if (unknown.length > 0)
    throw new Error(`--systems: unknown ${unknown.join(', ')}; expected some of ${SYSTEMS.join(', ')}`);
  const askedTuning = argValue(args, '--tuning');
  const names = SYSTEMS.filter((s) =>
    only !== undefined
      ? only.includes(s)
      : !plan.optIn.includes(s) || (s === 'flora-tuned' && askedTuning !== undefined),
  );
  const tuningName = askedTuning ?? DEFAULT_TUNING;
  if (!isTuningName(tuningName))
    throw new Error(`--tuning: unknown "${tuningName}"; expected one of ${Object.keys(TUNINGS).join(', ')}`);
  const tuning = TUNINGS[tuningName];
  const tuningLabel = `\`${tuningName}\` ${JSON.stringify(tuning)}`;
  const write = !args.includes('--no-write');
  const say = (line: string) => process.stderr.write(`[bench] ${line}\n`);
  const startedAt = new Date();
  const loadBefore = loadAverage();
  const t0 = Date.now();

  const log = new RequestLog();
  const durations = new Map<string, number>();
  const [server, sim, bundles] = await Promise.all([
    startDevServer(),
    startSimulator({
      progress: 'noisy',
      log: log.sink,
      runDurationFor: ({ inputs }) => durations.get(inputs.prompt ?? ''),
    }),
    buildBundles(),
  ]);
  say(
    `dev server pid ${server.pid} at ${server.address}, simulator at ${sim.baseUrl} (${((Date.now() - t0) / 1000).toFixed(0)} s)`,
  );
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const ctx: BenchContext = { sim, durations, log, client, serverPid: server.pid };

  const procs = new Map<SystemName, SystemProcess>();
  const launch = (system: SystemName) =>
    startSystem(
      system,
      {
        temporalAddress: server.address,
        taskQueue: `bench-${system}`,
        floraBaseUrl: sim.baseUrl,
        apiKey: sim.apiKey,
        ...(system === 'frequent' ? { maxConcurrentActivities: 2_000 } : {}),
        ...(system === 'flora-tuned' ? { tuning } : {}),
        ...(system === 'flora-webhook' ? { webhookSecret: sim.webhookSecret } : {}),
      },
      bundles,
    ).then((p) => {
      procs.set(system, p);
      return p;
    });
  const systems: Systems = {
    names,
    get: (system) => {
      const p = procs.get(system);
      if (!p) throw new Error(`no ${system} process`);
      return p;
    },
    restart: launch,
  };
  try {
    await Promise.all(names.map(launch));
    say(
      `workers up (${((Date.now() - t0) / 1000).toFixed(0)} s); plan ${plan.name}: N = ${plan.loads.join(', ')}`,
    );
    const rows = await runMatrix(ctx, systems, plan, say);
    say(`capacity: runs of ${plan.capacity.runMs / 1000} s, N = ${plan.capacity.loads.join(', ')}`);
    const capacity = await runCapacity(ctx, systems, plan, say);
    say('worker SIGKILL test (systems at once)');
    const kills = await runKillTest(ctx, systems, plan);
    say('6-hour run, compressed (systems at once)');
    const marginal = Object.fromEntries(
      names.map((system) => {
        const fits = rows.filter((r) => r.system === system).map((r) => r.marginalEventsPerPoll);
        return [system, fits.find((v) => Number.isFinite(v)) ?? Number.NaN];
      }),
    );
    const longs = await runLongRun(ctx, systems, plan, marginal);
    const loadAfter = loadAverage();
    const elapsedS = (Date.now() - t0) / 1000;

    // Every flag that shaped this run, so the command written beside the figures repeats it.
    const flags = [
      ...(plan.name === 'quick' ? ['--quick'] : []),
      ...(only !== undefined ? [`--systems ${names.join(',')}`] : []),
      ...(loads !== undefined ? [`--loads ${plan.loads.join(',')}`] : []),
      ...(capacityLoads !== undefined ? [`--capacity-loads ${plan.capacity.loads.join(',')}`] : []),
      ...(plan.repeat > 1 ? [`--repeat ${plan.repeat}`] : []),
      ...(askedTuning !== undefined ? [`--tuning ${tuningName}`] : []),
    ];
    const command = `npm run bench${flags.length > 0 ? ` -- ${flags.join(' ')}` : ''}`;
    const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, Linux`;
    const load = `load average ${loadBefore.join(' ')} before, ${loadAfter.join(' ')} after`;
    const contended = Math.max(loadBefore[0] ?? 0, loadAfter[0] ?? 0) > cpus().length;
    const runS = plan.capacity.runMs / 1000;
    const box = { cores: cpus().length, memMb: totalmem() / 2 ** 20 };
    const tables = [
      `## Per system and load (${plan.name} plan, mixed workload)`,
      matrixTable(rows),
      '### Seen-after-done once a batch has stopped starting runs',
      afterStartsTable(rows),
      `## Capacity (runs of exactly ${runS} s unless a column says mixed workload)`,
      capacityTable(capacity, runS),
      capacitySummary(capacity, rows, box, runS),
      '## Worker SIGKILL (a new worker started at once)',
      killTable(kills),
      '## One 6-hour run, compressed in time',
      longTable(longs),
    ].join('\n\n');
    process.stdout.write(`${tables}\n\n${command}; ${machine}; ${load}; ${elapsedS.toFixed(0)} s\n`);
    if (write) {
      const md = results({
        systems: names,
        tuning: tuningLabel,
        command,
        machine,
        load,
        contended,
        date: startedAt,
        elapsedS,
        tables,
        plan,
      });
      await writeFile(join(__dirname, 'RESULTS.md'), md);
      await writeChart(
        rows,
        join(__dirname, 'results.png'),
        `${command} · ${startedAt.toISOString().slice(0, 16)} UTC · ${load}`,
      );
      say('wrote bench/RESULTS.md and bench/results.png');
    }
  } finally {
    for (const p of procs.values()) await p.stop();
    await connection.close();
    await sim.close();
    await server.stop();
  }
}

function results(r: {
  systems: readonly SystemName[];
  tuning: string;
  command: string;
  machine: string;
  load: string;
  contended: boolean;
  date: Date;
  elapsedS: number;
  tables: string;
  plan: Plan;
}): string {
  const { capacity, kill, long } = r.plan;
  const tunedAt = r.systems.includes('flora-tuned')
    ? (r.plan.loadsFor['flora-tuned'] ?? []).filter((n) => r.plan.loads.includes(n))
    : [];
  return `# Benchmark results

Generated by \`${r.command}\` on ${r.date.toISOString().slice(0, 16)} UTC in ${r.elapsedS.toFixed(0)} s.
Machine: ${r.machine}; ${r.load}.

Systems (each worker in its own process; dev server, simulator and Temporal client in the bench process):
${legend(r.systems, r.tuning)}

Workloads (the simulator uses its \`noisy\` progress model in both; the poll cadence is real time):
- mixed (the per-system table; the capacity summary's "mixed workload" columns): N runs started at once, lengths
  drawn log-uniformly over 5 s – 10 min and compressed linearly into 5 – ${r.plan.maxRunMs / 1000} s; the same lengths for every
  system at a given N${tunedAt.length > 0 ? `; flora-tuned at N = ${tunedAt.join(', ')} only` : ''}.
- capacity (the capacity table and the summary's "${capacity.runMs / 1000} s runs" columns): N runs of exactly ${capacity.runMs / 1000} s
  started at once, for ${capacity.systems.join(' and ')}, N = ${capacity.loads.join(', ')}${
    capacity.systems.some((sys) => !capacity.fullLadder.includes(sys))
      ? ` (${capacity.systems.filter((sys) => !capacity.fullLadder.includes(sys)).join(', ')} stops after the first N that misses the target)`
      : ''
  }. Target: every run done, one create each, gap p95 ≤ 5.5 s. Polls/s delivered = N ÷ mean gap,
  needed = N ÷ 5 s; each system climbs the ladder on a fresh worker process (peak RSS is the ladder's own, not what
  the matrix's 1,000 runs left resident); CPU cores = CPU seconds ÷ the batch's wall time (start-up and tail included). The steady state is
  the window from the batch's last create to the first run FLORA finished: every run in flight and polling, no
  start burst; its cores come from the worker's and server's CPU read once a second. The resource that runs out
  first is read at the smallest N that missed the target, from the steady state's cores when there is one (CPU
  when worker + server use ≥ 80 % of the cores).

One batch at a time, except: the SIGKILL test runs its systems (${kill.systems.join(', ')}) at once, the kills ${kill.staggerMs / 1000} s
apart, and the 6-hour runs (${long.systems.join(', ')}) run at once, one run each; in those two tables
creates/key is the maximum over the whole phase.${
    r.plan.loopBeside !== undefined && r.systems.includes('loop') && r.systems.includes(r.plan.loopBeside)
      ? ` In the matrix the plain loop runs at once with ${r.plan.loopBeside} at each N (the loop uses no Temporal
server and a few percent of a core; its runs use another technique, so each batch counts its own creates; its server
columns are left out, and creates/key is the pair's maximum).`
      : ''
  } Every other batch is one system alone on the box. The baselines poll every ${BASELINE_INTERVAL_MS / 1000} s; the
frequent pattern's heartbeat timeout is ${HEARTBEAT_TIMEOUT_MS / 1000} s. Columns:
- requests/run: FLORA creates + polls per run, from the simulator's request log; floor = 1 + ceil(duration / 5 s).
- gap: time between consecutive requests for one run (create → first poll → … → last), pooled over runs. For
  flora-webhook the gaps are long by design: its polls are a sparse fallback (about 30 s apart) and the
  callback ends the run, so its gap figures measure the fallback, not how soon an end is seen.
- seen-after-done: workflow close time (the loop: when it saw the end) minus the simulator's completion time.
- events/run: history events over every execution of the run (continue-as-new included); per poll = ÷ polls.
- WF tasks/poll and actions/run: from up to 8 fetched histories; actions = start + timers + activity attempts +
  markers + signals (+ estimated heartbeats for the frequent pattern), as Temporal Cloud bills them.
- CPU: /proc/<pid>/stat of the worker process and of the dev server over the batch, divided by the polls (so at
  small N the idle cost of a running worker and server weighs in); peak RSS: VmHWM, reset per batch.
- per extra poll: the slope of a least-squares fit over the runs (events) or the sampled histories (tasks), which
  strips the fixed cost of starting and ending a run.

${r.plan.name === 'quick' ? '**Quick plan: small loads, for development; not the full matrix.**\n\n' : ''}${
    r.contended
      ? `**Taken on a contended machine (${r.load}, on ${cpus().length} cores, shared with other jobs): absolute ` +
        'figures are pessimistic and CPU times include contention; compare systems within this run, not with other runs.**\n\n'
      : ''
  }${r.tables}

![gap p95 and latency p95 against N](results.png)
`;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
