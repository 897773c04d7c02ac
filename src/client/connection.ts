import { Client, Connection } from '@temporalio/client';
import { connectionOptions, temporalSettingsFromEnv, type TemporalSettings } from '../temporal/config';

export interface ConnectedClient {
  client: Client;
  settings: TemporalSettings;
  close: () => Promise<void>;
}

/**
 * Connects to Temporal the way the Temporal CLI and SDKs do: the environment-configuration profile
 * (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE) overridden by TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
 * TEMPORAL_API_KEY and TEMPORAL_TLS_*; plus FLORA_TASK_QUEUE for our workers' task queue.
 */
export async function connectFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  options: { connectTimeoutMs?: number } = {},
): Promise<ConnectedClient> {
  const settings = temporalSettingsFromEnv(env);
  const connection = await Connection.connect({
    ...connectionOptions(settings),
    connectTimeout: options.connectTimeoutMs ?? 10_000,
  });
  const client = new Client({ connection, namespace: settings.namespace });
  return { client, settings, close: () => connection.close() };
}
