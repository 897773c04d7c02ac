/**
 * The HTTP receiver for FLORA's signed run callbacks. It checks each delivery (signature in constant
 * time, age, replay, shape) and signals the `runTechnique` workflow named in the callback URL's `wf`
 * query parameter (or, without one, the open workflow whose FloraRunId search attribute lists the run).
 * The workflow then polls once: the callback only makes the next poll come sooner, so a lost, late or
 * refused callback costs latency, never correctness.
 *
 * Answers: 200 handled (or a duplicate, or nobody to tell: FLORA need not retry); 400 malformed (no or
 * unparsable signature header, no webhook id, not a FLORA event); 401 bad signature or a timestamp
 * outside the tolerance; 404 another path; 405 not a POST; 413 body too large; 503 Temporal could not be
 * told (FLORA retries the delivery). The secrets stay here: never logged, never answered, never signalled.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { floraRunEventSignal, type FloraRunEvent } from '../workflows/signals';
import { CALLBACK_WORKFLOW_PARAM } from '../workflows/run-events';
import { visibilityString } from '../temporal/search-attributes';
import { FloraRunIdKey } from '../domain/search-attribute-keys';
import { ReplayCache } from './replay-cache';
import {
  SIGNATURE_HEADER,
  SIGNATURE_TOLERANCE_SECONDS,
  WEBHOOK_ID_HEADER,
  verifySignature,
  type VerifyFailure,
} from './signature';

export const DEFAULT_WEBHOOK_PATH = '/flora/webhook';
/** FLORA's events are a few hundred bytes; anything near this is not one. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;
export const DEFAULT_REPLAY_CACHE_SIZE = 100_000;

/** Event types that end a run: the only ones worth waking a workflow for. */
const RUN_END_EVENTS = new Set(['run.completed', 'run.failed']);

export type Outcome =
  | 'signalled'
  | 'duplicate'
  | 'ignored'
  | 'no_workflow'
  | 'malformed'
  | 'forged'
  | 'stale'
  | 'too_large'
  | 'not_found'
  | 'method_not_allowed'
  | 'unavailable';

/** Delivers an event to a workflow; resolves false when no such open workflow exists. */
export type SignalWorkflow = (workflowId: string, event: FloraRunEvent) => Promise<boolean>;
/** The id of the open workflow that owns a FLORA run, when the callback URL did not name it. */
export type FindWorkflow = (runId: string) => Promise<string | undefined>;

export interface WebhookReceiverOptions {
  /**
   * The workspace's webhook secrets (`whsec_…`). More than one while rotating: a delivery signed with
   * any of them is accepted.
   */
  secrets: readonly string[];
  /** Where to signal workflows (the Temporal client of the worker, or of a receiver beside it). */
  client?: Client;
  /** Instead of `client` (tests): how to signal and how to find a workflow by FLORA run id. */
  signal?: SignalWorkflow;
  findWorkflow?: FindWorkflow;
  /** @default '/flora/webhook' */
  path?: string;
  /** @default 300 */
  toleranceSeconds?: number;
  /** @default 64 KiB */
  maxBodyBytes?: number;
  /** Webhook ids remembered for replay detection. @default 100,000 */
  replayCacheSize?: number;
  /** @default Date.now */
  now?: () => number;
  /** One line per delivery (ids and outcome; never a secret or a signature). */
  log?: (line: string, attrs: Record<string, unknown>) => void;
}

export interface WebhookReceiver {
  /** The request handler, to mount on a server of your own. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Deliveries by outcome since the start. */
  stats(): Partial<Record<Outcome, number>>;
}

export interface ListeningWebhookReceiver extends WebhookReceiver {
  port: number;
  /** e.g. `http://127.0.0.1:PORT/flora/webhook`: what a TLS proxy in front of it forwards to. */
  url: string;
  close(): Promise<void>;
}

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly outcome: Outcome,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const SIGNATURE_REFUSALS: Record<VerifyFailure, Refusal> = {
  missing: new Refusal(400, 'malformed', 'missing_signature', 'No Flora-Signature header.'),
  malformed: new Refusal(
    400,
    'malformed',
    'malformed_signature',
    'The Flora-Signature header does not parse.',
  ),
  mismatch: new Refusal(401, 'forged', 'invalid_signature', 'No signature matches.'),
  stale: new Refusal(401, 'stale', 'stale_timestamp', 'The signature timestamp is outside the tolerance.'),
};

/** Signals through a Temporal client; a closed or unknown workflow is not an error. */
export function clientSignaller(client: Client): { signal: SignalWorkflow; findWorkflow: FindWorkflow } {
  return {
    async signal(workflowId, event) {
      try {
        await client.workflow.getHandle(workflowId).signal(floraRunEventSignal, event);
        return true;
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return false;
        throw err;
      }
    },
    async findWorkflow(runId) {
      const query = `${FloraRunIdKey.name} = ${visibilityString(runId)} AND ExecutionStatus = 'Running'`;
      for await (const info of client.workflow.list({ query })) return info.workflowId;
      return undefined;
    },
  };
}

