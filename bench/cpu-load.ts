/**
 * `npx tsx bench/cpu-load.ts`: where the CPU per poll goes (docs/SCALING.md, "CPU per poll"). A steady
 * load of N runs of one fixed length on flora's worker (defaults), the dev server and the simulator as
 * the bench starts them; CPU seconds of the worker, the dev server and this process (the Temporal client
 * and the simulator) are read from /proc over a window in the middle of the runs, when every run is
 * polling and none is starting or ending, and divided by the polls the simulator saw in that window.
 * CPU time per poll holds up on a busy machine far better than wall-clock figures do.
 *
 *   --n 150 --run-ms 90000 --window 20000:80000   (defaults)
 *   --tuning '{"workflowTaskPollers":2}'           a worker tuning (createFloraWorker's `tuning`)
 *   --cpu-prof DIR                                 the worker under `node --cpu-prof` (written at exit)
 *   --dynamic-config KEY=JSON                      a dev-server dynamic config value (repeatable)
 *   --require FILE                                 preloaded in the worker process and its threads (experiments)
 */
import { Client, Connection } from '@temporalio/client';
import { startSimulator } from '../src/simulator';
import type { FloraWorkerTuning } from '../src/worker/tuning';
import { SLUG } from './batch';
import { cpuSeconds, loadAverage } from './procstat';
import { RequestLog } from './request-log';
import { buildBundles, startSystem } from './systems';
import { startDevServer } from './temporal-server';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const n = Number(arg('--n') ?? 150);
  const runMs = Number(arg('--run-ms') ?? 90_000);
  const [from, to] = (arg('--window') ?? '20000:80000').split(':').map(Number) as [number, number];
  const tuningArg = arg('--tuning');
  const tuning = tuningArg === undefined ? undefined : (JSON.parse(tuningArg) as FloraWorkerTuning);
  const profDir = arg('--cpu-prof');
  const preload = arg('--require');
  const dynamicConfig: Record<string, string | number | boolean> = {};
  process.argv.forEach((a, i) => {
    const pair = a === '--dynamic-config' ? process.argv[i + 1] : undefined;
    if (pair === undefined) return;
    const eq = pair.indexOf('=');
    dynamicConfig[pair.slice(0, eq)] = JSON.parse(pair.slice(eq + 1)) as string | number | boolean;
  });
  const say = (line: string) => process.stderr.write(`[cpu-load] ${line}\n`);

  const log = new RequestLog();
  const [server, sim, bundles] = await Promise.all([
    startDevServer(Object.keys(dynamicConfig).length > 0 ? dynamicConfig : undefined),
    startSimulator({ progress: 'noisy', log: log.sink, runDurationFor: () => runMs }),
    buildBundles(),
  ]);
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const taskQueue = 'cpu-load';
  const worker = await startSystem(
    'flora',
    {
      temporalAddress: server.address,
      taskQueue,
      floraBaseUrl: sim.baseUrl,
      apiKey: sim.apiKey,
      ...(tuning ? { tuning } : {}),
    },
    bundles,
    [
      ...(profDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profDir]),
      ...(preload === undefined ? [] : ['--require', preload]),
    ],
  );
  try {
    const self = process.pid;
    const cpu = () => ({
      worker: cpuSeconds(worker.pid) ?? 0,
      server: cpuSeconds(server.pid) ?? 0,
      bench: cpuSeconds(self) ?? 0,
    });
    // Idle cost first: a worker and a server with nothing to do.
    const idle0 = cpu();
    await sleep(10_000);
    const idle1 = cpu();
    say(
      `idle 10 s: worker ${(idle1.worker - idle0.worker).toFixed(2)} CPU-s, server ${(idle1.server - idle0.server).toFixed(2)}, bench ${(idle1.bench - idle0.bench).toFixed(2)}`,
    );
    const t0 = Date.now();
    const start0 = cpu();
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        client.workflow.start('runTechnique', {
          taskQueue,
          workflowId: `cpu-${t0}-${i}`,
          args: [{ technique: SLUG, inputs: { prompt: `cpu-${t0}-${i}` } }],
        }),
      ),
    );
    await sleep(Math.max(0, t0 + from - Date.now()));
    const a = cpu();
    const polls0 = log.pollCount;
    const load0 = loadAverage();
    await sleep(Math.max(0, t0 + to - Date.now()));
    const b = cpu();
    const polls = log.pollCount - polls0;
    const seconds = (to - from) / 1000;
    const ms = (x: number) => ((x * 1000) / Math.max(1, polls)).toFixed(2);
    say(
      `window ${from / 1000}–${to / 1000} s, N=${n}: ${polls} polls (${(polls / seconds).toFixed(1)}/s); CPU ms per poll: ` +
        `worker ${ms(b.worker - a.worker)}, server ${ms(b.server - a.server)}, bench (client + simulator) ${ms(b.bench - a.bench)}; ` +
        `load ${load0.join(' ')} → ${loadAverage().join(' ')}`,
    );
    // Then the whole batch, starts and ends included (as the bench counts it).
    for (;;) {
      const running = await client.workflow.count(`TaskQueue="${taskQueue}" AND ExecutionStatus="Running"`);
      if (running.count === 0 || Date.now() - t0 > runMs * 3) break;
      await sleep(2_000);
    }
    const c = cpu();
    const all = log.pollCount;
    const per = (x: number) => ((x * 1000) / Math.max(1, all)).toFixed(2);
    say(
      `whole batch (${((Date.now() - t0) / 1000).toFixed(0)} s, ${all} polls, ${log.creates} creates): CPU ms per poll: ` +
        `worker ${per(c.worker - start0.worker)}, server ${per(c.server - start0.server)}, bench ${per(c.bench - start0.bench)}`,
    );
  } finally {
    await worker.stop();
    await connection.close();
    await sim.close();
    await server.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
