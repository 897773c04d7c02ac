/**
 * One chaos worker process: the project's own worker (createFloraWorker, the real FLORA client and
 * activities, the task-queue rate limit) with a workflow bundle built once by the harness, so a restart
 * costs a process start and a connection, not a bundling.
 *
 * It prints `CHAOS ready` once polling and `CHAOS first-poll <epoch ms>` when it runs its first FLORA
 * poll, so the harness can time a new worker's start to its first poll.
 *
 * CHAOS_PLANT_BUG (comma-separated) plants deliberate bugs HERE ONLY (never in src/), which the harness
 * must then report: `key-per-attempt`, a money bug (every create attempt gets a new idempotency key, as a
 * careless client would do); `leak-key`, a secrets bug (the worker prints its FLORA API key at start, as
 * a careless configuration dump would).
 */
import { Context } from '@temporalio/activity';
import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import { connectionOptions, temporalSettingsFromEnv } from '../../src/temporal/config';
import { floraClientFromEnv } from '../../src/flora/from-env';
import { observabilityFromEnv } from '../../src/observability/env';
import { floraRequestObserver } from '../../src/observability/flora-requests';
import { installWorkerRuntime } from '../../src/observability/runtime';
import { tracingFromEnv } from '../../src/observability/tracing';
import { createFloraWorker, requestLimiter } from '../../src/worker/worker';
import { prefixedActivityName } from '../../src/domain/activity-names';

async function main(): Promise<void> {
  const bugs = new Set((process.env.CHAOS_PLANT_BUG ?? '').split(','));
  if (bugs.has('leak-key')) process.stdout.write(`CHAOS config FLORA_API_KEY=${process.env.FLORA_API_KEY}\n`);
  const codePath = process.env.CHAOS_WORKFLOW_BUNDLE;
  if (!codePath) throw new Error('CHAOS_WORKFLOW_BUNDLE is required');
  const observability = observabilityFromEnv();
  const temporal = temporalSettingsFromEnv();
  const runtime = installWorkerRuntime(observability);
  const { flora } = floraClientFromEnv(process.env, {
    onRequest: floraRequestObserver(runtime.logger, runtime.metricMeter),
  });
  const tracing = tracingFromEnv(observability);
  const downloadRoot = process.env.FLORA_DOWNLOAD_ROOT || undefined;
  // This worker's share of FLORA_MAX_REQUESTS_PER_SECOND, local-activity polls included.
  const limiter = requestLimiter(temporal.maxRequestsPerSecond, temporal.workers);
  // CHAOS_UNKNOWN_CREATE_RETRY_MS (the smoke version): a create whose answer was lost is retried after this
  // instead of the production 2 minutes. Safe only because the harness's simulator finishes every create
  // well within it; the same path (one key, the run found again) is exercised, only sooner.
  const unknownRetry = process.env.CHAOS_UNKNOWN_CREATE_RETRY_MS;
  const activities = createActivities({
    flora,
    downloadRoot,
    limiter,
    ...(unknownRetry ? { unknownCreateRetryDelayMs: Number(unknownRetry) } : {}),
  });

  let polled = false;
  const pollRunOnce: typeof activities.pollRunOnce = (req) => {
    if (!polled) {
      polled = true;
      process.stdout.write(`CHAOS first-poll ${Date.now()}\n`);
    }
    return activities.pollRunOnce(req);
  };
  const createRun: typeof activities.createRun = (req) => {
    if (bugs.has('key-per-attempt')) {
      const attempt = Context.current().info.attempt;
      return activities.createRun({ ...req, idempotencyKey: `${req.idempotencyKey}-try${attempt}` });
    }
    return activities.createRun(req);
  };

  const connection = await NativeConnection.connect(connectionOptions(temporal));
  const worker = await createFloraWorker({
    connection,
    namespace: temporal.namespace,
    taskQueue: temporal.taskQueue,
    flora,
    workflowBundle: { codePath },
    maxRequestsPerSecond: temporal.maxRequestsPerSecond,
    downloadRoot,
    workerOptions: {
      ...(tracing?.workerOptions ?? {}),
      // Both names: workflows started before the prefixed-names patch schedule `createRun`, newer ones
      // `flora.createRun`; the wrappers must see every create and poll.
      activities: {
        ...activities,
        pollRunOnce,
        createRun,
        [prefixedActivityName('pollRunOnce')]: pollRunOnce,
        [prefixedActivityName('createRun')]: createRun,
      },
      identity: `chaos-${process.pid}`,
      shutdownGraceTime: '20s',
    },
  });
  const stop = (): void => {
    process.stdout.write('CHAOS stopping\n');
    if (worker.getState() === 'RUNNING') worker.shutdown();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.stdout.write(`CHAOS ready ${Date.now()}\n`);
  try {
    await worker.run();
  } finally {
    await connection.close();
    await flora.close();
    await tracing?.shutdown();
  }
  process.stdout.write('CHAOS stopped\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`worker-entry: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
