import { Pool, errors as undiciErrors } from 'undici';
import type { z } from 'zod';
import { DEFAULT_FLORA_HTTP_TIMEOUT_MS } from './config';
import { DEFAULT_RETRY_AFTER_MS, FloraError, FloraProtocolError } from './errors';
import { FailureType } from '../domain/failures';
import {
  ErrorEnvelope,
  Run,
  Technique,
  TechniqueListPage,
  TechniqueRunPage,
  TopLevelCreateResponse,
} from './schemas';

/** One completed (or failed) HTTP exchange, for logs and metrics. Never carries the API key. */
export interface FloraRequestEvent {
  method: string;
  /** The route template, e.g. `GET /techniques/{id}/runs/{run_id}`. */
  route: string;
  status: number | undefined;
  requestId: string | undefined;
  durationMs: number;
  /** Set when the request failed; FLORA's code or one of ours. */
  errorCode?: string | undefined;
}

export interface FloraClientOptions {
  /** Base URL including the version path. @default 'https://app.flora.ai/api/v1' */
  baseUrl?: string;
  /** Bearer token. Required. */
  apiKey: string;
  /** Whole-request timeout (connect, headers and body). @default 15000 */
  timeoutMs?: number;
  /** Connections kept open to FLORA. @default 16 */
  connections?: number;
  /** Called once per request, after it ends. */
  onRequest?: (event: FloraRequestEvent) => void;
}

export interface NestedInput {
  id: string;
  type: string;
  value: string;
}

export interface CreateRunNestedRequest {
  slug: string;
  inputs: NestedInput[];
  idempotencyKey?: string | undefined;
  callbackUrl?: string | undefined;
}

export interface CreateRunTopLevelRequest {
  techniqueId: string;
  workspaceId: string;
  inputs: Record<string, string>;
  idempotencyKey?: string | undefined;
}

export interface CallOptions {
  /** Aborts the request (an activity's cancellation signal, say). */
  signal?: AbortSignal | undefined;
}

export interface Created<T> {
  data: T;
  /** FLORA answered from its idempotency cache (`idempotent-replayed: true`). */
  replayed: boolean;
  requestId: string | undefined;
}

export interface ListTechniquesQuery {
  limit?: number | undefined;
  cursor?: string | undefined;
  query?: string | undefined;
  workspaceId?: string | undefined;
}

export interface ListRunsQuery {
  techniqueId?: string | undefined;
  status?: string | undefined;
  workspaceId?: string | undefined;
  projectId?: string | undefined;
  cursor?: string | undefined;
  limit?: number | undefined;
}

interface RequestSpec<S extends z.ZodType> {
  method: 'GET' | 'POST';
  /** Path below the base URL, already encoded, with the query string. */
  path: string;
  route: string;
  schema: S;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal | undefined;
}

interface Response<T> {
  data: T;
  status: number;
  requestId: string | undefined;
  replayed: boolean;
}

/**
 * A thin, typed FLORA client: one undici pool per process, Bearer auth, a whole-request timeout, zod at
 * the boundary, and no retries (Temporal's retry policy is the only one). Every failure is a
 * `FloraError`.
 */
export class FloraClient {
  readonly baseUrl: string;
  private readonly origin: string;
  private readonly basePath: string;
  private readonly apiKey: string;
  /** The whole-request timeout, for callers that must outlast a request (a worker's shutdown grace). */
  readonly timeoutMs: number;
  private readonly pool: Pool;
  private readonly onRequest: ((event: FloraRequestEvent) => void) | undefined;

  constructor(options: FloraClientOptions) {
    const {
      baseUrl = 'https://app.flora.ai/api/v1',
      apiKey,
      timeoutMs = DEFAULT_FLORA_HTTP_TIMEOUT_MS,
      connections = 16,
      onRequest,
    } = options;
    if (!apiKey) throw new TypeError('FloraClient: apiKey is required');
    const url = new URL(baseUrl);
    this.baseUrl = url.href.replace(/\/+$/, '');
    this.origin = url.origin;
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.apiKey = apiKey;
    this.timeoutMs = timeoutMs;
    this.onRequest = onRequest;
    this.pool = new Pool(this.origin, { connections, keepAliveTimeout: 30_000 });
  }

  async listTechniques(query: ListTechniquesQuery = {}, options: CallOptions = {}) {
    const qs = queryString({
      limit: query.limit,
      cursor: query.cursor,
      query: query.query,
      workspace_id: query.workspaceId,
    });
    const res = await this.request({
      method: 'GET',
      path: `/techniques${qs}`,
      route: 'GET /techniques',
      schema: TechniqueListPage,
      signal: options.signal,
    });
    return res.data;
  }

  async getTechnique(slugOrId: string, options: CallOptions = {}): Promise<Technique> {
    const res = await this.request({
      method: 'GET',
      path: `/techniques/${segment(slugOrId)}`,
      route: 'GET /techniques/{id}',
      schema: Technique,
      signal: options.signal,
    });
    return res.data;
  }

