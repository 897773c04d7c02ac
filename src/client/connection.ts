import { Client, Connection } from '@temporalio/client';
import { temporalSettingsFromEnv, type TemporalSettings } from '../config';

export interface ConnectedClient {
  client: Client;
  settings: TemporalSettings;
  close: () => Promise<void>;
}

/** Connects to Temporal with the settings from the environment (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, FLORA_TASK_QUEUE). */
export async function connectFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<ConnectedClient> {
  const settings = temporalSettingsFromEnv(env);
  const connection = await Connection.connect({ address: settings.address, connectTimeout: '10s' });
  const client = new Client({ connection, namespace: settings.namespace });
  return { client, settings, close: () => connection.close() };
}
