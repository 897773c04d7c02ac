/**
 * The error a handler throws to produce FLORA's error envelope. Codes and statuses follow the table
 * in FLORA_API.md; named constructors keep each code paired with its status.
 */
export interface FieldError {
  field: string;
  message: string;
}

export interface ErrorBody {
  error: { code: string; message: string; fields?: FieldError[] };
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields?: FieldError[],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toBody(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.fields && this.fields.length > 0 ? { fields: this.fields } : {}),
      },
    };
  }

  static invalidJson(message: string): ApiError {
    return new ApiError(400, 'invalid_json', message);
  }

  static validation(fields: FieldError[], lead = 'Invalid request.'): ApiError {
    const summary = fields.map((f) => `${f.field} ${f.message}`).join('; ');
    return new ApiError(400, 'input_validation_error', `${lead} ${summary}`, fields);
  }

  static unauthorized(message: string): ApiError {
    return new ApiError(401, 'unauthorized', message);
  }

  static invalidApiKey(): ApiError {
    return new ApiError(401, 'invalid_api_key', 'The API key is not valid. Check the Authorization header.');
  }

  static insufficientCredits(message: string): ApiError {
    return new ApiError(402, 'insufficient_credits', message);
  }

  static forbidden(message: string): ApiError {
    return new ApiError(403, 'forbidden', message);
  }

  static notFound(message: string): ApiError {
    return new ApiError(404, 'not_found', message);
  }

  static methodNotAllowed(method: string, path: string, allowed: string[]): ApiError {
    return new ApiError(405, 'method_not_allowed', `${method} is not supported on ${path}.`, undefined, {
      allow: allowed.join(', '),
    });
  }

  static gone(message: string): ApiError {
    return new ApiError(410, 'gone', message);
  }

  static payloadTooLarge(limitBytes: number): ApiError {
    return new ApiError(413, 'payload_too_large', `Request bodies are limited to ${limitBytes} bytes.`);
  }

  static idempotencyDuplicate(key: string): ApiError {
    return new ApiError(
      409,
      'idempotency_duplicate',
      `A request with idempotency key "${key}" was already processed; no new run was created.`,
    );
  }

  static idempotencyConflict(key: string): ApiError {
    return new ApiError(
      422,
      'idempotency_conflict',
      `Idempotency key "${key}" was already used with a different request body. Use a new key for a new request.`,
    );
  }

  static rateLimited(retryAfterSeconds: number | null): ApiError {
    const headers: Record<string, string> =
      retryAfterSeconds === null ? {} : { 'retry-after': String(retryAfterSeconds) };
    return new ApiError(
      429,
      'rate_limited',
      'Too many requests. Slow down and retry later.',
      undefined,
      headers,
    );
  }

  static serviceUnavailable(retryAfterSeconds: number | null = null): ApiError {
    return new ApiError(
      503,
      'service_unavailable',
      'The service is temporarily unavailable. Retry with backoff.',
      undefined,
      retryAfterSeconds === null ? {} : { 'retry-after': String(retryAfterSeconds) },
    );
  }

  static internal(message = 'An internal error occurred. Retry with backoff.'): ApiError {
    return new ApiError(500, 'internal_error', message);
  }
}