  /** `POST /techniques/{slug}/runs`, always `mode: "async"`. */
  async createRunNested(req: CreateRunNestedRequest, options: CallOptions = {}): Promise<Created<Run>> {
    const body: Record<string, unknown> = { inputs: req.inputs, mode: 'async' };
    if (req.idempotencyKey !== undefined) body.idempotency_key = req.idempotencyKey;
    if (req.callbackUrl !== undefined) body.callback_url = req.callbackUrl;
    const res = await this.request({
      method: 'POST',
      path: `/techniques/${segment(req.slug)}/runs`,
      route: 'POST /techniques/{slug}/runs',
      schema: Run,
      body,
      headers: idempotencyHeader(req.idempotencyKey),
      signal: options.signal,
    });
    return { data: res.data, replayed: res.replayed, requestId: res.requestId };
  }

  /** `POST /runs/technique`, the top-level route (inputs as a map). */
  async createRunTopLevel(
    req: CreateRunTopLevelRequest,
    options: CallOptions = {},
  ): Promise<Created<TopLevelCreateResponse>> {
    const body: Record<string, unknown> = {
      technique_id: req.techniqueId,
      workspace_id: req.workspaceId,
      inputs: req.inputs,
    };
    if (req.idempotencyKey !== undefined) body.idempotency_key = req.idempotencyKey;
    const res = await this.request({
      method: 'POST',
      path: '/runs/technique',
      route: 'POST /runs/technique',
      schema: TopLevelCreateResponse,
      body,
      headers: idempotencyHeader(req.idempotencyKey),
      signal: options.signal,
    });
    return { data: res.data, replayed: res.replayed, requestId: res.requestId };
  }

  /**
   * Polls a run. `pollUrl`, when FLORA gave one and it points at the configured FLORA origin, is used as
   * is; a poll URL on any other origin is ignored so the API key is never sent elsewhere.
   */
  async getRun(
    ref: { technique: string; runId: string; pollUrl?: string | null | undefined },
    options: CallOptions = {},
  ): Promise<Run> {
    const path =
      this.pathFromPollUrl(ref.pollUrl) ?? `/techniques/${segment(ref.technique)}/runs/${segment(ref.runId)}`;
    const res = await this.request({
      method: 'GET',
      path,
      route: 'GET /techniques/{id}/runs/{run_id}',
      schema: Run,
      signal: options.signal,
    });
    return res.data;
  }

