import { z } from 'zod';
import { isLoopbackHost } from '../domain/loopback';

export const DEFAULT_FLORA_BASE_URL = 'https://app.flora.ai/api/v1';
/** Per-request HTTP timeout. Must stay below the activities' `startToCloseTimeout` (30 s). */
export const DEFAULT_FLORA_HTTP_TIMEOUT_MS = 15_000;
export const MAX_FLORA_HTTP_TIMEOUT_MS = 25_000;

const BaseUrl = z
  .string()
  .trim()
  .default(DEFAULT_FLORA_BASE_URL)
  .transform((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: `expected an absolute URL such as ${DEFAULT_FLORA_BASE_URL}` });
      return z.NEVER;
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      ctx.addIssue({ code: 'custom', message: `expected an https:// URL, got ${url.protocol}` });
      return z.NEVER;
    }
    if (url.search || url.hash) {
      ctx.addIssue({ code: 'custom', message: 'must not carry a query string or fragment' });
      return z.NEVER;
    }
    if (url.username || url.password) {
      ctx.addIssue({ code: 'custom', message: 'must not carry credentials; set FLORA_API_KEY instead' });
      return z.NEVER;
    }
    return url.href.replace(/\/+$/, '');
  });

/** The FLORA part of the worker's environment. */
export const FloraEnv = z.object({
  FLORA_BASE_URL: BaseUrl,
  FLORA_API_KEY: z
    .string({ error: 'is required: your FLORA API key (sk_live_… or sk_test_…)' })
    .trim()
    .min(1, 'is required: your FLORA API key (sk_live_… or sk_test_…)'),
  FLORA_HTTP_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(
      MAX_FLORA_HTTP_TIMEOUT_MS,
      `must stay below the activity timeout: at most ${MAX_FLORA_HTTP_TIMEOUT_MS}`,
    )
    .default(DEFAULT_FLORA_HTTP_TIMEOUT_MS),
});
export type FloraEnv = z.infer<typeof FloraEnv>;

export interface FloraConfig {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
  /** Warnings to log once at start-up (an `http://` URL to a host that is not loopback). */
  warnings: string[];
}

/** Formats a zod error as one line per problem, each naming the environment variable. */
export function describeEnvError(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.join('.') || '(environment)'} ${issue.message}`)
    .join('; ');
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parses FLORA settings from an environment; throws a `ConfigError` naming each bad variable. */
export function floraConfigFromEnv(env: NodeJS.ProcessEnv = process.env): FloraConfig {
  const parsed = FloraEnv.safeParse(emptyToUndefined(env));
  if (!parsed.success)
    throw new ConfigError(`Invalid FLORA configuration: ${describeEnvError(parsed.error)}`);
  const { FLORA_BASE_URL: baseUrl, FLORA_API_KEY: apiKey, FLORA_HTTP_TIMEOUT_MS: timeoutMs } = parsed.data;
  const warnings: string[] = [];
  const url = new URL(baseUrl);
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    warnings.push(
      `FLORA_BASE_URL uses plain http:// to ${url.hostname}, which is not loopback: the API key travels unencrypted`,
    );
  }
  return { baseUrl, apiKey, timeoutMs, warnings };
}

/** Treats `VAR=` like an unset variable, as shells and compose files produce them. */
export function emptyToUndefined(env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(env)) out[key] = value === '' ? undefined : value;
  return out;
}
