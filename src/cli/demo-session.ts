/**
 * `flora-temporal demo`: the main job on an embedded default. With nothing configured it starts a
 * Temporal dev server, the FLORA simulator and a worker in this process, runs the example pipeline
 * examples/fox-teaser.json (a poster, three styles of it, a clip of each) with live progress, prints the
 * outputs and a summary, and shuts everything down, also on Ctrl-C. TEMPORAL_ADDRESS set: that server is
 * used instead. `--real`: the same pipeline against FLORA, after printing its price.
 */
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, type Worker } from '@temporalio/worker';
import { FloraClient } from '../flora/client';
import { floraClientFromEnv } from '../flora/from-env';
import { startSimulator, type FloraSimulator } from '../simulator';
import { startEmbeddedTemporal } from '../dev/dev-server';
import { createFloraWorker } from '../worker/worker';
import { connectionOptions, temporalSettingsFromEnv } from '../temporal/config';
import { join } from 'node:path';
import { toTechniqueInfo } from '../activities';
import { loadPipelineFile } from '../client/pipelines';
import type { PipelineSpecInput } from '../pipelines/spec';
import { usd } from './format';
import { CliError } from './support';
import { followProgress, renderPipelineProgress } from './progress';
import { fetchSchemasAndPlan } from '../pipelines/fetch-plan';
import { describeSpecProblems, parsePipelineSpec } from '../pipelines/spec';
import type { PipelineResult } from '../pipelines/types';
import { progressQuery, runPipeline } from '../workflows';

export class DemoInterrupted extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
  }
}

export interface DemoOptions {
  /** Use the real FLORA API (FLORA_API_KEY) instead of the simulator. */
  real?: boolean;
  /** Run duration of the simulated FLORA runs. @default 4000 */
  simRunDurationMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Print the summary (with the pipeline's result) as one JSON object on stdout. @default false */
  json?: boolean;
  /** Redraw progress in place. @default whether stderr is a terminal */
  stderrIsTTY?: boolean;
  /** The terminal's width now. @default stderr's */
  stderrColumns?: () => number | undefined;
  out?: (text: string) => void;
  err?: (text: string) => void;
  /** Show the dev server's own log lines (banner, start-up errors). @default false */
  verbose?: boolean;
  /** With `real`: spend without asking. @default false */
  yes?: boolean;
  /** With `real` and without `yes`: asks the person at the terminal; absent when there is none. */
  confirm?: (question: string) => Promise<boolean>;
}

export interface DemoSummary {
  result: PipelineResult;
  floraRuns: number;
  floraRequests: number | undefined;
  costUsd: number;
  wallMs: number;
  historyEvents: number;
}

/** The example the demo runs: one poster, three styles, a clip of each (examples/fox-teaser.json). */
export const DEMO_PIPELINE_FILE = join(__dirname, '..', '..', 'examples', 'fox-teaser.json');

/** Closers, run in order when the demo ends: each part adds its own in front, so they close newest first. */
type Cleanup = (() => Promise<void>)[];

export async function runDemo(options: DemoOptions = {}): Promise<DemoSummary> {
  const { real = false, env = process.env } = options;
  const out = options.out ?? ((t: string) => process.stdout.write(t));
  const err = options.err ?? ((t: string) => process.stderr.write(t));
  const started = Date.now();
  const cleanup: Cleanup = [];
  const signals = watchSignals(err);
  installQuietRuntime();
  try {
    const { flora, sim } = await connectFlora(options, err, cleanup);
    const spec = await loadPipelineFile(DEMO_PIPELINE_FILE);
    if (real) await confirmRealSpend(flora, spec, options, signals.interrupted, err);
    const temporal = await connectTemporal(env, options.verbose ?? false, err, cleanup);
    const taskQueue = await startDemoWorker(temporal, flora, err, cleanup);
    const { handle, result } = await runPipelineFollowed(temporal.client, taskQueue, spec, options, {
      interrupted: signals.interrupted,
      err,
    });
    const runs = Object.values(result.steps).flatMap((step) => step.runs);
    const historyEvents = await countHistoryEvents(temporal.client, handle, runs);
    const summary: DemoSummary = {
      result,
      floraRuns: runs.length,
      floraRequests: sim ? Object.values(sim.stats().requests).reduce((a, b) => a + b, 0) : undefined,
      costUsd: result.ledger.chargedUsd,
      wallMs: Date.now() - started,
      historyEvents,
    };
    if (options.json) out(`${JSON.stringify(summary, null, 2)}\n`);
    else printSummary(summary, out);
    return summary;
  } finally {
    for (const close of cleanup) await close().catch(() => undefined);
    signals.dispose();
  }
}

/** Ctrl-C or SIGTERM rejects `interrupted`, which every long wait of the demo races against. */
function watchSignals(err: (text: string) => void): { interrupted: Promise<never>; dispose: () => void } {
  let interrupt: (reason: Error) => void = () => {};
  const interrupted = new Promise<never>((_, reject) => (interrupt = reject));
  interrupted.catch(() => undefined);
  const onSignal = (signal: NodeJS.Signals) => {
    err(`\n${signal}: shutting the demo down\n`);
    interrupt(new DemoInterrupted(signal));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    interrupted,
    dispose: () => {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    },
  };
}

/** The SDK's runtime logs errors only, so the demo's own output stays readable. */
function installQuietRuntime(): void {
  try {
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
    });
  } catch {
    // A runtime is already installed (the demo runs inside tests): keep it.
  }
}