  async listRuns(query: ListRunsQuery = {}, options: CallOptions = {}) {
    const qs = queryString({
      technique_id: query.techniqueId,
      status: query.status,
      workspace_id: query.workspaceId,
      project_id: query.projectId,
      cursor: query.cursor,
      limit: query.limit,
    });
    const res = await this.request({
      method: 'GET',
      path: `/technique-runs${qs}`,
      route: 'GET /technique-runs',
      schema: TechniqueRunPage,
      signal: options.signal,
    });
    return res.data;
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  /** Strips a poll URL down to a path below our base URL, or undefined if it points anywhere else. */
  private pathFromPollUrl(pollUrl: string | null | undefined): string | undefined {
    if (!pollUrl) return undefined;
    let url: URL;
    try {
      url = new URL(pollUrl, `${this.baseUrl}/`);
    } catch {
      return undefined;
    }
    if (url.origin !== this.origin || !url.pathname.startsWith(`${this.basePath}/`)) return undefined;
    return url.pathname.slice(this.basePath.length) + url.search;
  }

  private async request<S extends z.ZodType>(spec: RequestSpec<S>): Promise<Response<z.infer<S>>> {
    const started = performance.now();
    let status: number | undefined;
    let requestId: string | undefined;
    try {
      const timeout = AbortSignal.timeout(this.timeoutMs);
      const signal = spec.signal ? AbortSignal.any([spec.signal, timeout]) : timeout;
      const headers: Record<string, string> = {
        authorization: `Bearer ${this.apiKey}`,
        accept: 'application/json',
        'user-agent': 'flora-temporal/0.1',
        ...spec.headers,
      };
      if (spec.body !== undefined) headers['content-type'] = 'application/json';
      let res;
      try {
        res = await this.pool.request({
          method: spec.method,
          path: this.basePath + spec.path,
          headers,
          body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
          signal,
        });
      } catch (err) {
        throw this.transportError(err, spec.route, timeout.aborted);
      }
      status = res.statusCode;
      requestId = headerValue(res.headers['request-id']);
      let text: string;
      try {
        text = await res.body.text();
      } catch (err) {
        throw this.transportError(err, spec.route, timeout.aborted, status, requestId);
      }
      if (status < 200 || status >= 300) {
        throw this.httpError(status, text, headerValue(res.headers['retry-after']), requestId, spec.route);
      }
      const data = parseBody(text, spec.schema, spec.route, status, requestId);
      this.emit(spec, started, status, requestId);
      return {
        data,
        status,
        requestId,
        replayed: headerValue(res.headers['idempotent-replayed'])?.toLowerCase() === 'true',
      };
    } catch (err) {
      const error =
        err instanceof FloraError ? err : this.transportError(err, spec.route, false, status, requestId);
      this.emit(spec, started, error.status ?? status, error.requestId ?? requestId, error.code);
      throw error;
    }
  }

  private emit(
    spec: RequestSpec<z.ZodType>,
    started: number,
    status: number | undefined,
    requestId: string | undefined,
    errorCode?: string,
  ): void {
    if (!this.onRequest) return;
    try {
      const returned: unknown = this.onRequest({
        method: spec.method,
        route: spec.route,
        status,
        requestId,
        durationMs: Math.round(performance.now() - started),
        errorCode,
      });
      // An async hook's rejection must not become an unhandled rejection either.
      if (returned instanceof Promise) returned.catch(() => undefined);
    } catch {
      // A logging hook must never turn a FLORA answer into a failure.
    }
  }

  private httpError(
    status: number,
    text: string,
    retryAfter: string | undefined,
    requestId: string | undefined,
    route: string,
  ): FloraError {
    let code = status >= 500 ? FailureType.UnknownError : `http_${status}`;
    let message = `FLORA answered HTTP ${status}`;
    let fields: { field: string; message: string }[] | undefined;
    const envelope = ErrorEnvelope.safeParse(safeJson(text));
    if (envelope.success) {
      code = envelope.data.error.code;
      if (envelope.data.error.message) message = envelope.data.error.message;
      fields = envelope.data.error.fields ?? undefined;
    }
    if (status === 429 && !envelope.success) code = FailureType.RateLimited;
    return new FloraError({
      status,
      code,
      message: this.redact(message),
      fields: fields?.map((f) => ({ field: this.redact(f.field), message: this.redact(f.message) })),
      requestId,
      route,
      retryAfterMs: status === 429 ? parseRetryAfter(retryAfter) : parseRetryAfterOrUndefined(retryAfter),
    });
  }

  private transportError(
    err: unknown,
    route: string,
    timedOut: boolean,
    status?: number,
    requestId?: string,
  ): FloraError {
    if (err instanceof FloraError) return err;
    const code = errorCode(err);
    const isTimeout =
      timedOut ||
      code === 'UND_ERR_HEADERS_TIMEOUT' ||
      code === 'UND_ERR_BODY_TIMEOUT' ||
      code === 'UND_ERR_CONNECT_TIMEOUT';
    const detail = err instanceof Error ? err.message : String(err);
    return new FloraError({
      status,
      code: isTimeout ? FailureType.Timeout : FailureType.NetworkError,
      // Without a status, only a failure to connect proves FLORA never saw the request.
      outcomeUnknown: status === undefined && !(code !== undefined && NOT_SENT_CODES.has(code)),
      message: this.redact(
        isTimeout
          ? `FLORA did not answer within ${this.timeoutMs} ms`
          : `could not reach FLORA at ${this.origin}: ${code ? `${code} ` : ''}${detail}`,
      ),
      requestId,
      route,
      cause: err instanceof undiciErrors.UndiciError || err instanceof Error ? err : undefined,
    });
  }

  /** Belt and braces: FLORA should never echo the key, but a message we relay must not carry it. */
  private redact(text: string): string {
    return text.split(this.apiKey).join('[redacted]');
  }
}

function parseBody<S extends z.ZodType>(
  text: string,
  schema: S,
  route: string,
  status: number,
  requestId: string | undefined,
): z.infer<S> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new FloraProtocolError({
      status,
      code: FailureType.ProtocolError,
      message: `FLORA sent a body that is not JSON (${text.length} bytes)`,
      requestId,
      route,
    });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const path = issue.path.map(String).join('.') || '(body)';
      return `${path}: ${issue.message}`;
    });
    throw new FloraProtocolError({
      status,
      code: FailureType.ProtocolError,
      message: `FLORA's response breaks the API contract: ${problems.join('; ')}`,
      fields: parsed.error.issues.map((issue) => ({
        field: issue.path.map(String).join('.') || '(body)',
        message: issue.message,
      })),
      requestId,
      route,
    });
  }
  return parsed.data;
}

/** Connection failures that happen before a request is written: FLORA cannot have seen it. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function idempotencyHeader(key: string | undefined): Record<string, string> {
  return key === undefined ? {} : { 'idempotency-key': key };
}

function segment(value: string): string {
  return encodeURIComponent(value);
}

function queryString(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `retry-after` is seconds or an HTTP date; anything unreadable falls back to the 5 s default. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number {
  return parseRetryAfterOrUndefined(value, now) ?? DEFAULT_RETRY_AFTER_MS;
}

function parseRetryAfterOrUndefined(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(value);
  if (Number.isFinite(date)) return Math.max(0, date - now);
  return undefined;
}

function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string')
    return err.code;
  return undefined;
}
