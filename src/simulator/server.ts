/**
 * The HTTP server: routing, auth, fault injection and logging around the API handlers.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { authenticate, handleApi } from './api';
import { CONTROL_PREFIX, handleControl, type ControlTarget } from './control';
import { ApiError } from './errors';
import { serveFile } from './files';
import {
  HeldResponses,
  InFlight,
  isLoopbackPeer,
  RateLimiter,
  RequestLog,
  type RequestLogEntry,
  type SimActivity,
} from './observe';
import {
  MAX_BODY_BYTES,
  errorResponse,
  readBody,
  writeJson,
  writeRaw,
  writeResponse,
  type SimResponse,
} from './http-io';
import { resolveOptions, type SimulatorOptions } from './options';
import { API_PREFIX, FILES_PREFIX, matchApiRoute, matchFileRoute, type RouteMatch } from './routes';
import { simRunViewAt, type SimRunSummary, type SimRunView } from './runs';
import type { ApiRoute, FaultSpec, FaultTarget, IdempotencyMode, RunErrorCode, SimRoute } from './schemas';
import { DEFAULT_FAULT_LATENCY_MS } from './faults';
import { SimulatorState } from './state';
import type { SimStats } from './stats';
import type { FloraSimulator } from './types';
import type { CallbackSettings, DeliveryRecord } from './webhooks';

/** Plausible openings of each route's body, cut off mid-token, so a client's JSON parse must fail. */
const MALFORMED_BODIES: Record<ApiRoute, string> = {
  listTechniques: '{"techniques":[{"technique_id":"tech_txt2img01","slug":"text-to-im',
  getTechnique: '{"technique_id":"tech_txt2img01","name":"Text to Image","inputs":[{"id":',
  createRunNested: '{"run_id":"run_',
  createRunTopLevel: '{"run_id":"run_',
  getRun: '{"run_id":"run_',
  listRuns: '{"technique_runs":[{"run_id":"run_',
};

/** The field each route's 2xx body cannot do without, removed by the `missingField` fault. */
const REQUIRED_FIELD: Record<ApiRoute, string> = {
  listTechniques: 'techniques',
  getTechnique: 'technique_id',
  createRunNested: 'run_id',
  createRunTopLevel: 'run_id',
  getRun: 'status',
  listRuns: 'technique_runs',
};

/** Applies a fault that rewrites a successful JSON answer; other answers go out unchanged. */
function rewriteBody(fault: FaultSpec, route: SimRoute, response: SimResponse): SimResponse {
  const body = response.body;
  if (route === 'getFile' || response.status >= 300 || body === null || typeof body !== 'object') {
    return response;
  }
  const copy = { ...(body as Record<string, unknown>) };
  if (fault.kind === 'missingField') delete copy[REQUIRED_FIELD[route]];
  if (fault.kind === 'foreignPollUrl' && typeof copy.poll_url === 'string') {
    const url = new URL(copy.poll_url);
    copy.poll_url = `${(fault.foreignOrigin ?? 'http://127.0.0.1:9').replace(/\/+$/, '')}${url.pathname}`;
  }
  return { ...response, body: copy };
}

/** What a request is about, for the request log: a create's key, a poll's run id, a file's path. */
function subjectOf(req: IncomingMessage, match: RouteMatch): string | undefined {
  if (match.kind !== 'route') return undefined;
  const key = req.headers['idempotency-key'];
  if (typeof key === 'string') return key;
  return match.params.runId ?? match.params.technique;
}

function faultResponse(fault: FaultSpec): SimResponse | undefined {
  switch (fault.kind) {
    case 'status5xx':
      return errorResponse(
        fault.status === 500
          ? ApiError.internal()
          : ApiError.serviceUnavailable(fault.retryAfterSeconds ?? null),
      );
    case 'status4xx':
      if (fault.status === 401) return errorResponse(ApiError.invalidApiKey());
      if (fault.status === 403)
        return errorResponse(ApiError.forbidden('This API key may not read this run.'));
      return errorResponse(ApiError.notFound('No such run (yet).'));
    case 'rateLimit':
      return errorResponse(
        ApiError.rateLimited(fault.retryAfterSeconds === undefined ? 1 : fault.retryAfterSeconds),
      );
    default:
      return undefined;
  }
}