export function createWebhookReceiver(options: WebhookReceiverOptions): WebhookReceiver {
  const secrets = options.secrets.filter((s) => s.length > 0);
  if (secrets.length === 0)
    throw new TypeError('A webhook receiver needs at least one secret (FLORA_WEBHOOK_SECRET).');
  const viaClient = options.client ? clientSignaller(options.client) : undefined;
  const signalWith = options.signal ?? viaClient?.signal;
  const findWorkflow = options.findWorkflow ?? viaClient?.findWorkflow;
  if (signalWith === undefined)
    throw new TypeError('A webhook receiver needs a Temporal client (or a signal function).');
  const signal: SignalWorkflow = signalWith;
  const path = options.path ?? DEFAULT_WEBHOOK_PATH;
  const toleranceSeconds = options.toleranceSeconds ?? SIGNATURE_TOLERANCE_SECONDS;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const now = options.now ?? Date.now;
  // Past twice the tolerance a replay is refused as stale anyway; the cache need not remember longer.
  const replays = new ReplayCache(
    options.replayCacheSize ?? DEFAULT_REPLAY_CACHE_SIZE,
    2 * toleranceSeconds * 1000,
  );
  const counts: Partial<Record<Outcome, number>> = {};
  const log = options.log ?? (() => {});

  async function deliver(
    req: IncomingMessage,
    url: URL,
  ): Promise<{ outcome: Outcome; attrs: Record<string, unknown> }> {
    if (url.pathname !== path) throw new Refusal(404, 'not_found', 'not_found', `No route ${url.pathname}.`);
    if (req.method !== 'POST')
      throw new Refusal(405, 'method_not_allowed', 'method_not_allowed', 'POST only.');
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > maxBodyBytes) throw tooLarge(maxBodyBytes);
    const rawBody = await readLimited(req, maxBodyBytes);

    const verdict = verifySignature({
      header: headerValue(req, SIGNATURE_HEADER),
      rawBody,
      secrets,
      nowSeconds: Math.floor(now() / 1000),
      toleranceSeconds,
    });
    if (!verdict.ok) throw SIGNATURE_REFUSALS[verdict.reason];

    // Signed by FLORA from here on; still checked, since a signature proves origin, not shape.
    const deliveryId = headerValue(req, WEBHOOK_ID_HEADER);
    if (deliveryId === undefined || !/^\S{1,200}$/.test(deliveryId))
      throw new Refusal(400, 'malformed', 'missing_webhook_id', 'No Flora-Webhook-Id header.');
    const event = parseEvent(rawBody.toString('utf8'));
    if (event.id !== undefined && event.id !== deliveryId)
      throw new Refusal(400, 'malformed', 'invalid_payload', 'The body id differs from Flora-Webhook-Id.');
    const attrs = { deliveryId, type: event.type, runId: event.runId };
    if (!replays.claim(deliveryId, now())) return { outcome: 'duplicate', attrs };
    try {
      if (!RUN_END_EVENTS.has(event.type)) return { outcome: 'ignored', attrs };
      const workflowId = url.searchParams.get(CALLBACK_WORKFLOW_PARAM) ?? (await findWorkflow?.(event.runId));
      if (workflowId === undefined || workflowId === '') return { outcome: 'no_workflow', attrs };
      const delivered = await signal(workflowId, { runId: event.runId, type: event.type, deliveryId });
      return { outcome: delivered ? 'signalled' : 'no_workflow', attrs: { ...attrs, workflowId } };
    } catch (err) {
      // Not handled: let FLORA's retry of this delivery through.
      replays.release(deliveryId);
      log('FLORA webhook: could not signal the workflow; FLORA will retry', {
        ...attrs,
        error: err instanceof Error ? err.message : String(err),
      });
      throw new Refusal(503, 'unavailable', 'unavailable', 'Temporal could not be reached; retry later.');
    }
  }

  return {
    handle(req, res) {
      const url = new URL(req.url ?? '/', 'http://receiver.invalid');
      deliver(req, url).then(
        ({ outcome, attrs }) => {
          counts[outcome] = (counts[outcome] ?? 0) + 1;
          log(`FLORA webhook ${outcome}`, attrs);
          answer(res, 200, { status: outcome });
        },
        (err: unknown) => {
          const refusal =
            err instanceof Refusal
              ? err
              : new Refusal(500, 'unavailable', 'internal_error', 'Internal error.');
          counts[refusal.outcome] = (counts[refusal.outcome] ?? 0) + 1;
          log(`FLORA webhook refused: ${refusal.code}`, { status: refusal.status });
          answer(res, refusal.status, { error: { code: refusal.code, message: refusal.message } });
          // The rest of an oversized body is not worth reading.
          if (refusal.status === 413) res.once('finish', () => req.destroy());
        },
      );
    },
    stats: () => ({ ...counts }),
  };
}

/** Starts a receiver on its own HTTP server. Bind to loopback (the default) behind a TLS proxy. */
export async function startWebhookReceiver(
  options: WebhookReceiverOptions & { port?: number; host?: string },
): Promise<ListeningWebhookReceiver> {
  const receiver = createWebhookReceiver(options);
  const server: Server = createServer((req, res) => receiver.handle(req, res));
  // Slow-loris bounds: a delivery is small and FLORA sends it in one go.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const dialable =
    host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    ...receiver,
    port,
    url: `http://${dialable}:${port}${options.path ?? DEFAULT_WEBHOOK_PATH}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function tooLarge(max: number): Refusal {
  return new Refusal(413, 'too_large', 'payload_too_large', `Bodies are limited to ${max} bytes.`);
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

async function readLimited(req: IncomingMessage, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > max) throw tooLarge(max);
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

function parseEvent(text: string): { id: string | undefined; type: string; runId: string } {
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    throw new Refusal(400, 'malformed', 'invalid_payload', 'The body is not JSON.');
  }
  const record = isRecord(body) ? body : undefined;
  const data = record && isRecord(record.data) ? record.data : undefined;
  const type = record?.type;
  const runId = data?.run_id;
  const id = record?.id;
  if (
    typeof type !== 'string' ||
    typeof runId !== 'string' ||
    !/^\S{1,200}$/.test(runId) ||
    (id !== undefined && typeof id !== 'string')
  )
    throw new Refusal(400, 'malformed', 'invalid_payload', 'Not a FLORA run event (type, data.run_id).');
  return { id, type, runId };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
