import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from '@temporalio/common';
import {
  bundleWorkflowCode,
  NativeConnection,
  Runtime,
  Worker,
  type WorkerOptions,
} from '@temporalio/worker';
import { createActivities } from '../activities';
import { DEFAULT_TASK_QUEUE } from '../domain/task-queue';
import { RequestRateLimiter } from '../activities/rate-limit';
import { connectionOptions, describeTemporal, temporalSettingsFromEnv } from '../temporal/config';
import type { FloraClient } from '../flora/client';
import { floraClientFromEnv } from '../flora/from-env';
import { observabilityFromEnv } from '../observability/env';
import { floraRequestObserver } from '../observability/flora-requests';
import { installWorkerRuntime } from '../observability/runtime';
import { isTracingPlugin, tracingFromEnv } from '../observability/tracing';
import { checkFloraKey, checkNamespace } from './preflight';
import { Client } from '@temporalio/client';
import { webhookSettingsFromEnv } from '../webhooks/config';
import { startWebhookReceiver, type ListeningWebhookReceiver } from '../webhooks/receiver';
import { describeTuning, tuningFromEnv, tuningWorkerOptions, type FloraWorkerTuning } from './tuning';
import { floraBundlerOptions } from './bundle-options';

/**
 * flora's workflows module: `runTechnique` and `runPipeline`, and nothing else. Compiled JS in an installed
 * package (the bundler refuses TypeScript under node_modules), the TypeScript source when run through tsx.
 */
export const WORKFLOWS_PATH = require.resolve('../workflows');

/** Written by `npm run build` next to the compiled code; absent when the TypeScript sources run. */
export const PREBUILT_BUNDLE_PATH = join(__dirname, '..', 'workflow-bundle.js');
/** The same workflows with the OpenTelemetry workflow interceptors bundled in (for a traced worker). */
export const PREBUILT_TRACING_BUNDLE_PATH = join(__dirname, '..', 'workflow-bundle-tracing.js');
const PREBUILT_BUNDLE_INFO = join(__dirname, '..', 'workflow-bundle.json');

/** What the build records about the prebuilt bundle. */
export interface PrebuiltBundleInfo {
  /** The `@temporalio/workflow` version bundled in; the bundle is used only with the same version installed. */
  workflowSdkVersion: string;
}

/**
 * The workflow bundle `npm run build` made (dist/workflow-bundle.js), so a worker restart does not
 * re-bundle. Undefined when there is none, or when it was built with another `@temporalio/workflow` than
 * the one installed next to this worker (the bundle carries that library, and it must match the worker's).
 */
