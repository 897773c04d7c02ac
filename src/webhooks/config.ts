/**
 * The receiver's settings from the environment. The secret is read here and handed to the receiver only:
 * it never reaches a workflow, a log line or an error message.
 *
 *   FLORA_WEBHOOK_SECRET  the workspace's webhook secret (whsec_…); several, comma-separated, while rotating
 *   FLORA_WEBHOOK_PORT    port to listen on (set it to run the receiver in the worker process)
 *   FLORA_WEBHOOK_HOST    interface to bind (default 127.0.0.1: put a TLS proxy in front)
 *   FLORA_WEBHOOK_PATH    path of the endpoint (default /flora/webhook)
 */
import { DEFAULT_WEBHOOK_PATH } from './receiver';

export interface WebhookSettings {
  secrets: string[];
  port: number;
  host: string;
  path: string;
}

/** Undefined when no receiver is configured; throws (naming the variable, never its value) when one is half set. */
export function webhookSettingsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  options: { required?: boolean } = {},
): WebhookSettings | undefined {
  const rawPort = env.FLORA_WEBHOOK_PORT?.trim();
  const secrets = (env.FLORA_WEBHOOK_SECRET ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (!options.required && (rawPort === undefined || rawPort === '')) {
    if (secrets.length > 0)
      throw new Error(
        'FLORA_WEBHOOK_SECRET is set but FLORA_WEBHOOK_PORT is not: set the port to run the receiver',
      );
    return undefined;
  }
  if (secrets.length === 0)
    throw new Error(
      'FLORA_WEBHOOK_SECRET is required to receive FLORA webhooks (the workspace secret, whsec_…)',
    );
  const port = Number(rawPort ?? '0');
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new Error(`FLORA_WEBHOOK_PORT: expected a port number from 0 to 65535, got "${rawPort}"`);
  const path = env.FLORA_WEBHOOK_PATH?.trim() || DEFAULT_WEBHOOK_PATH;
  if (!path.startsWith('/'))
    throw new Error(`FLORA_WEBHOOK_PATH: expected a path starting with "/", got "${path}"`);
  return { secrets, port, host: env.FLORA_WEBHOOK_HOST?.trim() || '127.0.0.1', path };
}
