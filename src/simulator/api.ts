/**
 * The FLORA API handlers. Each takes an authenticated request and returns a response or throws an
 * ApiError; transport concerns (faults, sockets, logging) live in server.ts.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';
import { ApiError, type FieldError } from './errors';
import { parseJsonBody, type SimResponse } from './http-io';
import { canonicalJson } from './idempotency';
import { decodeCursor, encodeCursor, parseLimit } from './pagination';
import { historyItemAt, runObjectAt, type RunHistoryItem } from './runs';
import { runStateAt } from './lifecycle';
import type { ApiRoute, SimTechnique } from './schemas';
import type { SimulatorState } from './state';
import { NestedCreateBodySchema, TopLevelCreateBodySchema, parseOrThrow, validateInputs } from './validation';

export interface ApiRequest {
  route: ApiRoute;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  rawBody: string;
  apiKey: string;
  origin: string;
  /** A delay that the simulator's close() cuts short. */
  sleep: (ms: number) => Promise<void>;
}

type Handler = (state: SimulatorState, req: ApiRequest) => SimResponse | Promise<SimResponse>;

/** Runs each check, collecting the field errors of all of them, so one response lists every problem. */
function collect<T>(errors: FieldError[], check: () => T): T | undefined {
  try {
    return check();
  } catch (err) {
    if (err instanceof ApiError && err.fields) {
      errors.push(...err.fields);
      return undefined;
    }
    throw err;
  }
}

const TechIdSchema = z.string().regex(/^tech_\S+$/, 'must be a technique id starting with tech_');
const WorkspaceIdSchema = z.string().regex(/^ws_\S+$/, 'must match ^ws_\\S+$');
const RunStatusSchema = z.enum(['pending', 'running', 'completed', 'failed']);

function queryParam<T>(query: URLSearchParams, name: string, schema: z.ZodType<T>): T | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  const result = schema.safeParse(raw);
  if (!result.success) {
    throw ApiError.validation([
      { field: name, message: `${result.error.issues[0]?.message ?? 'is invalid'}` },
    ]);
  }
  return result.data;
}

function checkWorkspace(state: SimulatorState, workspaceId: string | undefined): void {
  if (workspaceId !== undefined && workspaceId !== state.options.workspaceId) {
    throw ApiError.forbidden(`This API key has no access to workspace ${workspaceId}.`);
  }
}

function techniqueNotFound(idOrSlug: string): ApiError {
  return ApiError.notFound(`No technique "${idOrSlug}". List techniques with GET /techniques.`);
}

function techniqueSchema(t: SimTechnique): Record<string, unknown> {
  return {
    technique_id: t.technique_id,
    slug: t.slug,
    name: t.name,
    description: t.description,
    run_cost: t.run_cost,
    inputs: t.inputs.map((s) => ({ ...s })),
    outputs: t.outputs.map((s) => ({ ...s })),
  };
}

const listTechniques: Handler = (state, req) => {
  const errors: FieldError[] = [];
  const limit = collect(errors, () => parseLimit(req.query.get('limit')));
  const offset = collect(errors, () => decodeCursor('techniques', req.query.get('cursor')));
  const workspaceId = collect(errors, () => queryParam(req.query, 'workspace_id', WorkspaceIdSchema));
  if (errors.length > 0 || limit === undefined) throw ApiError.validation(errors);
  checkWorkspace(state, workspaceId);

  const needle = req.query.get('query')?.trim().toLowerCase() ?? '';
  const matches = state.techniques.filter(
    (t) => needle === '' || t.name.toLowerCase().includes(needle) || t.slug.toLowerCase().includes(needle),
  );
  const start = offset ?? 0;
  const end = start + limit;
  return {
    status: 200,
    body: {
      // Deliberately the minimal list shape (no inputs/outputs): clients must fetch the schema.
      techniques: matches.slice(start, end).map((t) => ({
        technique_id: t.technique_id,
        slug: t.slug,
        name: t.name,
        description: t.description,
        run_cost: t.run_cost,
      })),
      meta: { limit, ...(end < matches.length ? { next_cursor: encodeCursor('techniques', end) } : {}) },
    },
  };
};

const getTechnique: Handler = (state, req) => {
  const id = req.params.technique ?? '';
  const technique = state.findTechnique(id);
  if (!technique) throw techniqueNotFound(id);
  return { status: 200, body: techniqueSchema(technique) };
};

