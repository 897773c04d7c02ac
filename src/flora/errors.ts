import { FailureType } from '../domain/failures';

export interface FloraFieldError {
  field: string;
  message: string;
}

export interface FloraErrorInit {
  /** HTTP status, when FLORA answered. */
  status?: number | undefined;
  /** FLORA's error `code`, or one of ours for transport and protocol failures. */
  code: string;
  message: string;
  fields?: FloraFieldError[] | undefined;
  /** FLORA's `request-id` header, for support tickets and log correlation. */
  requestId?: string | undefined;
  /** How long to wait before trying again (from `retry-after`; 5 s on a 429 without it). */
  retryAfterMs?: number | undefined;
  /** The route that failed, e.g. `POST /techniques/{slug}/runs`. */
  route?: string | undefined;
  /**
   * No answer came, but the request may have reached FLORA (a timeout, or a connection lost after it
   * was sent): FLORA may have acted on it, or may still be acting on it.
   */
  outcomeUnknown?: boolean | undefined;
  cause?: unknown;
}

/** Default wait on a 429 that carries no `retry-after`. */
export const DEFAULT_RETRY_AFTER_MS = 5_000;

/**
 * The one error type the FLORA client throws: every HTTP, transport and protocol failure becomes one of
 * these, carrying everything an operator needs and never the API key.
 */
export class FloraError extends Error {
  override readonly name: string = 'FloraError';
  readonly status: number | undefined;
  readonly code: string;
  readonly fields: FloraFieldError[];
  readonly requestId: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly route: string | undefined;
  readonly outcomeUnknown: boolean;

  constructor(init: FloraErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.code = init.code;
    this.fields = init.fields ?? [];
    this.requestId = init.requestId;
    this.retryAfterMs = init.retryAfterMs;
    this.route = init.route;
    this.outcomeUnknown = init.outcomeUnknown ?? false;
  }

  /** Worth another attempt later: 429, 5xx, timeouts and connection failures. */
  get retryable(): boolean {
    if (this.code === FailureType.Timeout || this.code === FailureType.NetworkError) return true;
    if (this.code === FailureType.ProtocolError) return true;
    if (this.status === undefined) return false;
    return this.status === 429 || this.status >= 500;
  }

  /** A one-line description with every detail an operator needs (status, code, fields, request id). */
  describe(): string {
    const parts = [this.message];
    if (this.fields.length > 0)
      parts.push(`fields: ${this.fields.map((f) => `${f.field}: ${f.message}`).join('; ')}`);
    const meta = [
      this.route,
      this.status === undefined ? undefined : `HTTP ${this.status}`,
      this.code,
      this.requestId === undefined ? undefined : `request-id ${this.requestId}`,
    ].filter((part) => part !== undefined);
    return `${parts.join(' (')}${this.fields.length > 0 ? ')' : ''} [${meta.join(', ')}]`;
  }
}

/**
 * FLORA answered 2xx, but the body breaks the contract (a required field is missing or of the wrong
 * type). Retryable: it is most often a truncated or garbled response.
 */
export class FloraProtocolError extends FloraError {
  override readonly name = 'FloraProtocolError';
}
