/**
 * Reading request bodies and writing JSON responses over node:http.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from './errors';

export const MAX_BODY_BYTES = 1024 * 1024;

export interface SimResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** Sent as is instead of `body` as JSON (output files); `headers` then carries the content-type. */
  bytes?: Buffer;
}

export function errorResponse(error: ApiError): SimResponse {
  return { status: error.status, body: error.toBody(), headers: error.headers };
}

/** Reads the whole body; a body over the limit is drained and reported as 413 rather than buffered. */
export async function readBody(req: IncomingMessage): Promise<{ text: string } | { tooLarge: true }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) tooLarge = true;
    if (!tooLarge) chunks.push(buf);
  }
  return tooLarge ? { tooLarge: true } : { text: Buffer.concat(chunks).toString('utf8') };
}

export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') throw ApiError.invalidJson('The request body is empty; send a JSON object.');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw ApiError.invalidJson(`The request body is not valid JSON: ${(err as Error).message}`);
  }
}

export function writeJson(res: ServerResponse, requestId: string, response: SimResponse): void {
  writeRaw(res, requestId, response.status, JSON.stringify(response.body), response.headers);
}

/** Writes `bytes` when the response has them, else `body` as JSON. */
export function writeResponse(res: ServerResponse, requestId: string, response: SimResponse): void {
  if (response.bytes) writeRaw(res, requestId, response.status, response.bytes, response.headers);
  else writeJson(res, requestId, response);
}

export function writeRaw(
  res: ServerResponse,
  requestId: string,
  status: number,
  payload: string | Buffer,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(payload)),
    'request-id': requestId,
    ...headers,
  });
  res.end(payload);
}
