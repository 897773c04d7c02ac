/**
 * Configuration from the environment, shared by the worker and the CLI, parsed by zod so that a bad value
 * is reported with the variable's name.
 */
import { z } from 'zod';
import { ConfigError, describeEnvError, emptyToUndefined } from './flora/config';

export const TemporalEnv = z.object({
  /** host:port of the Temporal frontend. */
  TEMPORAL_ADDRESS: z
    .string()
    .trim()
    .regex(/^[^\s/]+:\d+$/, 'expected host:port, such as localhost:7233')
    .default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().trim().min(1).default('default'),
  /** The task queue our workflows and activities run on. */
  FLORA_TASK_QUEUE: z.string().trim().min(1).default('flora'),
});
export type TemporalEnv = z.infer<typeof TemporalEnv>;

export interface TemporalSettings {
  address: string;
  namespace: string;
  taskQueue: string;
}

export function temporalSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): TemporalSettings {
  const parsed = TemporalEnv.safeParse(emptyToUndefined(env));
  if (!parsed.success)
    throw new ConfigError(`Invalid Temporal configuration: ${describeEnvError(parsed.error)}`);
  return {
    address: parsed.data.TEMPORAL_ADDRESS,
    namespace: parsed.data.TEMPORAL_NAMESPACE,
    taskQueue: parsed.data.FLORA_TASK_QUEUE,
  };
}
