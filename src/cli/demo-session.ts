/**
 * `flora-temporal demo`: the main job on an embedded default. With nothing configured it starts a
 * Temporal dev server, the FLORA simulator and a worker in this process, runs the example pipeline
 * examples/fox-teaser.json (a poster, three styles of it, a clip of each) with live progress, prints the
 * outputs and a summary, and shuts everything down, also on Ctrl-C. TEMPORAL_ADDRESS set: that server is
 * used instead. `--real`: the same pipeline against FLORA, after printing its price.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, type Worker } from '@temporalio/worker';
import { FloraClient } from '../flora/client';
import { floraClientFromEnv } from '../flora/from-env';
import { startSimulator, type FloraSimulator } from '../simulator';
import { startEmbeddedTemporal } from '../dev/dev-server';
import { createFloraWorker } from '../worker/worker';
import { connectionOptions, temporalSettingsFromEnv } from '../config';
import { join } from 'node:path';
import { toTechniqueInfo } from '../activities';
import { loadPipelineFile } from '../client/pipelines';
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

export async function runDemo(options: DemoOptions = {}): Promise<DemoSummary> {
  const { real = false, simRunDurationMs = 4_000, env = process.env } = options;
  const out = options.out ?? ((t: string) => process.stdout.write(t));
  const err = options.err ?? ((t: string) => process.stderr.write(t));
  const started = Date.now();
  const cleanup: (() => Promise<void>)[] = [];
  let interrupt: (reason: Error) => void = () => {};
  const interrupted = new Promise<never>((_, reject) => (interrupt = reject));
  interrupted.catch(() => undefined);
  const onSignal = (signal: NodeJS.Signals) => {
    err(`\n${signal}: shutting the demo down\n`);
    interrupt(new DemoInterrupted(signal));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
    });
  } catch {
    // A runtime is already installed (the demo runs inside tests): keep it.
  }

  try {
    // FLORA: the simulator, unless --real.
    let sim: FloraSimulator | undefined;
    let flora: FloraClient;
    if (real) {
      const fromEnv = floraClientFromEnv(env);
      const config = fromEnv.config;
      flora = fromEnv.flora;
      err(`FLORA: ${config.baseUrl} (real API: runs are billed)\n`);
    } else {
      sim = await startSimulator({ runDurationMs: simRunDurationMs });
      cleanup.unshift(() => sim!.close());
      flora = new FloraClient({ baseUrl: sim.baseUrl, apiKey: sim.apiKey });
      err(`FLORA: simulator at ${sim.baseUrl}\n`);
    }
    cleanup.unshift(() => flora.close());

    const spec = await loadPipelineFile(DEMO_PIPELINE_FILE);
    if (real) {
      const parsed = parsePipelineSpec(spec);
      if (!parsed.ok)
        throw new Error(`the demo pipeline is invalid: ${describeSpecProblems(parsed.problems)}`);
      const client = flora;
      const planned = await fetchSchemasAndPlan(parsed.spec, async (key) =>
        toTechniqueInfo(await client.getTechnique(key), key),
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
      if (!options.yes) {
        if (!options.confirm)
          throw new CliError(
            'demo --real spends money: pass --yes to confirm (no terminal to ask on)',
            1,
            'not_confirmed',
          );
        const yes = await Promise.race([options.confirm('Spend it? [y/N] '), interrupted]);
        if (!yes) throw new CliError('not confirmed; nothing was spent', 1, 'not_confirmed');
      }
    }

    // Temporal: TEMPORAL_ADDRESS if set, else an embedded dev server.
    let client: Client;
    let nativeConnection: NativeConnection;
    let namespace: string;
    if (env.TEMPORAL_ADDRESS) {
      const settings = temporalSettingsFromEnv(env);
      const connection = await Connection.connect(connectionOptions(settings));
      cleanup.unshift(() => connection.close());
      nativeConnection = await NativeConnection.connect(connectionOptions(settings));
      cleanup.unshift(() => nativeConnection.close());
      client = new Client({ connection, namespace: settings.namespace });
      namespace = settings.namespace;
      err(`Temporal: ${settings.address} (namespace ${namespace})\n`);
    } else {
      err('Temporal: starting an embedded dev server...\n');
      const server = await startEmbeddedTemporal({
        install: true,
        log: (l) => err(`${l}\n`),
        quiet: !options.verbose,
      });
      cleanup.unshift(() => server.teardown());
      const connection = await Connection.connect({ address: server.address });
      cleanup.unshift(() => connection.close());
      nativeConnection = await NativeConnection.connect({ address: server.address });
      cleanup.unshift(() => nativeConnection.close());
      client = new Client({ connection, namespace: server.namespace });
      namespace = server.namespace;
      err(`Temporal: embedded dev server at ${server.address}\n`);
    }

    const taskQueue = `flora-demo-${Date.now()}`;
    err('Worker: bundling workflows and starting...\n');
    const worker: Worker = await createFloraWorker({
      connection: nativeConnection,
      namespace,
      taskQueue,
      flora,
    });
    const running = worker.run();
    cleanup.unshift(async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    });

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
    let result: PipelineResult;
    // The result is a long poll: on Ctrl-C it is aborted before the connection closes under it.
    const waiting = new AbortController();
    try {
      result = await Promise.race([
        client.withAbortSignal(waiting.signal, () => handle.result()),
        interrupted,
      ]);
      await stopProgress({ final: true });
    } finally {
      waiting.abort();
      await stopProgress();
    }
    const runs = Object.values(result.steps).flatMap((step) => step.runs);
    let historyEvents = (await handle.fetchHistory()).events?.length ?? 0;
    for (const run of runs) {
      historyEvents += (await client.workflow.getHandle(run.workflowId).fetchHistory()).events?.length ?? 0;
    }
    const summary: DemoSummary = {
      result,
      floraRuns: runs.length,
      floraRequests: sim ? Object.values(sim.stats().requests).reduce((a, b) => a + b, 0) : undefined,
      costUsd: result.ledger.chargedUsd,
      wallMs: Date.now() - started,
      historyEvents,
    };
    if (options.json) {
      out(`${JSON.stringify(summary, null, 2)}\n`);
      return summary;
    }
    out('Outputs:\n');
    for (const [stepId, step] of Object.entries(result.steps)) {
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
    return summary;
  } finally {
    for (const close of cleanup) await close().catch(() => undefined);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}
