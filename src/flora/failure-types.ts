/**
 * Every `ApplicationFailure.type` this project raises, in one place. FLORA's own error codes are used
 * unchanged, so an operator can match a failure to FLORA's documentation; the rest are ours.
 *
 * Pure constants: safe to import from workflow code.
 */
export const FailureType = {
  // HTTP error codes from FLORA's envelope.
  InvalidJson: 'invalid_json',
  InputValidationError: 'input_validation_error',
  Unauthorized: 'unauthorized',
  InvalidApiKey: 'invalid_api_key',
  InsufficientCredits: 'insufficient_credits',
  Forbidden: 'forbidden',
  NotFound: 'not_found',
  IdempotencyDuplicate: 'idempotency_duplicate',
  Conflict: 'conflict',
  IdempotencyConflict: 'idempotency_conflict',
  RateLimited: 'rate_limited',
  InternalError: 'internal_error',
  UnknownError: 'unknown_error',
  ServiceUnavailable: 'service_unavailable',
  // Run `error_code`s: a run that ends `failed` fails the workflow with its code as the type.
  ModelTimeout: 'model_timeout',
  SafetyBlocked: 'safety_blocked',
  InputUnreachable: 'input_unreachable',
  // Transport failures (no FLORA code): always retryable.
  Timeout: 'flora_timeout',
  NetworkError: 'flora_network_error',
  // FLORA answered, but not in the shape the contract promises.
  ProtocolError: 'flora_protocol_error',
  // Ours: raised by the workflow.
  InvalidRequest: 'invalid_request',
  /** @deprecated Never raised (a price above maxCostUsd is `invalid_request`); kept while public names are frozen. */
  CostLimitExceeded: 'cost_limit_exceeded',
  DeadlineExceeded: 'deadline_exceeded',
  IdempotencyUnresolved: 'idempotency_unresolved',
  RunFailed: 'run_failed',
  /** @deprecated Never raised (the last attempt's own failure type ends the run); kept while public names are frozen. */
  RunAttemptsExhausted: 'run_attempts_exhausted',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/** Run error codes worth a fresh run (with the next idempotency key); everything else is permanent. */
export const TRANSIENT_RUN_ERRORS: readonly string[] = [FailureType.ModelTimeout, FailureType.InternalError];