/** The longest a `holdResponse` fault holds an answer when the spec gives no `latencyMs`. */
const DEFAULT_HOLD_MS = 30_000;

/** The run id a create's answer names, if this is a create that made one. */
function createdRunId(route: SimRoute, response: SimResponse | undefined): string | undefined {
  if (route !== 'createRunNested' && route !== 'createRunTopLevel') return undefined;
  const body = response?.body;
  if (body === null || typeof body !== 'object') return undefined;
  const runId = (body as { run_id?: unknown }).run_id;
  return typeof runId === 'string' ? runId : undefined;
}

/** A wildcard bind address is not dialable; point the base URL at loopback instead. */
function dialableHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

class Simulator implements FloraSimulator, ControlTarget {
  readonly baseUrl: string;
  readonly apiKey: string;
  private readonly hostPort: string;
  private closing: Promise<void> | undefined;
  private readonly wakers = new Set<() => void>();
  private readonly requestLog = new RequestLog();
  private readonly inFlight = new InFlight();
  private readonly pollCounts = new Map<string, number>();
  /** Runs whose create answer reached the client. */
  private readonly answeredRuns = new Set<string>();
  private readonly held = new HeldResponses();
  private rateLimiter: RateLimiter | undefined;

  constructor(
    private readonly server: Server,
    private readonly state: SimulatorState,
    readonly port: number,
    /** The https listener for `/files` (option `filesTls`), closed with the main one. */
    private readonly filesServer?: HttpsServer,
  ) {
    this.hostPort = `${dialableHost(state.options.host)}:${port}`;
    this.baseUrl = `http://${this.hostPort}${API_PREFIX}`;
    this.apiKey = state.options.apiKeys[0] ?? '';
    this.setRateLimit(state.options.rateLimitPerSecond);
  }

  get webhookSecret(): string {
    return this.state.options.webhookSecret;
  }

  setCallbacks(settings: Partial<CallbackSettings>): void {
    const next = { ...this.state.callbacks.settings, ...settings };
    if (!(next.dropRate >= 0 && next.dropRate <= 1)) throw new RangeError('dropRate must be in [0, 1]');
    for (const field of ['delayMs', 'ageSeconds', 'retryDelayMs'] as const) {
      if (!Number.isFinite(next[field]) || next[field] < 0)
        throw new RangeError(`${field} must be a number >= 0`);
    }
    if (next.deliverTo !== undefined) new URL(next.deliverTo); // throws on a malformed origin
    this.state.callbacks.settings = next;
  }

  deliveries(): DeliveryRecord[] {
    return this.state.callbacks.deliveries();
  }

  setRateLimit(perSecond: number | undefined): void {
    this.rateLimiter = perSecond === undefined ? undefined : new RateLimiter(perSecond);
  }

  requests(afterSeq: number): { entries: RequestLogEntry[]; last: number } {
    return this.requestLog.after(afterSeq);
  }

  activity(): SimActivity {
    const now = this.state.now();
    const runs: SimRunSummary[] = [];
    for (const run of this.state.runs.newestFirst()) {
      const view = simRunViewAt(run, now, this.state.outputBaseUrl);
      runs.push({
        run_id: run.runId,
        technique_id: run.technique.technique_id,
        idempotency_key: run.idempotencyKey ?? null,
        inputs: run.inputs,
        status: view.status,
        error_code: view.error_code ?? null,
        created_at_ms: run.createdAtMs,
        polls: this.pollCounts.get(run.runId) ?? 0,
        create_answered: this.answeredRuns.has(run.runId),
      });
    }
    return { inFlight: this.inFlight.snapshot(), runs: runs.reverse(), held: this.held.snapshot() };
  }

  stats(): SimStats {
    return this.state.snapshotStats();
  }

  addFault(route: FaultTarget, fault: FaultSpec): void {
    this.state.faults.add(route, fault);
  }

  clearFaults(): void {
    this.state.faults.clear();
  }

  queueRunFailure(slugOrTechniqueId: string, code: RunErrorCode, message?: string): void {
    this.state.queueRunFailure(slugOrTechniqueId, code, message);
  }

