/**
 * One HTTP download, streamed to a file: never buffered whole, hashed and counted on the way through,
 * cut off the moment it passes `maxBytes`, and the file removed on any failure.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { request, type Dispatcher } from 'undici';
import { DownloadError, DownloadErrorCode, redactUrl } from './errors';
import { checkDownloadUrl } from './url-policy';

export interface FetchToFileOptions {
  /** The connection pool to use; the caller owns and closes it. */
  dispatcher: Dispatcher;
  /** Time limit for the whole file: connect, redirects, headers and every byte of the body. */
  timeoutMs: number;
  maxBytes: number;
  /** See `DownloadOptions.allowHttpLoopback`; applied to every redirect hop. */
  allowHttpLoopback: boolean;
  /** The caller's cancellation; its reason is thrown as is, not wrapped in a DownloadError. */
  signal?: AbortSignal | undefined;
  /** For error messages. */
  outputId?: string | undefined;
  /** Redirects followed before giving up. @default 5 */
  maxRedirects?: number;
  /** Called with the size of each chunk of the body as it goes through. */
  onChunk?: ((bytes: number) => void) | undefined;
}

export interface FetchedFile {
  /** The `content-type` header as sent, if any. */
  contentType: string | undefined;
  bytes: number;
  /** Hex sha256 of the bytes written. */
  sha256: string;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const UNDICI_TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/**
 * GETs `url` (already checked with `checkDownloadUrl`) into `path`, following redirects, each hop
 * re-checked so a redirect cannot lead to a URL that would have been refused up front.
 */
export async function fetchToFile(url: URL, path: string, options: FetchToFileOptions): Promise<FetchedFile> {
  const {
    dispatcher,
    timeoutMs,
    maxBytes,
    allowHttpLoopback,
    signal,
    outputId,
    maxRedirects = 5,
    onChunk,
  } = options;
  const original = url.href;
  const timeout = AbortSignal.timeout(timeoutMs);
  const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;

  /** Any failure as a DownloadError, except the caller's own abort, which stays the caller's reason. */
  const failure = (err: unknown, status?: number): unknown => {
    if (err instanceof DownloadError) return err;
    if (signal?.aborted) return signal.reason as unknown;
    if (timeout.aborted || UNDICI_TIMEOUT_CODES.has(errorCode(err) ?? '')) {
      return DownloadError.timeout(original, timeoutMs, outputId, err);
    }
    return DownloadError.network(original, describe(err), outputId, status, err);
  };

  let current = url;
  let res: Dispatcher.ResponseData;
  for (let hop = 0; ; hop += 1) {
    try {
      res = await request(current, {
        dispatcher,
        method: 'GET',
        signal: combined,
        headers: { accept: '*/*', 'user-agent': 'flora-temporal/0.1' },
      });
    } catch (err) {
      throw failure(err);
    }
    if (!REDIRECT_STATUSES.has(res.statusCode)) break;
    await discard(res.body);
    const location = header(res.headers.location);
    if (location === undefined) throw DownloadError.http(original, res.statusCode, outputId);
    if (hop >= maxRedirects) {
      throw new DownloadError({
        code: DownloadErrorCode.HttpError,
        status: res.statusCode,
        url: original,
        outputId,
        message: `Downloading ${redactUrl(original)} was redirected more than ${maxRedirects} times; check the URL.`,
      });
    }
    current = checkDownloadUrl(resolveLocation(location, current), allowHttpLoopback, outputId);
  }

  const status = res.statusCode;
  if (status < 200 || status >= 300) {
    await discard(res.body);
    throw DownloadError.http(original, status, outputId);
  }
  const declared = Number(header(res.headers['content-length']));
  const contentLength = Number.isSafeInteger(declared) && declared >= 0 ? declared : undefined;
  if (contentLength !== undefined && contentLength > maxBytes) {
    // Fail before a byte reaches the disk.
    await discard(res.body);
    throw DownloadError.tooLarge(original, maxBytes, outputId, status);
  }

  const hash = createHash('sha256');
  let bytes = 0;
  async function* meter(body: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of body) {
      bytes += chunk.length;
      if (bytes > maxBytes) throw DownloadError.tooLarge(original, maxBytes, outputId, status);
      hash.update(chunk);
      onChunk?.(chunk.length);
      yield chunk;
    }
  }
  // `flush`: the bytes are on disk (fsync) before the caller renames the file into place.
  const file = createWriteStream(path, { flush: true });
  // pipeline destroys every stream with the first error, so only the first to fail tells whose it was:
  // the body's is the network's (retryable); the file's (a full disk) is rethrown as is, since
  // downloading again will not fix it.
  let firstToFail: 'body' | 'file' | undefined;
  res.body.once('error', () => (firstToFail ??= 'body'));
  file.once('error', () => (firstToFail ??= 'file'));
  try {
    await pipeline(res.body, meter, file);
    if (contentLength !== undefined && bytes !== contentLength) {
      throw DownloadError.network(
        original,
        `the body ended after ${bytes} of ${contentLength} bytes`,
        outputId,
        status,
      );
    }
  } catch (err) {
    await rm(path, { force: true });
    throw firstToFail === 'file' && !(err instanceof DownloadError) ? err : failure(err, status);
  }
  return { contentType: header(res.headers['content-type']), bytes, sha256: hash.digest('hex') };
}

function resolveLocation(location: string, base: URL): string {
  try {
    return new URL(location, base).href;
  } catch {
    return location;
  }
}

/** Consumes a body we do not want, so its connection can be reused (or is closed if it is large). */
async function discard(body: Dispatcher.ResponseData['body']): Promise<void> {
  try {
    await body.dump();
  } catch {
    // The request is failing anyway; a body that cannot even be dumped changes nothing.
  }
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string')
    return err.code;
  return undefined;
}

function describe(err: unknown): string {
  const code = errorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  return code && !message.includes(code) ? `${code} ${message}` : message;
}
