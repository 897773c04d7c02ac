/**
 * `flora-temporal demo`: the main job on an embedded default. With nothing configured it starts a
 * Temporal dev server, the FLORA simulator and a worker in this process, runs a small chain (text to
 * image, then that image to video) as durable workflows with live progress, prints the outputs and a
 * summary, and shuts everything down, also on Ctrl-C.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, type Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { FloraClient } from '../flora/client';
import { floraConfigFromEnv } from '../flora/config';
import { startSimulator, type FloraSimulator } from '../simulator';
import { startLocalTemporal } from '../dev/test-server';
import { createFloraWorker } from '../worker/worker';
import { connectionOptions, temporalSettingsFromEnv } from '../config';
import { runTechnique, statusQuery } from '../workflows';
import type { RunTechniqueInput, RunTechniqueResult } from '../workflows/types';

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
  out?: (text: string) => void;
  err?: (text: string) => void;
}

export interface DemoSummary {
  results: RunTechniqueResult[];
  floraRequests: number | undefined;
  costUsd: number;
  wallMs: number;
  historyEvents: number;
}

const STEPS: { label: string; input: (previous: RunTechniqueResult | undefined) => RunTechniqueInput }[] = [
  {
    label: 'poster',
    input: () => ({ technique: 'text-to-image', inputs: { prompt: 'a red fox at dawn, cinematic light' } }),
  },
  {
    label: 'clip',
    input: (previous) => ({
      technique: 'image-to-video',
      inputs: { input_image: previous?.outputs[0]?.url ?? '', prompt: 'slow push-in' },
    }),
  },
];

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
      const config = floraConfigFromEnv(env);
      flora = new FloraClient({
        baseUrl: config.baseUrl,
        apiKey: config.apiKey,
        timeoutMs: config.timeoutMs,
      });
      err(`FLORA: ${config.baseUrl} (real API: runs are billed)\n`);
    } else {
      sim = await startSimulator({ runDurationMs: simRunDurationMs });
      cleanup.unshift(() => sim!.close());
      flora = new FloraClient({ baseUrl: sim.baseUrl, apiKey: sim.apiKey });
      err(`FLORA: simulator at ${sim.baseUrl}\n`);
    }
    cleanup.unshift(() => flora.close());

    if (real) {
      let total = 0;
      for (const slug of ['text-to-image', 'image-to-video'])
        total += (await flora.getTechnique(slug)).run_cost;
      err(`This demo creates ${STEPS.length} FLORA runs costing $${total.toFixed(2)} in all.\n`);
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
      const testEnv: TestWorkflowEnvironment = await startLocalTemporal({
        install: true,
        log: (l) => err(`${l}\n`),
      });
      cleanup.unshift(() => testEnv.teardown());
      client = testEnv.client;
      nativeConnection = testEnv.nativeConnection;
      namespace = testEnv.namespace ?? 'default';
      err(`Temporal: embedded dev server at ${testEnv.address}\n`);
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

    const results: RunTechniqueResult[] = [];
    let historyEvents = 0;
    let previous: RunTechniqueResult | undefined;
    for (const step of STEPS) {
      const handle = await client.workflow.start(runTechnique, {
        taskQueue,
        workflowId: `${taskQueue}-${step.label}`,
        args: [
          {
            ...step.input(previous),
            options: { pollMinMs: real ? 2000 : 500, pollMaxMs: real ? 5000 : 1000 },
          },
        ],
      });
      let last = '';
      const timer = setInterval(() => {
        handle
          .query(statusQuery)
          .then((s) => {
            const line = `[${step.label}] ${s.phase}${s.runId ? ` ${s.runId}` : ''} ${bar(s.progress)} ${s.progress}% polls ${s.polls}`;
            if (line !== last) err(`${line}\n`);
            last = line;
          })
          .catch(() => undefined);
      }, 500);
      try {
        previous = await Promise.race([handle.result(), interrupted]);
      } finally {
        clearInterval(timer);
      }
      results.push(previous);
      historyEvents += (await handle.fetchHistory()).events?.length ?? 0;
      err(`[${step.label}] completed ${previous.runId}\n`);
    }

    const summary: DemoSummary = {
      results,
      floraRequests: sim ? Object.values(sim.stats().requests).reduce((a, b) => a + b, 0) : undefined,
      costUsd: Math.round(results.reduce((sum, r) => sum + r.chargedCost, 0) * 100) / 100,
      wallMs: Date.now() - started,
      historyEvents,
    };
    out('Outputs:\n');
    for (const [i, r] of results.entries()) {
      for (const o of r.outputs)
        out(`  ${STEPS[i]?.label ?? r.technique.slug}: ${o.outputId} (${o.type}) ${o.url}\n`);
    }
    out(
      `Summary: ${results.length} FLORA runs, ${summary.floraRequests ?? 'n/a'} FLORA requests, ` +
        `$${summary.costUsd.toFixed(2)} charged, ${(summary.wallMs / 1000).toFixed(1)} s wall time, ` +
        `${summary.historyEvents} history events\n`,
    );
    return summary;
  } finally {
    for (const close of cleanup) await close().catch(() => undefined);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

function bar(progress: number, width = 20): string {
  const filled = Math.round((Math.min(100, Math.max(0, progress)) / 100) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}