/** The key from the `Idempotency-Key` header and/or the body field; the two must agree when both are sent. */
function resolveIdempotencyKey(
  headers: IncomingHttpHeaders,
  bodyKey: string | undefined,
): string | undefined {
  const header = headers['idempotency-key'];
  if (header === undefined) return bodyKey;
  if (Array.isArray(header) || header.trim() === '' || header.length > 255) {
    throw ApiError.validation([
      { field: 'Idempotency-Key', message: 'header must be sent once, non-empty, at most 255 characters' },
    ]);
  }
  if (bodyKey !== undefined && bodyKey !== header) {
    throw ApiError.validation([
      {
        field: 'idempotency_key',
        message: `differs from the Idempotency-Key header ("${header}"); send one key`,
      },
    ]);
  }
  return header;
}

/**
 * Replays or rejects a reused key before anything else is looked at, and caches only a successful
 * create: the key must stay usable after a 400/402/404 is fixed. A create takes `createLatencyMs` to
 * process; in the atomic modes a same-key create arriving meanwhile waits for the first and then gets
 * the mode's answer, in `non-atomic` mode it is processed too (FLORA's "may both run").
 */
async function withIdempotency(
  state: SimulatorState,
  req: ApiRequest,
  key: string | undefined,
  fingerprint: unknown,
  create: () => SimResponse,
): Promise<SimResponse> {
  const latencyMs = state.options.createLatencyMs;
  if (key === undefined) {
    if (latencyMs > 0) await req.sleep(latencyMs);
    return create();
  }
  const print = canonicalJson(fingerprint);
  const atomic = state.idempotencyMode !== 'non-atomic';
  for (;;) {
    const found = state.idempotency.lookup(req.apiKey, key, print, state.idempotencyMode, state.now());
    if (found.kind === 'replay') {
      return { ...found.response, headers: { 'idempotent-replayed': 'true' } };
    }
    const pending = atomic ? state.idempotency.pending(req.apiKey, key) : undefined;
    if (pending === undefined) break;
    await pending;
  }
  const release = atomic && latencyMs > 0 ? state.idempotency.claim(req.apiKey, key) : undefined;
  try {
    if (latencyMs > 0) await req.sleep(latencyMs);
    const response = create();
    if (response.status < 300) {
      state.idempotency.remember(
        req.apiKey,
        key,
        print,
        { status: response.status, body: response.body },
        state.now(),
      );
    }
    return response;
  } finally {
    release?.();
  }
}

function withoutKey<T extends { idempotency_key?: string }>(body: T): Omit<T, 'idempotency_key'> {
  const { idempotency_key: _ignored, ...rest } = body;
  return rest;
}

const createRunNested: Handler = (state, req) => {
  const body = parseOrThrow(NestedCreateBodySchema, parseJsonBody(req.rawBody));
  const key = resolveIdempotencyKey(req.headers, body.idempotency_key);
  const slug = req.params.technique ?? '';
  const fingerprint = { route: 'POST /techniques/{slug}/runs', slug, body: withoutKey(body) };
  return withIdempotency(state, req, key, fingerprint, () => {
    const technique = state.techniqueBySlug(slug);
    if (!technique) {
      if (state.techniqueById(slug)) {
        throw ApiError.notFound(
          `POST /techniques/{slug}/runs takes the technique slug, not its id "${slug}". ` +
            'Use the slug, or POST /runs/technique with technique_id.',
        );
      }
      throw techniqueNotFound(slug);
    }
    const inputs = validateInputs(technique, body.inputs);
    const run = state.createRun({
      technique,
      apiKey: req.apiKey,
      route: 'nested',
      ...(key !== undefined ? { idempotencyKey: key } : {}),
      inputs: inputs.values,
      ...(inputs.triggeredFailure !== undefined ? { triggeredFailure: inputs.triggeredFailure } : {}),
      origin: req.origin,
      callbackUrl: body.callback_url,
    });
    return { status: 200, body: runObjectAt(run, run.createdAtMs, state.outputBaseUrl) };
  });
};

