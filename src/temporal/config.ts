/**
 * Temporal connection settings, shared by the worker, the CLI, the client library and the demo. They are
 * read the Temporal way, through the SDK's environment configuration (`@temporalio/envconfig`): the
 * TOML profile file (`TEMPORAL_CONFIG_FILE`, `TEMPORAL_PROFILE`) and the variables `TEMPORAL_ADDRESS`,
 * `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, `TEMPORAL_TLS*` override it, so a user's existing Temporal
 * setup just works. Our own variables are parsed by zod so a bad value names the variable.
 */
import type { ConnectionOptions } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { z } from 'zod';
import { DEFAULT_TASK_QUEUE } from '../domain/task-queue';
import { ConfigError, describeEnvError, emptyToUndefined } from '../flora/config';

export const DEFAULT_TEMPORAL_ADDRESS = 'localhost:7233';

export const TemporalEnv = z.object({
  /** host:port of the Temporal frontend. */
  TEMPORAL_ADDRESS: z
    .string()
    .trim()
    .regex(/^[^\s/]+:\d+$/, 'expected host:port, such as localhost:7233')
    .optional(),
  TEMPORAL_NAMESPACE: z.string().trim().min(1).optional(),
  /** The task queue our workflows and activities run on. */
  FLORA_TASK_QUEUE: z.string().trim().min(1).default(DEFAULT_TASK_QUEUE),
  /**
   * FLORA requests per second for the whole task queue (every worker together): Temporal's task-queue
   * activity rate limit, so a fleet shares FLORA's per-workspace rate limit. @default no limit
   */
  FLORA_MAX_REQUESTS_PER_SECOND: z.coerce.number().positive().max(10_000).optional(),
  /**
   * Worker processes sharing FLORA_MAX_REQUESTS_PER_SECOND: each sends at most that ÷ this many requests
   * per second, local-activity polls included (which the task-queue limit cannot see). @default 1
   */
  FLORA_WORKERS: z.coerce.number().int().positive().max(10_000).optional(),
  /**
   * Also serve flora's regular activities on this task queue (activities only, under the rate limit), for
   * runs started with `options.activityTaskQueue` set to it. @default none
   */
  FLORA_ACTIVITY_TASK_QUEUE: z.string().trim().min(1).optional(),
});
export type TemporalEnv = z.infer<typeof TemporalEnv>;

export interface TemporalSettings {
  address: string;
  namespace: string;
  taskQueue: string;
  /** TLS (true, or client certificates), from the profile or TEMPORAL_TLS* variables. */
  tls: ConnectionOptions['tls'];
  /** Temporal Cloud API key (TEMPORAL_API_KEY or the profile). Never logged. */
  apiKey: string | undefined;
  metadata: Record<string, string> | undefined;
  maxRequestsPerSecond: number | undefined;
  /** FLORA_WORKERS: how many workers share maxRequestsPerSecond. */
  workers: number | undefined;
  /** FLORA_ACTIVITY_TASK_QUEUE. */
  activityTaskQueue: string | undefined;
}

export function temporalSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): TemporalSettings {
  const cleaned = emptyToUndefined(env);
  const parsed = TemporalEnv.safeParse(cleaned);
  if (!parsed.success)
    throw new ConfigError(`Invalid Temporal configuration: ${describeEnvError(parsed.error)}`);
  const vars: Record<string, string> = {};
  for (const [key, value] of Object.entries(cleaned)) if (value !== undefined) vars[key] = value;
  let profile: ReturnType<typeof loadClientConnectConfig>;
  try {
    profile = loadClientConnectConfig({ overrideEnvVars: vars });
  } catch (err) {
    throw new ConfigError(
      `Invalid Temporal configuration (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE or TEMPORAL_TLS_*): ${(err as Error).message}`,
    );
  }
  const options = profile.connectionOptions;
  return {
    address: options.address ?? DEFAULT_TEMPORAL_ADDRESS,
    namespace: profile.namespace ?? 'default',
    taskQueue: parsed.data.FLORA_TASK_QUEUE,
    tls: options.tls,
    apiKey: typeof options.apiKey === 'string' ? options.apiKey : undefined,
    metadata: options.metadata as Record<string, string> | undefined,
    maxRequestsPerSecond: parsed.data.FLORA_MAX_REQUESTS_PER_SECOND,
    workers: parsed.data.FLORA_WORKERS,
    activityTaskQueue: parsed.data.FLORA_ACTIVITY_TASK_QUEUE,
  };
}

/** Connection options for `Connection.connect` and `NativeConnection.connect`. */
export function connectionOptions(settings: TemporalSettings) {
  return {
    address: settings.address,
    ...(settings.tls !== undefined ? { tls: settings.tls } : {}),
    ...(settings.apiKey !== undefined ? { apiKey: settings.apiKey } : {}),
    ...(settings.metadata !== undefined ? { metadata: settings.metadata } : {}),
  };
}

/** Where we connect, for log lines: never the API key or certificates. */
export function describeTemporal(settings: TemporalSettings): string {
  const auth = settings.apiKey ? ', API key' : settings.tls ? ', TLS' : '';
  return `${settings.address} (namespace ${settings.namespace}${auth})`;
}