/** FLORA: the simulator, unless --real. */
async function connectFlora(
  options: DemoOptions,
  err: (text: string) => void,
  cleanup: Cleanup,
): Promise<{ flora: FloraClient; sim: FloraSimulator | undefined }> {
  let sim: FloraSimulator | undefined;
  let flora: FloraClient;
  if (options.real) {
    const fromEnv = floraClientFromEnv(options.env ?? process.env);
    flora = fromEnv.flora;
    err(`FLORA: ${fromEnv.config.baseUrl} (real API: runs are billed)\n`);
  } else {
    const simulator = await startSimulator({ runDurationMs: options.simRunDurationMs ?? 4_000 });
    sim = simulator;
    cleanup.unshift(() => simulator.close());
    flora = new FloraClient({ baseUrl: simulator.baseUrl, apiKey: simulator.apiKey });
    err(`FLORA: simulator at ${simulator.baseUrl}\n`);
  }
  cleanup.unshift(() => flora.close());
  return { flora, sim };
}

/** With --real: plans the demo against FLORA's schemas, prints its price and asks before anything is spent. */
async function confirmRealSpend(
  flora: FloraClient,
  spec: PipelineSpecInput,
  options: DemoOptions,
  interrupted: Promise<never>,
  err: (text: string) => void,
): Promise<void> {
  const parsed = parsePipelineSpec(spec);
  if (!parsed.ok) throw new Error(`the demo pipeline is invalid: ${describeSpecProblems(parsed.problems)}`);
  const planned = await fetchSchemasAndPlan(parsed.spec, async (key) =>
    toTechniqueInfo(await flora.getTechnique(key), key),
  );
  if (!planned.ok)
    throw new Error(
      `the demo pipeline does not fit FLORA's schemas: ${describeSpecProblems(planned.problems)}`,
    );
  const price =
    `This demo creates about ${planned.plan.estimate.runs} FLORA runs costing about ${usd(planned.plan.estimate.costUsd)} ` +
    `(budget ${parsed.spec.budgetUsd === undefined ? 'none' : usd(parsed.spec.budgetUsd)}).`;
  err(`${price}\n`);
  // Spending needs a yes: typed at the terminal, or --yes from a script. Nothing is spent otherwise.
  if (options.yes) return;
  if (!options.confirm)
    throw new CliError(
      'demo --real spends money: pass --yes to confirm (no terminal to ask on)',
      1,
      'not_confirmed',
    );
  const yes = await Promise.race([options.confirm('Spend it? [y/N] '), interrupted]);
  if (!yes) throw new CliError('not confirmed; nothing was spent', 1, 'not_confirmed');
}

interface DemoTemporal {
  client: Client;
  nativeConnection: NativeConnection;
  namespace: string;
}