const createRunTopLevel: Handler = (state, req) => {
  const body = parseOrThrow(TopLevelCreateBodySchema, parseJsonBody(req.rawBody));
  const key = resolveIdempotencyKey(req.headers, body.idempotency_key);
  const fingerprint = { route: 'POST /runs/technique', body: withoutKey(body) };
  return withIdempotency(state, req, key, fingerprint, () => {
    checkWorkspace(state, body.workspace_id);
    const technique = state.techniqueById(body.technique_id);
    if (!technique) throw techniqueNotFound(body.technique_id);
    const inputs = validateInputs(
      technique,
      Object.entries(body.inputs).map(([id, value]) => ({ id, value })),
    );
    const run = state.createRun({
      technique,
      apiKey: req.apiKey,
      route: 'topLevel',
      ...(key !== undefined ? { idempotencyKey: key } : {}),
      inputs: inputs.values,
      ...(inputs.triggeredFailure !== undefined ? { triggeredFailure: inputs.triggeredFailure } : {}),
      origin: req.origin,
      callbackUrl: body.callback_url,
    });
    return {
      status: 200,
      body: {
        run_id: run.runId,
        type: 'technique',
        charged_cost: technique.run_cost,
        estimated_seconds: (run.estimatedMs ?? run.durationMs) / 1000,
        poll_url: run.pollUrl,
        project_id: run.projectId,
        technique: { technique_id: technique.technique_id, name: technique.name },
      },
    };
  });
};

const getRun: Handler = (state, req) => {
  const id = req.params.technique ?? '';
  const runId = req.params.runId ?? '';
  const technique = state.findTechnique(id);
  if (!technique) throw techniqueNotFound(id);
  const run = state.runs.get(runId);
  // Another key's run is reported exactly like a missing one, so run ids leak nothing.
  if (!run || run.technique.technique_id !== technique.technique_id || run.apiKey !== req.apiKey) {
    throw ApiError.notFound(`No run "${runId}" for technique "${id}".`);
  }
  return { status: 200, body: runObjectAt(run, state.now(), state.outputBaseUrl) };
};

const listRuns: Handler = (state, req) => {
  const errors: FieldError[] = [];
  const limit = collect(errors, () => parseLimit(req.query.get('limit')));
  const before = collect(errors, () => decodeCursor('technique-runs', req.query.get('cursor')));
  const techniqueId = collect(errors, () => queryParam(req.query, 'technique_id', TechIdSchema));
  const status = collect(errors, () => queryParam(req.query, 'status', RunStatusSchema));
  const workspaceId = collect(errors, () => queryParam(req.query, 'workspace_id', WorkspaceIdSchema));
  if (errors.length > 0 || limit === undefined) throw ApiError.validation(errors);
  checkWorkspace(state, workspaceId);
  const projectId = req.query.get('project_id');

  const nowMs = state.now();
  const items: RunHistoryItem[] = [];
  let lastSeq = 0;
  let more = false;
  for (const run of state.runs.newestFirst()) {
    if (before !== undefined && run.seq >= before) continue;
    if (run.apiKey !== req.apiKey) continue;
    if (techniqueId !== undefined && run.technique.technique_id !== techniqueId) continue;
    if (projectId !== null && run.projectId !== projectId) continue;
    if (status !== undefined && runStateAt(run, nowMs).status !== status) continue;
    if (items.length === limit) {
      more = true;
      break;
    }
    items.push(historyItemAt(run, nowMs, state.outputBaseUrl));
    lastSeq = run.seq;
  }
  return {
    status: 200,
    body: {
      technique_runs: items,
      meta: { limit, ...(more ? { next_cursor: encodeCursor('technique-runs', lastSeq) } : {}) },
    },
  };
};

const HANDLERS: Record<ApiRoute, Handler> = {
  listTechniques,
  getTechnique,
  createRunNested,
  createRunTopLevel,
  getRun,
  listRuns,
};

export function handleApi(state: SimulatorState, req: ApiRequest): SimResponse | Promise<SimResponse> {
  return HANDLERS[req.route](state, req);
}

/** Bearer auth; returns the API key the request is scoped to. */
export function authenticate(state: SimulatorState, headers: IncomingHttpHeaders): string {
  const header = headers.authorization;
  if (header === undefined || header.trim() === '') {
    throw ApiError.unauthorized('Missing Authorization header. Send "Authorization: Bearer <API key>".');
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) {
    throw ApiError.unauthorized('Malformed Authorization header. Send "Authorization: Bearer <API key>".');
  }
  if (!state.options.apiKeys.includes(match[1])) throw ApiError.invalidApiKey();
  return match[1];
}
