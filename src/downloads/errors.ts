/**
 * The one error type the downloader throws for a file it could not fetch. Codes are stable strings (a
 * caller maps them to Temporal failure types); the URL is always redacted because FLORA's output URLs
 * are signed and their query string is a credential.
 */

export const DownloadErrorCode = {
  /** The server answered with a non-2xx status (see `status`). */
  HttpError: 'http_error',
  /** The file did not arrive within `timeoutMs`. */
  Timeout: 'timeout',
  /** The file is larger than `maxBytes`. */
  TooLarge: 'too_large',
  /** The URL was refused before any request: bad scheme, plain http to a non-loopback host, unparsable. */
  RefusedUrl: 'refused_url',
  /** Connection refused or reset, DNS failure, a body cut short. */
  NetworkError: 'network_error',
} as const;
export type DownloadErrorCode = (typeof DownloadErrorCode)[keyof typeof DownloadErrorCode];

export interface DownloadErrorInit {
  code: DownloadErrorCode;
  message: string;
  /** The URL as given; it is redacted before it is stored. */
  url: string;
  status?: number | undefined;
  outputId?: string | undefined;
  cause?: unknown;
}

/** Statuses a signed URL gets once it has expired (S3 and GCS say 403; others 404 or 410). */
const EXPIRED_STATUSES = new Set([403, 404, 410]);

/**
 * A URL without its query string, fragment and credentials: what is safe to log, to put in an error
 * message, or to let reach Temporal history.
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.search = '';
    parsed.hash = '';
    parsed.username = '';
    parsed.password = '';
    return parsed.href;
  } catch {
    // Unparsable: cut at the first character that could start a query or fragment.
    return url.split(/[?#]/, 1)[0] ?? '';
  }
}

export class DownloadError extends Error {
  override readonly name = 'DownloadError';
  readonly code: DownloadErrorCode;
  /** Redacted: no query string, fragment or credentials. */
  readonly url: string;
  /** The HTTP status, when the server answered. */
  readonly status: number | undefined;
  /** The output the file belongs to, when known. */
  readonly outputId: string | undefined;

  constructor(init: DownloadErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = init.code;
    this.url = redactUrl(init.url);
    this.status = init.status;
    this.outputId = init.outputId;
  }

  /**
   * Worth another attempt later: 5xx, 408, 429, timeouts and network failures. Other 4xx (an expired
   * URL above all), refused URLs and files over `maxBytes` fail the same way every time.
   */
  get retryable(): boolean {
    switch (this.code) {
      case DownloadErrorCode.Timeout:
      case DownloadErrorCode.NetworkError:
        return true;
      case DownloadErrorCode.HttpError:
        return (
          this.status !== undefined && (this.status >= 500 || this.status === 408 || this.status === 429)
        );
      default:
        return false;
    }
  }

  static http(url: string, status: number, outputId?: string): DownloadError {
    const where = `${describeOutput(outputId)}${redactUrl(url)}`;
    let advice: string;
    if (EXPIRED_STATUSES.has(status)) {
      advice =
        'The file URL has likely expired (FLORA output URLs are not permanent). Re-run the technique, ' +
        'or poll the run again for fresh URLs, then download again.';
    } else if (status >= 500 || status === 408 || status === 429) {
      advice = 'The file host failed or is overloaded; retry later.';
    } else {
      advice = 'Retrying will not help; check the URL.';
    }
    return new DownloadError({
      code: DownloadErrorCode.HttpError,
      status,
      url,
      outputId,
      message: `Downloading ${where} failed with HTTP ${status}. ${advice}`,
    });
  }

  static timeout(url: string, timeoutMs: number, outputId?: string, cause?: unknown): DownloadError {
    return new DownloadError({
      code: DownloadErrorCode.Timeout,
      url,
      outputId,
      cause,
      message:
        `Downloading ${describeOutput(outputId)}${redactUrl(url)} did not finish within ${timeoutMs} ms. ` +
        'Retry; for large files raise timeoutMs.',
    });
  }

  static tooLarge(url: string, maxBytes: number, outputId?: string, status?: number): DownloadError {
    return new DownloadError({
      code: DownloadErrorCode.TooLarge,
      url,
      outputId,
      status,
      message:
        `${capitalize(describeOutput(outputId))}${redactUrl(url)} is larger than maxBytes (${maxBytes} bytes); ` +
        'the download was aborted. Raise maxBytes if a file this large is expected.',
    });
  }

  static refused(url: string, reason: string, outputId?: string): DownloadError {
    return new DownloadError({
      code: DownloadErrorCode.RefusedUrl,
      url,
      outputId,
      message: `Refusing to download ${describeOutput(outputId)}${redactUrl(url)}: ${reason}`,
    });
  }

  static network(
    url: string,
    detail: string,
    outputId?: string,
    status?: number,
    cause?: unknown,
  ): DownloadError {
    return new DownloadError({
      code: DownloadErrorCode.NetworkError,
      url,
      outputId,
      status,
      cause,
      message: `Downloading ${describeOutput(outputId)}${redactUrl(url)} failed: ${redactIn(detail, url)}. Retry later.`,
    });
  }
}

/** Removes the URL's query string from text that came from elsewhere (an undici message, say). */
function redactIn(text: string, url: string): string {
  const query = /\?[^#]*/.exec(url)?.[0];
  return query && query.length > 1 ? text.split(query).join('?[redacted]') : text;
}

function describeOutput(outputId: string | undefined): string {
  return outputId === undefined ? '' : `output "${outputId}" from `;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