  hasTechnique(slugOrTechniqueId: string): boolean {
    return this.state.findTechnique(slugOrTechniqueId) !== undefined;
  }

  setIdempotencyMode(mode: IdempotencyMode): void {
    this.state.idempotencyMode = mode;
  }

  setRunDuration(ms: number, slugOrTechniqueId?: string): void {
    this.state.setRunDuration(ms, slugOrTechniqueId);
  }

  getRun(runId: string): SimRunView | undefined {
    const run = this.state.runs.get(runId);
    return run && simRunViewAt(run, this.state.now(), this.state.outputBaseUrl);
  }

  expireFiles(): void {
    this.state.expireFiles();
  }

  reset(): void {
    this.state.reset();
    this.requestLog.clear();
    this.pollCounts.clear();
    this.answeredRuns.clear();
    this.held.clear();
    this.setRateLimit(this.state.options.rateLimitPerSecond);
  }

  close(): Promise<void> {
    const closeOne = (server: Server | HttpsServer) =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // server.close() alone waits for idle keep-alive sockets to time out.
        server.closeAllConnections();
      });
    this.closing ??= (async () => {
      this.state.callbacks.close();
      for (const wake of [...this.wakers]) wake();
      await Promise.all([this.server, ...(this.filesServer ? [this.filesServer] : [])].map(closeOne));
    })();
    return this.closing;
  }

  onRequest(req: IncomingMessage, res: ServerResponse): void {
    this.handle(req, res).catch((err: unknown) => {
      if (this.closing || req.destroyed) return;
      this.reportUnexpected(err);
      writeJson(res, this.state.newRequestId(), errorResponse(ApiError.internal()));
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startedAt = performance.now();
    const requestId = this.state.newRequestId();
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://simulator.invalid');
    const logLine = (outcome: string, note = ''): void =>
      this.state.options.log?.(
        `${method} ${url.pathname}${url.search} -> ${outcome} ${requestId} ${(performance.now() - startedAt).toFixed(1)}ms${note}`,
      );

    const isControl = url.pathname === CONTROL_PREFIX || url.pathname.startsWith(`${CONTROL_PREFIX}/`);
    // Without the `control` option, or from another machine, /_sim is just an unknown path.
    if (isControl && this.state.options.control && isLoopbackPeer(req.socket.remoteAddress)) {
      const body = await readBody(req);
      const response = await this.respond(() => {
        if ('tooLarge' in body) throw ApiError.payloadTooLarge(MAX_BODY_BYTES);
        return handleControl(this, method, url.pathname, body.text, url.searchParams);
      });
      writeJson(res, requestId, response);
      logLine(String(response.status));
      return;
    }

    const match =
      this.state.options.serveFiles && url.pathname.startsWith(`${FILES_PREFIX}/`)
        ? matchFileRoute(method, url.pathname)
        : matchApiRoute(method, url.pathname);
    if (match.kind !== 'route') {
      const body = await readBody(req);
      if (this.closing) return;
      const response = await this.respond(() => this.dispatch(req, url, match, body, method));
      writeResponse(res, requestId, response);
      this.state.stats.response('unmatched', response.status);
      logLine(String(response.status));
      return;
    }
    const route = match.route;
    const leave = this.inFlight.enter(route);
    const arrivedAtMs = this.state.now();
    const subject = subjectOf(req, match);
    const count = (outcome: RequestLogEntry['outcome'], response?: SimResponse): void => {
      this.state.stats.response(route, outcome);
      const retryAfter = Number(response?.headers?.['retry-after'] ?? NaN);
      this.requestLog.add({
        atMs: arrivedAtMs,
        route,
        outcome,
        ...(Number.isFinite(retryAfter) ? { retryAfterS: retryAfter } : {}),
        ...(subject !== undefined ? { subject } : {}),
      });
      if (route === 'getRun' && outcome === 200 && match.params.runId !== undefined) {
        this.pollCounts.set(match.params.runId, (this.pollCounts.get(match.params.runId) ?? 0) + 1);
      }
      const runId = createdRunId(route, response);
      if (runId !== undefined && typeof outcome === 'number' && outcome < 300) this.answeredRuns.add(runId);
    };
    try {
      this.state.stats.request(route);
      const decision = this.state.faults.decide(route, this.state.faultPrng);
      if (decision.latencyMs > 0) {
        await this.sleep(decision.latencyMs);
        if (this.closing) return;
      }
      const fault = decision.terminal;
      if (fault?.kind === 'reset') {
        count('reset');
        logLine('reset', ' [fault: reset]');
        req.socket.destroy();
        return;
      }

      let body: Awaited<ReturnType<typeof readBody>>;
      try {
        body = await readBody(req);
      } catch {
        // The client hung up before its request was read (during a latency fault, say): nothing handled.
        count('reset');
        return;
      }
      if (this.closing) return;
      // Files are served by a CDN, outside the API's per-workspace rate limit.
      const limitedFor = route === 'getFile' ? undefined : this.rateLimiter?.take(this.state.now());
      let response =
        (fault && faultResponse(fault)) ??
        (limitedFor !== undefined ? errorResponse(ApiError.rateLimited(limitedFor)) : undefined) ??
        (await this.respond(() => this.dispatch(req, url, match, body, method)));
      if (this.closing) return;
      const note = fault ? ` [fault: ${fault.kind}]` : limitedFor !== undefined ? ' [rate limit]' : '';
      if (fault) response = rewriteBody(fault, route, response);

      if (fault?.kind === 'dropResponse') {
        // The request was fully handled (a run may now exist and be billed); only the answer is lost.
        count('dropped');
        logLine(`dropped (would be ${response.status})`, note);
        req.socket.destroy();
        return;
      }
      if (fault?.kind === 'holdResponse') {
        await this.hold(res, route, subject, response, fault.latencyMs ?? DEFAULT_HOLD_MS, requestId);
        if (res.writableEnded) count(response.status, response);
        else count('aborted');
        logLine(res.writableEnded ? String(response.status) : 'aborted (client gone while held)', note);
        return;
      }
      if (fault?.kind === 'slowResponse') {
        // Handled (and billed) already; the answer arrives late, after a client's timeout has fired.
        await this.sleep(fault.latencyMs ?? DEFAULT_FAULT_LATENCY_MS);
        if (this.closing) return;
      }
      if (fault?.kind === 'malformedJson') {
        if (route !== 'getFile') {
          writeRaw(res, requestId, 200, MALFORMED_BODIES[route]);
          count(200);
          logLine('200', note);
        } else if (response.bytes) {
          this.writeTruncated(res, requestId, response, response.bytes);
          count('truncated');
          logLine(`truncated (${response.status})`, note);
        } else {
          // No file to cut short (a 404, say): the answer goes out whole.
          writeResponse(res, requestId, response);
          count(response.status, response);
          logLine(String(response.status), note);
        }
        return;
      }
      if (req.socket.destroyed || res.destroyed) {
        // The client gave up (a timeout, a stopping worker) while we worked: the request was handled,
        // but nobody reads the answer. For a create, that is a billed run the client may not know of.
        count('aborted');
        logLine(`aborted (would be ${response.status})`, note);
        return;
      }
      writeResponse(res, requestId, response);
      count(response.status, response);
      logLine(String(response.status), note);
    } finally {
      leave();
    }
  }

  /**
   * A `holdResponse` fault: the answer (a file: its headers and half its bytes) waits until the client
   * hangs up or `maxMs` passes, then the rest goes out. Ends with `res.writableEnded` false when the
   * client left first.
   */
  private async hold(
    res: ServerResponse,
    route: SimRoute,
    subject: string | undefined,
    response: SimResponse,
    maxMs: number,
    requestId: string,
  ): Promise<void> {
    const entry = this.held.open(route, subject, createdRunId(route, response), this.state.now());
    const half = response.bytes ? Math.floor(response.bytes.length / 2) : 0;
    if (response.bytes) {
      res.writeHead(response.status, {
        ...response.headers,
        'content-length': String(response.bytes.length),
        'request-id': requestId,
      });
      res.write(response.bytes.subarray(0, half));
    }
    const gone = await new Promise<boolean>((resolve) => {
      const onClose = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        res.off('close', onClose);
        resolve(false);
      }, maxMs);
      if (res.destroyed || res.socket?.destroyed) onClose();
      else res.once('close', onClose);
    });
    entry.state = gone || this.closing ? 'client-gone' : 'answered';
    entry.ended_ms = this.state.now();
    if (entry.state === 'client-gone') return;
    if (response.bytes) res.end(response.bytes.subarray(half));
    else writeResponse(res, requestId, response);
  }

  /** Full headers, half the bytes, then a cut connection: a client sees a short read, never a clean end. */
  private writeTruncated(res: ServerResponse, requestId: string, response: SimResponse, bytes: Buffer): void {
    res.writeHead(response.status, {
      ...response.headers,
      'content-length': String(bytes.length),
      'request-id': requestId,
    });
    res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => res.socket?.destroy());
  }

  private dispatch(
    req: IncomingMessage,
    url: URL,
    match: RouteMatch,
    body: { text: string } | { tooLarge: true },
    method: string,
  ): SimResponse | Promise<SimResponse> {
    // Files sit outside the API and need no key, as signed CDN URLs do.
    if (match.kind === 'route' && match.route === 'getFile') return serveFile(this.state, match.params);
    if (match.kind === 'methodNotAllowed' && url.pathname.startsWith(`${FILES_PREFIX}/`))
      throw ApiError.methodNotAllowed(method, url.pathname, match.allowed);
    const inApi = url.pathname === API_PREFIX || url.pathname.startsWith(`${API_PREFIX}/`);
    if (!inApi)
      throw ApiError.notFound(`No route ${method} ${url.pathname}. The API lives under ${API_PREFIX}.`);
    const apiKey = authenticate(this.state, req.headers);
    if (match.kind === 'notFound') throw ApiError.notFound(`No route ${method} ${url.pathname}.`);
    if (match.kind === 'methodNotAllowed')
      throw ApiError.methodNotAllowed(method, url.pathname, match.allowed);
    if ('tooLarge' in body) throw ApiError.payloadTooLarge(MAX_BODY_BYTES);
    return handleApi(this.state, {
      route: match.route,
      params: match.params,
      query: url.searchParams,
      headers: req.headers,
      rawBody: body.text,
      apiKey,
      origin: `http://${req.headers.host ?? this.hostPort}`,
      sleep: (ms) => this.sleep(ms),
    });
  }

  private async respond(run: () => SimResponse | Promise<SimResponse>): Promise<SimResponse> {
    try {
      return await run();
    } catch (err) {
      if (err instanceof ApiError) return errorResponse(err);
      this.reportUnexpected(err);
      return errorResponse(ApiError.internal());
    }
  }

  private reportUnexpected(err: unknown): void {
    const text = `FLORA simulator: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
    if (this.state.options.log) this.state.options.log(text);
    else console.error(text);
  }

  /** A delay that close() cuts short, so a latency fault never holds the process open. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wakers.add(wake);
    });
  }
}

function listen(server: Server | HttpsServer, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Starts a simulator on a real socket; resolves once it is listening. */
export async function startSimulator(opts: SimulatorOptions = {}): Promise<FloraSimulator> {
  const options = resolveOptions(opts);
  const server = createServer();
  await listen(server, options.port, options.host);
  const { port } = server.address() as AddressInfo;
  let filesServer: HttpsServer | undefined;
  let filesOrigin = `http://${dialableHost(options.host)}:${port}`;
  if (options.serveFiles && options.filesTls && options.outputBaseUrl === undefined) {
    filesServer = createHttpsServer({ key: options.filesTls.key, cert: options.filesTls.cert });
    try {
      await listen(filesServer, 0, options.host);
    } catch (err) {
      server.close();
      throw err;
    }
    filesOrigin = `https://${dialableHost(options.host)}:${(filesServer.address() as AddressInfo).port}`;
  }
  // Built after listen: with serveFiles, output URLs carry the port, which only now is known.
  const state = new SimulatorState(options, filesOrigin);
  const sim = new Simulator(server, state, port, filesServer);
  for (const listener of [server, ...(filesServer ? [filesServer] : [])]) {
    listener.on('request', (req: IncomingMessage, res: ServerResponse) => sim.onRequest(req, res));
    listener.on('clientError', (_err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
      else socket.destroy();
    });
  }
  return sim;
}
