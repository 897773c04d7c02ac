/**
 * A tiny real HTTP server for shapes the FLORA simulator cannot produce (a 200 missing a field, a 429 with
 * an HTTP-date, a server that never answers, …). Every request it receives is recorded, so a test can
 * also prove that a request never reached it.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path and query string, as sent. */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Answers one request. It may leave `res` unanswered to simulate a server that never replies. */
export type StubHandler = (req: RecordedRequest, res: ServerResponse) => void;

export interface HttpStub {
  /** e.g. `http://127.0.0.1:PORT/api/v1`, the shape of FLORA's base URL. */
  readonly baseUrl: string;
  readonly origin: string;
  readonly port: number;
  /** Every request received so far, oldest first. */
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

/** Writes a JSON answer with a `request-id`, as FLORA does. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  sendRaw(res, status, typeof body === 'string' ? body : JSON.stringify(body), headers);
}

export function sendRaw(
  res: ServerResponse,
  status: number,
  payload: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(payload)),
    'request-id': 'req_stub0001',
    ...headers,
  });
  res.end(payload);
}

function readAll(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Starts a stub on a random loopback port; `handler` defaults to a 404 for every request. */
export async function startHttpStub(handler?: StubHandler): Promise<HttpStub> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    readAll(req).then(
      (body) => {
        const recorded: RecordedRequest = {
          method: req.method ?? 'GET',
          url: req.url ?? '/',
          headers: req.headers,
          body,
        };
        requests.push(recorded);
        if (handler) handler(recorded, res);
        else sendJson(res, 404, { error: { code: 'not_found', message: 'stub has no handler' } });
      },
      () => res.destroy(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  let closing: Promise<void> | undefined;
  return {
    baseUrl: `${origin}/api/v1`,
    origin,
    port,
    requests,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Also ends requests a handler left hanging on purpose.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/** A loopback port with nothing listening on it: connecting gets ECONNREFUSED. */
export async function closedPort(): Promise<number> {
  const stub = await startHttpStub();
  const { port } = stub;
  await stub.close();
  return port;
}