export function prebuiltWorkflowBundle(tracing = false): { codePath: string } | undefined {
  const codePath = tracing ? PREBUILT_TRACING_BUNDLE_PATH : PREBUILT_BUNDLE_PATH;
  if (!existsSync(codePath) || !existsSync(PREBUILT_BUNDLE_INFO)) return undefined;
  try {
    const info = JSON.parse(readFileSync(PREBUILT_BUNDLE_INFO, 'utf8')) as PrebuiltBundleInfo;
    const installed = (
      JSON.parse(readFileSync(require.resolve('@temporalio/workflow/package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
    return info.workflowSdkVersion === installed ? { codePath } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The workflow code a worker runs: the bundle given, else a prebuilt one when it fits (no workflow
 * interceptor modules, and no plugin but the OpenTelemetry one, whose interceptors the tracing bundle
 * carries), else undefined: bundle flora's workflows at start (with the modules and plugins given).
 */
export function chooseWorkflowBundle(
  workflowBundle: WorkerOptions['workflowBundle'],
  workerOptions: Partial<WorkerOptions>,
): WorkerOptions['workflowBundle'] {
  if (workflowBundle) return workflowBundle;
  if ((workerOptions.interceptors?.workflowModules?.length ?? 0) > 0) return undefined;
  const plugins: unknown[] = workerOptions.plugins ?? [];
  if (!plugins.every(isTracingPlugin)) return undefined;
  return prebuiltWorkflowBundle(plugins.length > 0);
}

/**
 * How long one synchronous call into the workflow sandbox (an activation, or one round of condition
 * checks) may run before the SDK stops it; the SDK's default is 5 s. It is wall-clock time, so on a
 * CPU-starved machine a cheap activation can pass 5 s, and a stop that lands inside a promise callback
 * corrupts Node's async hook stack: the whole worker process aborts ("async hook stack has become
 * corrupted", docs/operations.md), taking every run and activity in it down. flora's activations take
 * milliseconds (well under a second of CPU even at a 5,000-run pipeline), so 60 s only ever stops a
 * workflow that truly never yields. A slow task meanwhile is retried by Temporal's workflow task timeout.
 * `FloraWorkerOptions.isolateExecutionTimeout` overrides it.
 */
const DEFAULT_ISOLATE_EXECUTION_TIMEOUT = '60s';

/** Added to the FLORA HTTP timeout: time for a create that just answered to report its result. */
export const SHUTDOWN_GRACE_MARGIN_MS = 5_000;

/**
 * How long a stopping worker lets in-flight activities run before cancelling them: longer than any
 * FLORA request can take, so a create in flight always gets its answer (at most 25 s + 5 s; the
 * compose file's `stop_grace_period` covers it).
 */
export function shutdownGraceMs(floraTimeoutMs: number): number {
  return floraTimeoutMs + SHUTDOWN_GRACE_MARGIN_MS;
}

/** FLORA_DOWNLOAD_ROOT, absolute; unset disables `options.downloadTo` on this worker. */
function downloadRootFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env.FLORA_DOWNLOAD_ROOT?.trim();
  return value ? resolve(value) : undefined;
}

export interface FloraWorkerOptions {
  connection: NativeConnection;
  /** @default 'default' */
  namespace?: string;
  /** @default DEFAULT_TASK_QUEUE ('flora') */
  taskQueue?: string;
  /** The one FLORA client this worker's activities share. */
  flora: FloraClient;
  /**
   * A prebuilt workflow bundle (tests build it once). @default a bundle `npm run build` made when it fits
   * (same `@temporalio/workflow`, no workflow interceptor modules, no plugin but `OpenTelemetryPlugin`:
   * dist/workflow-bundle-tracing.js with it, dist/workflow-bundle.js without), else the workflows are
   * bundled at start
   */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /**
   * FLORA requests per second for the whole task queue, shared by every worker on it (Temporal's
   * task-queue activity rate limit). @default no limit
   */
  maxRequestsPerSecond?: number;
  /**
   * Worker processes sharing `maxRequestsPerSecond`: this worker sends at most `maxRequestsPerSecond ÷
   * workers` FLORA requests per second, local-activity polls included, which the task-queue limit does not
   * see (docs/operations.md). @default 1
   */
  workers?: number;
  /**
   * This worker's FLORA request limiter, when it is shared with a FLORA activity worker in the same
   * process. @default one made from `maxRequestsPerSecond ÷ workers`, or none without a limit
   */
  limiter?: RequestRateLimiter;
  /** Where `options.downloadTo` directories are created (FLORA_DOWNLOAD_ROOT). @default downloads disabled */
  downloadRoot?: string;
  /**
   * Also register the FLORA activities under their old unprefixed names (`createRun`, ...), which
   * workflows started before the `flora-prefixed-activity-names-v1` patch schedule. @default true
   */
  legacyActivityNames?: boolean;
  /**
   * Task slots, pollers and cache size (docs/operations.md, "Worker tuning"); a bad value throws a
   * RangeError naming it. @default flora's (40 workflow task slots, as many local activity slots)
   */
  tuning?: FloraWorkerTuning;
  /**
   * How long one call into the workflow sandbox may run before the SDK stops it, which aborts the whole
   * process (docs/operations.md, "Worker crash: async hook stack has become corrupted"). The SDK reads it
   * as a worker option but does not type it, hence this field. Milliseconds, or a string such as '60s'.
   * @default '60s' (the SDK's own is 5 s)
   */
  isolateExecutionTimeout?: number | string;
  /** Extra worker options (identity, interceptors, sinks, ...); they win over `tuning`. */
  workerOptions?: Partial<WorkerOptions>;
}

/** The tuning's worker options, unless a custom `tuner` owns the slots (the SDK refuses both). */
function tunedOptions(tuning: FloraWorkerTuning | undefined, workerOptions: Partial<WorkerOptions>) {
  const tuned = tuningWorkerOptions(tuning);
  if (workerOptions.tuner !== undefined) {
    delete tuned.maxConcurrentWorkflowTaskExecutions;
    delete tuned.maxConcurrentLocalActivityExecutions;
    delete tuned.maxConcurrentActivityTaskExecutions;
  }
  return tuned;
}

/** A worker serving our workflows and FLORA activities on one task queue. */
export async function createFloraWorker(options: FloraWorkerOptions): Promise<Worker> {
  const { workflowBundle, workerOptions = {} } = options;
  // First: a bad tuning value is refused before the workflows are bundled.
  const activityWorker = floraActivityWorkerOptions({
    ...options,
    taskQueue: options.taskQueue ?? DEFAULT_TASK_QUEUE,
  });
  // Without a prebuilt bundle the workflows are bundled here, quietly (see quietBundle), unless
  // interceptor modules or plugins shape the bundle: the SDK bundles those itself.
  const customized =
    (workerOptions.interceptors?.workflowModules?.length ?? 0) > 0 ||
    (workerOptions.plugins?.length ?? 0) > 0;
  const bundle =
    chooseWorkflowBundle(workflowBundle, workerOptions) ?? (customized ? undefined : await quietBundle());
  const sandbox: { isolateExecutionTimeout: number | string } = {
    isolateExecutionTimeout: options.isolateExecutionTimeout ?? DEFAULT_ISOLATE_EXECUTION_TIMEOUT,
  };
  return Worker.create({
    ...activityWorker,
    ...(bundle ? { workflowBundle: bundle } : { workflowsPath: WORKFLOWS_PATH }),
    ...sandbox,
    ...workerOptions,
    // Bundled by the SDK (interceptor modules or plugins): with flora's preloads beside the caller's.
    ...(bundle ? {} : { bundlerOptions: withFloraPreloads(workerOptions.bundlerOptions) }),
  });
}

function withFloraPreloads(options: WorkerOptions['bundlerOptions']): WorkerOptions['bundlerOptions'] {
  // Absolute paths: a bare 'domain/zod-preload' would be read as Node's built-in `domain` module, which the
  // SDK's bundler refuses in workflow code (the worker then exits before it polls).
  const ours = floraBundlerOptions().preloadModules;
  const preloadModules = [...new Set([...ours, ...(options?.preloadModules ?? [])])];
  return { ...options, preloadModules };
}

/**
 * What both workers make of their options: where they poll, the FLORA activities with their rate limit,
 * the shutdown grace time and the tuning. The caller spreads `workerOptions` last, so they win.
 */
function floraActivityWorkerOptions(options: FloraActivityWorkerOptions) {
  const {
    connection,
    namespace = 'default',
    taskQueue,
    flora,
    maxRequestsPerSecond,
    downloadRoot,
    legacyActivityNames = true,
    tuning,
    workerOptions = {},
  } = options;
  const limiter = options.limiter ?? requestLimiter(maxRequestsPerSecond, options.workers);
  return {
    connection,
    namespace,
    taskQueue,
    activities: createActivities({ flora, downloadRoot, legacyActivityNames, limiter }),
    // Each activity is exactly one FLORA request, so this caps the regular activities' FLORA rate for the
    // whole fleet; the limiter above also covers the local-activity polls, per worker.
    ...(maxRequestsPerSecond !== undefined ? { maxTaskQueueActivitiesPerSecond: maxRequestsPerSecond } : {}),
    // A deploy must not cut a create short: FLORA may process it anyway, and its retry would overlap.
    shutdownGraceTime: shutdownGraceMs(flora.timeoutMs),
    ...tunedOptions(tuning, workerOptions),
  };
}

/** This worker's share of the fleet's FLORA request rate; undefined without a limit. */
export function requestLimiter(
  maxRequestsPerSecond: number | undefined,
  workers: number | undefined,
): RequestRateLimiter | undefined {
  if (maxRequestsPerSecond === undefined) return undefined;
  return new RequestRateLimiter(maxRequestsPerSecond / Math.max(1, workers ?? 1));
}

export type FloraActivityWorkerOptions = Omit<FloraWorkerOptions, 'workflowBundle'> & {
  /** The FLORA-only task queue, the one runs name in `options.activityTaskQueue`. */
  taskQueue: string;
};

/**
 * A worker serving only flora's FLORA activities, on a task queue of their own (runs started with
 * `options.activityTaskQueue`), so the FLORA rate limit on that queue never throttles a team's own
 * activities on theirs. Those runs make every FLORA request here, polls included (they never poll with a
 * local activity), so the workers holding their workflows need no FLORA client.
 */
export async function createFloraActivityWorker(options: FloraActivityWorkerOptions): Promise<Worker> {
  return Worker.create({ ...floraActivityWorkerOptions(options), ...(options.workerOptions ?? {}) });
}

/**
 * Bundles the workflows the way the SDK would, except that webpack's statistics (a hundred lines on
 * every start) are logged at DEBUG, not INFO: FLORA_LOG_LEVEL=DEBUG shows them. Warnings and errors are
 * untouched.
 */
async function quietBundle(): Promise<{ code: string }> {
  const logger = Runtime.instance().logger;
  const quiet: Logger = {
    log: (level, message, meta) => {
      logger.log(level === 'INFO' ? 'DEBUG' : level, message, meta);
    },
    trace: (message, meta) => {
      logger.trace(message, meta);
    },
    debug: (message, meta) => {
      logger.debug(message, meta);
    },
    info: (message, meta) => {
      logger.debug(message, meta);
    },
    warn: (message, meta) => {
      logger.warn(message, meta);
    },
    error: (message, meta) => {
      logger.error(message, meta);
    },
  };
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    logger: quiet,
    ...floraBundlerOptions(),
  });
  return { code };
}

/**
 * Runs a worker from the environment until SIGINT or SIGTERM: in-flight activities get the shutdown
 * grace time (FLORA_HTTP_TIMEOUT_MS + 5 s) to finish, polls and downloads still running after it are
 * cancelled (and retried elsewhere), then the connection, the FLORA pool and the trace exporter close,
 * and the process exits 0.
 */
export async function runWorkerFromEnv(
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<void> {
  const observability = observabilityFromEnv();
  const temporal = temporalSettingsFromEnv();
  const runtime: Runtime = installWorkerRuntime(observability);
  const logger = runtime.logger;
  const { flora, config: floraConfig } = floraClientFromEnv(process.env, {
    onRequest: floraRequestObserver(logger, runtime.metricMeter),
  });
  for (const warning of floraConfig.warnings) logger.warn(warning);
  const tracing = tracingFromEnv(observability);
  // Before connecting: a half-configured receiver is a start-up error, not a surprise later.
  const webhook = webhookSettingsFromEnv();
  const tuning = tuningFromEnv();
  const connection = await NativeConnection.connect(connectionOptions(temporal));
  let receiver: ListeningWebhookReceiver | undefined;
  try {
    await checkNamespace(connection, temporal.namespace, logger);
    await checkFloraKey(flora, logger);
    // One limiter for everything this process sends to FLORA (it counts as one of FLORA_WORKERS).
    const limiter = requestLimiter(temporal.maxRequestsPerSecond, temporal.workers);
    const shared = {
      connection,
      namespace: temporal.namespace,
      flora,
      maxRequestsPerSecond: temporal.maxRequestsPerSecond,
      ...(limiter ? { limiter } : {}),
      downloadRoot: downloadRootFromEnv(),
      tuning,
    };
    const worker = await createFloraWorker({
      ...shared,
      taskQueue: temporal.taskQueue,
      workerOptions: tracing?.workerOptions ?? {},
    });
    const activityWorker =
      temporal.activityTaskQueue !== undefined && temporal.activityTaskQueue !== temporal.taskQueue
        ? await createFloraActivityWorker({ ...shared, taskQueue: temporal.activityTaskQueue })
        : undefined;
    const workers = activityWorker ? [worker, activityWorker] : [worker];
    if (webhook !== undefined) {
      // FLORA's callbacks only wake workflows sooner; they are received beside the worker, in this process.
      receiver = await startWebhookReceiver({
        ...webhook,
        client: new Client({ connection, namespace: temporal.namespace }),
        log: (line, attrs) => {
          logger.info(line, attrs);
        },
      });
      log(`FLORA webhook receiver on http://${webhook.host}:${receiver.port}${webhook.path}`);
    }
    const stop = (signal: NodeJS.Signals) => {
      log(`${signal} received: finishing in-flight tasks, then stopping`);
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    log(
      `flora-temporal worker on ${describeTemporal(temporal)}, task queue ${temporal.taskQueue}, FLORA ${floraConfig.baseUrl}` +
        (observability.FLORA_METRICS_PORT !== undefined
          ? `, metrics on :${observability.FLORA_METRICS_PORT}/metrics`
          : '') +
        (tracing ? ', tracing on' : '') +
        (chooseWorkflowBundle(undefined, tracing?.workerOptions ?? {})
          ? ', prebuilt workflow bundle'
          : ', workflows bundled at start') +
        (activityWorker ? `, FLORA activities also on task queue ${temporal.activityTaskQueue}` : '') +
        (limiter ? `, FLORA requests ≤ ${limiter.perSecond.toFixed(2)}/s from this worker` : '') +
        (Object.keys(tuning).length > 0 ? `, tuning: ${describeTuning(tuning)}` : ''),
    );
    // One stopping stops both: a worker without its activity queue would leave runs waiting there.
    await Promise.all(
      workers.map((w) =>
        w.run().finally(() => {
          for (const other of workers) if (other.getState() === 'RUNNING') other.shutdown();
        }),
      ),
    );
    log('worker stopped');
  } finally {
    await receiver?.close();
    await connection.close();
    await flora.close();
    await tracing?.shutdown();
  }
}
