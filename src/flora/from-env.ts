/**
 * "A FLORA client from the environment", once: the worker, the CLI, the demo and the chaos workers read
 * FLORA_BASE_URL, FLORA_API_KEY and FLORA_HTTP_TIMEOUT_MS the same way. Each caller reports the config's
 * warnings where it logs (the worker's logger, the CLI's stderr).
 */
import { FloraClient, type FloraClientOptions } from './client';
import { floraConfigFromEnv, type FloraConfig } from './config';

/** Options a caller adds to what the environment says (request observer, pool size). */
export type FloraClientExtras = Omit<FloraClientOptions, 'baseUrl' | 'apiKey' | 'timeoutMs'>;

/** Throws a `ConfigError` naming each bad variable. */
export function floraClientFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  extras: FloraClientExtras = {},
): { flora: FloraClient; config: FloraConfig } {
  const config = floraConfigFromEnv(env);
  const flora = new FloraClient({
    ...extras,
    baseUrl: config.baseUrl,
    apiKey: config.apiKey,
    timeoutMs: config.timeoutMs,
  });
  return { flora, config };
}