/** Temporal: TEMPORAL_ADDRESS if set, else an embedded dev server. */
async function connectTemporal(
  env: NodeJS.ProcessEnv,
  verbose: boolean,
  err: (text: string) => void,
  cleanup: Cleanup,
): Promise<DemoTemporal> {
  if (env.TEMPORAL_ADDRESS) {
    const settings = temporalSettingsFromEnv(env);
    const connection = await Connection.connect(connectionOptions(settings));
    cleanup.unshift(() => connection.close());
    const nativeConnection = await NativeConnection.connect(connectionOptions(settings));
    cleanup.unshift(() => nativeConnection.close());
    err(`Temporal: ${settings.address} (namespace ${settings.namespace})\n`);
    return {
      client: new Client({ connection, namespace: settings.namespace }),
      nativeConnection,
      namespace: settings.namespace,
    };
  }
  err('Temporal: starting an embedded dev server...\n');
  const server = await startEmbeddedTemporal({
    install: true,
    log: (l) => err(`${l}\n`),
    quiet: !verbose,
  });
  cleanup.unshift(() => server.teardown());
  const connection = await Connection.connect({ address: server.address });
  cleanup.unshift(() => connection.close());
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  cleanup.unshift(() => nativeConnection.close());
  err(`Temporal: embedded dev server at ${server.address}\n`);
  return {
    client: new Client({ connection, namespace: server.namespace }),
    nativeConnection,
    namespace: server.namespace,
  };
}

/** A worker on a task queue of the demo's own, running until the demo's cleanup; returns the queue. */
async function startDemoWorker(
  temporal: DemoTemporal,
  flora: FloraClient,
  err: (text: string) => void,
  cleanup: Cleanup,
): Promise<string> {
  const taskQueue = `flora-demo-${Date.now()}`;
  err('Worker: bundling workflows and starting...\n');
  const worker: Worker = await createFloraWorker({
    connection: temporal.nativeConnection,
    namespace: temporal.namespace,
    taskQueue,
    flora,
  });
  const running = worker.run();
  cleanup.unshift(async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  });
  return taskQueue;
}

/** Starts the pipeline and waits for its result, drawing its progress on stderr meanwhile. */
async function runPipelineFollowed(
  client: Client,
  taskQueue: string,
  spec: PipelineSpecInput,
  options: DemoOptions,
  { interrupted, err }: { interrupted: Promise<never>; err: (text: string) => void },
): Promise<{ handle: WorkflowHandle<typeof runPipeline>; result: PipelineResult }> {
  const real = options.real ?? false;
  const handle = await client.workflow.start(runPipeline, {
    taskQueue,
    workflowId: `${taskQueue}-${spec.name}`,
    args: [{ spec: { ...spec, options: { pollMinMs: real ? 2000 : 500, pollMaxMs: real ? 5000 : 1000 } } }],
  });
  err(`Pipeline ${spec.name}: workflow ${handle.workflowId}\n`);
  const stopProgress = followProgress(
    async () => renderPipelineProgress(await handle.query(progressQuery)),
    {
      write: err,
      isTTY: options.stderrIsTTY ?? process.stderr.isTTY === true,
      columns: options.stderrColumns ?? (() => process.stderr.columns),
    },
    500,
  );
  // The result is a long poll: on Ctrl-C it is aborted before the connection closes under it.
  const waiting = new AbortController();
  try {
    const result = await Promise.race([
      client.withAbortSignal(waiting.signal, () => handle.result()),
      interrupted,
    ]);
    await stopProgress({ final: true });
    return { handle, result };
  } finally {
    waiting.abort();
    await stopProgress();
  }
}

/** History events of the pipeline and of every run's child workflow: what the pipeline cost Temporal. */
async function countHistoryEvents(
  client: Client,
  handle: WorkflowHandle,
  runs: readonly { workflowId: string }[],
): Promise<number> {
  let historyEvents = (await handle.fetchHistory()).events?.length ?? 0;
  for (const run of runs) {
    historyEvents += (await client.workflow.getHandle(run.workflowId).fetchHistory()).events?.length ?? 0;
  }
  return historyEvents;
}

function printSummary(summary: DemoSummary, out: (text: string) => void): void {
  out('Outputs:\n');
  for (const [stepId, step] of Object.entries(summary.result.steps)) {
    for (const run of step.runs) {
      for (const o of run.outputs)
        out(
          `  ${stepId}[${run.index}]${run.item && !run.item.startsWith('http') ? ` (${run.item})` : ''}: ${o.outputId} (${o.type}) ${o.url}\n`,
        );
    }
  }
  out(
    `Summary: ${summary.floraRuns} FLORA runs, ${summary.floraRequests ?? 'n/a'} FLORA requests, ` +
      `${usd(summary.costUsd)} charged, ${(summary.wallMs / 1000).toFixed(1)} s wall time, ` +
      `${summary.historyEvents} history events\n`,
  );
}
