/** The CLI's connection to Temporal: fails fast, and names the address it tried. */
import { connectFromEnv, type ConnectedClient } from '../client/connection';
import { describeTemporal, temporalSettingsFromEnv } from '../temporal/config';
import { CliError, type CliIo } from './support';

/** A person is waiting: a wrong TEMPORAL_ADDRESS should say so in seconds, not after the SDK's 10 s. */
const CONNECT_TIMEOUT_MS = 3_000;

export async function connectCli(io: CliIo): Promise<ConnectedClient> {
  const settings = temporalSettingsFromEnv(io.env);
  try {
    return await connectFromEnv(io.env, { connectTimeoutMs: CONNECT_TIMEOUT_MS });
  } catch (err) {
    throw new CliError(
      `cannot reach Temporal at ${describeTemporal(settings)}: ${err instanceof Error ? err.message : String(err)}. ` +
        'Is a Temporal server running there? Set TEMPORAL_ADDRESS (host:port) to point at it',
      1,
      'temporal_unreachable',
    );
  }
}
