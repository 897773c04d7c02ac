/**
 * Shared by the simulator's tests (test/simulator-*.test.ts): typed HTTP calls to a FloraSimulator over
 * a real socket, request bodies, and polling a run to its end.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach } from 'node:test';
import {
  startSimulator,
  type FloraSimulator,
  type RunHistoryItem,
  type RunObject,
} from '../../src/simulator';

export const OTHER_KEY = 'sk_test_other';

export interface ErrorBody {
  error: { code: string; message: string; fields?: Array<{ field: string; message: string }> };
}
export interface TechniqueListBody {
  techniques: Array<Record<string, unknown> & { technique_id: string; slug: string; name: string }>;
  meta: { limit: number; next_cursor?: string };
}
export interface RunListBody {
  technique_runs: RunHistoryItem[];
  meta: { limit: number; next_cursor?: string };
}
export interface TopLevelBody {
  run_id: string;
  type: string;
  charged_cost: number;
  estimated_seconds: number;
  poll_url: string;
  project_id: string;
  technique: { technique_id: string; name: string };
}

export interface Reply<T> {
  status: number;
  headers: Headers;
  body: T;
}

export interface CallInit {
  method?: string;
  body?: unknown;
  rawBody?: string;
  /** null sends no Authorization header. */
  key?: string | null;
  headers?: Record<string, string>;
}

export async function call<T = unknown>(
  sim: FloraSimulator,
  path: string,
  init: CallInit = {},
): Promise<Reply<T>> {
  const url = path.startsWith('http')
    ? path
    : path.startsWith('/_sim')
      ? new URL(path, sim.baseUrl).href
      : sim.baseUrl + path;
  const key = init.key === undefined ? sim.apiKey : init.key;
  const headers: Record<string, string> = { ...init.headers };
  if (key !== null) headers.authorization = `Bearer ${key}`;
  let payload: string | undefined = init.rawBody;
  if (init.body !== undefined) payload = JSON.stringify(init.body);
  if (payload !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url, {
    method: init.method ?? (payload === undefined ? 'GET' : 'POST'),
    headers,
    body: payload,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: JSON.parse(text) as T };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function cctvBody(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    inputs: [{ id: 'input_image', type: 'imageUrl', value: 'https://example.com/photo.png' }],
    mode: 'async',
    ...extra,
  };
}

export function fieldsOf(reply: Reply<ErrorBody>): string[] {
  return (reply.body.error.fields ?? []).map((f) => f.field).sort();
}

export async function waitForTerminal(
  sim: FloraSimulator,
  pollUrl: string,
  key?: string,
): Promise<RunObject[]> {
  const seen: RunObject[] = [];
  for (let i = 0; i < 200; i += 1) {
    const reply = await call<RunObject>(sim, pollUrl, key === undefined ? {} : { key });
    assert.equal(reply.status, 200);
    seen.push(reply.body);
    if (reply.body.status === 'completed' || reply.body.status === 'failed') return seen;
    await sleep(15);
  }
  throw new Error(`run at ${pollUrl} never finished`);
}

/**
 * One simulator for a describe block (two API keys, the /_sim control plane on), reset before each test
 * and closed after the block; `use` receives it once started.
 */
export function useSharedSimulator(use: (sim: FloraSimulator) => void): void {
  let sim: FloraSimulator | undefined;
  before(async () => {
    sim = await startSimulator({
      runDurationMs: 200,
      apiKeys: ['sk_test_simulator', OTHER_KEY],
      control: true,
    });
    use(sim);
  });
  after(async () => {
    await sim?.close();
  });
  beforeEach(() => {
    sim?.reset();
  });
}
