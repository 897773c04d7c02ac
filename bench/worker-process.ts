/**
 * One system under test, in its own process so its CPU time and peak RSS are its own:
 *   flora       the real flora-temporal worker (createFloraWorker, defaults) on a prebuilt bundle;
 *   flora-activity  the same worker, runs started with `pollMode: 'activity'` (the regular-activity poll);
 *   flora-webhook   the same worker with its webhook receiver on, runs started with a `callbackUrl`;
 *   flora-tuned     the same worker with another tuning (bench/systems.ts TUNINGS, `--tuning`);
 *   frequent    Temporal's frequent-polling pattern (bench/baselines);
 *   infrequent  Temporal's infrequent-polling pattern (bench/baselines);
 *   loop        a plain Node loop, no Temporal: create, then poll every `intervalMs` until done.
 * Started by bench/systems.ts with `node --import tsx`; talks over the IPC channel.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { FloraClient } from '../src/flora/client';
import { startWebhookReceiver, type ListeningWebhookReceiver } from '../src/webhooks/receiver';
import { createFloraWorker } from '../src/worker/worker';
import { createBaselineActivities } from './baselines/activities';
import {
  isFlora,
  type LoopJob,
  type MemoryRequest,
  type WorkerMessage,
  type WorkerProcessConfig,
} from './worker-protocol';

function send(message: WorkerMessage): void {
  process.send?.(message);
}

async function driveLoopRun(flora: FloraClient, run: LoopJob['runs'][number]): Promise<void> {
  let runId: string | undefined;
  while (runId === undefined) {
    try {
      const created = await flora.createRunNested({
        slug: run.slug,
        inputs: [{ id: 'prompt', type: 'text', value: run.prompt }],
        idempotencyKey: `loop-${run.prompt}`,
      });
      runId = created.data.run_id;
    } catch {
      await delay(run.intervalMs);
    }
  }
  let polls = 0;
  for (;;) {
    await delay(run.intervalMs);
    try {
      const snapshot = await flora.getRun({ technique: run.slug, runId });
      polls += 1;
      if (snapshot.status === 'completed' || snapshot.status === 'failed') {
        send({ type: 'done', prompt: run.prompt, runId, seenAtMs: Date.now(), polls });
        return;
      }
    } catch {
      // Try again at the next tick, as a simple loop would.
    }
  }
}

/** bench/memory.ts asks where the heap stands (`gc` is there when the process runs with --expose-gc). */
function answerMemoryRequests(): void {
  process.on('message', (msg: LoopJob | MemoryRequest) => {
    if (msg.type !== 'memory') return;
    const usage = process.memoryUsage();
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    send({ type: 'memory', usage, afterGc: gc ? process.memoryUsage() : undefined });
  });
}

async function main(): Promise<void> {
  answerMemoryRequests();
  const config = JSON.parse(process.argv[2] ?? '{}') as WorkerProcessConfig;
  const flora = new FloraClient({ baseUrl: config.floraBaseUrl, apiKey: config.apiKey });
  if (config.system === 'loop') {
    process.on('message', (job: LoopJob | MemoryRequest) => {
      if (job.type !== 'runs') return;
      for (const run of job.runs) void driveLoopRun(flora, run);
    });
    send({ type: 'ready' });
    return;
  }
  // Same (quiet) logging for every Temporal system: the infrequent pattern would otherwise log a warning
  // per poll, which is a cost of logging, not of the pattern.
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
  });
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const workflowBundle = { codePath: config.bundlePath };
  const worker = isFlora(config.system)
    ? await createFloraWorker({
        connection,
        taskQueue: config.taskQueue,
        flora,
        workflowBundle,
        ...(config.tuning ? { tuning: config.tuning } : {}),
      })
    : await Worker.create({
        connection,
        taskQueue: config.taskQueue,
        workflowBundle,
        activities: createBaselineActivities(flora),
        ...(config.maxConcurrentActivities !== undefined
          ? { maxConcurrentActivityTaskExecutions: config.maxConcurrentActivities }
          : {}),
      });
  // As FLORA_WEBHOOK_PORT does in a deployed worker: the receiver in the worker process, signalling
  // through the worker's own connection.
  let receiver: ListeningWebhookReceiver | undefined;
  if (config.webhookSecret !== undefined)
    receiver = await startWebhookReceiver({
      secrets: [config.webhookSecret],
      client: new Client({ connection }),
    });
  process.once('SIGTERM', () => worker.shutdown());
  const running = worker.run();
  send({ type: 'ready', ...(receiver ? { webhookUrl: receiver.url } : {}) });
  await running;
  await receiver?.close();
  await connection.close();
  await flora.close();
  process.exit(0);
}

main().catch((err: unknown) => {
  send({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exit(1);
});
