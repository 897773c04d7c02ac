/**
 * The idempotency cache. FLORA's two sources disagree (replay the cached response vs. 409), so the
 * mode is switchable; both agree that a reused key with a different body is a 422 and that keys are
 * scoped per API key. Only successful creates are cached: a 402 or 400 must not stick to a key,
 * or a client could never succeed with that key after fixing the cause.
 */
import { ApiError } from './errors';
import type { IdempotencyMode } from './schemas';

export interface CachedResponse {
  status: number;
  body: unknown;
}

interface Entry {
  fingerprint: string;
  response: CachedResponse;
  expiresAtMs: number;
}

export type IdempotencyLookup = { kind: 'miss' } | { kind: 'replay'; response: CachedResponse };

/** JSON with object keys sorted at every depth, so key order never makes two equal bodies differ. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const parts = Object.keys(record)
      .filter((k) => record[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`);
    return `{${parts.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export class IdempotencyStore {
  private readonly byApiKey = new Map<string, Map<string, Entry>>();
  /** Creates still being processed, by `apiKey key`: what an atomic same-key create waits for. */
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(private readonly ttlMs: number) {}

  /** Throws 409/422 per the mode; returns the cached response to replay, or `miss` to go ahead. */
  lookup(
    apiKey: string,
    key: string,
    fingerprint: string,
    mode: IdempotencyMode,
    nowMs: number,
  ): IdempotencyLookup {
    const entry = this.byApiKey.get(apiKey)?.get(key);
    if (!entry) return { kind: 'miss' };
    if (entry.expiresAtMs <= nowMs) {
      this.byApiKey.get(apiKey)?.delete(key);
      return { kind: 'miss' };
    }
    if (entry.fingerprint !== fingerprint) throw ApiError.idempotencyConflict(key);
    if (mode === 'conflict') throw ApiError.idempotencyDuplicate(key);
    return { kind: 'replay', response: entry.response };
  }

  remember(apiKey: string, key: string, fingerprint: string, response: CachedResponse, nowMs: number): void {
    let scope = this.byApiKey.get(apiKey);
    if (!scope) {
      scope = new Map();
      this.byApiKey.set(apiKey, scope);
    }
    scope.set(key, { fingerprint, response, expiresAtMs: nowMs + this.ttlMs });
  }

  /** Resolves when the create holding this key finishes; undefined when none is in progress. */
  pending(apiKey: string, key: string): Promise<void> | undefined {
    return this.inFlight.get(`${apiKey} ${key}`);
  }

  /** Marks a create with this key as in progress; call the returned function when it has finished. */
  claim(apiKey: string, key: string): () => void {
    const id = `${apiKey} ${key}`;
    let release = (): void => undefined;
    const done = new Promise<void>((resolve) => (release = resolve));
    this.inFlight.set(id, done);
    return () => {
      if (this.inFlight.get(id) === done) this.inFlight.delete(id);
      release();
    };
  }

  clear(): void {
    this.byApiKey.clear();
  }
}
