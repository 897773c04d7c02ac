/**
 * Every `ApplicationFailure.type` this project raises, in one place, and the named failures the
 * workflows raise of their own (`invalidRequest(problems)`, `idempotencyUnresolved(...)`, ...). FLORA's
 * own error codes are used unchanged, so an operator can match a failure to FLORA's documentation; the
 * rest are ours. The type strings are public names: never change one.
 *
 * Sandbox-safe (constants and @temporalio/common only): workflow code imports this module.
 */
import { ApplicationFailure, TemporalFailure } from '@temporalio/common';
import { innermostApplicationFailure } from './failure-chain';

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
  /** A broken invariant of ours: fails the workflow rather than its task forever. */
  InternalBug: 'internal_bug',
  /** Raised by an activity on an error that is not FLORA's (a bug of ours): retried. */
  UnexpectedError: 'unexpected_error',
  // Ours: raised by runPipeline (a failed step ends with the step's own type).
  InvalidPipeline: 'invalid_pipeline',
  BudgetExceeded: 'budget_exceeded',
  StepFailed: 'step_failed',
  // Ours: raised by the download activity (a failed file is `download_<DownloadErrorCode>`, see downloadFailure).
  /** The worker has no download root (FLORA_DOWNLOAD_ROOT unset). */
  DownloadsDisabled: 'downloads_disabled',
  /** `options.downloadTo` is absolute or climbs out with `..`. */
  InvalidDownloadDir: 'invalid_download_dir',
  /** A saving failure whose own type was lost (a malformed `downloadError`): the name it is given. */
  DownloadFailed: 'download_failed',
  /** @deprecated Never raised (the last attempt's own failure type ends the run); kept while public names are frozen. */
  RunAttemptsExhausted: 'run_attempts_exhausted',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/** Run error codes worth a fresh run (with the next idempotency key); everything else is permanent. */
export const TRANSIENT_RUN_ERRORS: readonly string[] = [FailureType.ModelTimeout, FailureType.InternalError];

/** The failure types runPipeline ends with of its own (a failed step ends with the step's own type). */
export const PipelineFailureType = {
  InvalidPipeline: FailureType.InvalidPipeline,
  BudgetExceeded: FailureType.BudgetExceeded,
  StepFailed: FailureType.StepFailed,
} as const;

/** Every failure to save a file is typed `download_<code>` (`download_http_error`, `download_timeout`, ...). */
const DOWNLOAD_PREFIX = 'download_';

/** The type of a failure to save one file, from the downloader's code (`http_error` → `download_http_error`). */
export function downloadFailureType(code: string): string {
  return `${DOWNLOAD_PREFIX}${code}`;
}

/**
 * Whether a failure type says only saving the outputs failed (so the run itself completed and was
 * charged). `downloads_disabled` and `invalid_download_dir` are refusals before any file was fetched,
 * and are not among them (as when the rule was a plain `startsWith('download_')`).
 */
export function isDownloadFailure(type: string): boolean {
  return type.startsWith(DOWNLOAD_PREFIX);
}

/**
 * A completed child's `downloadError` as the pipeline records it: its type (`download_failed` when it has
 * none) and message; undefined when it is not an object at all.
 */
export function downloadErrorOf(value: unknown): { type: string; message: string } | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const type = 'type' in value && typeof value.type === 'string' ? value.type : FailureType.DownloadFailed;
  const message = 'message' in value && typeof value.message === 'string' ? value.message : '';
  return { type, message };
}

/** One problem with a request, naming its field (`options.pollMinMs`, `inputs.prompt`, `steps[1].technique`). */
export interface FieldProblem {
  field: string;
  message: string;
}

/** `2 problems: a: ...; b: ...`. */
export function describeProblemList(problems: FieldProblem[]): string {
  const list = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
  return `${problems.length} problem${problems.length === 1 ? '' : 's'}: ${list}`;
}

/** A run request that cannot be valid: refused before anything is created (every problem at once). */
export function invalidRequest(problems: FieldProblem[]): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureType.InvalidRequest,
    message: `Invalid run request, nothing was created: ${describeProblemList(problems)}`,
    nonRetryable: true,
    details: [{ problems }],
  });
}

/** A pipeline that cannot be valid (its shape, or its plan against the schemas): nothing was created. */
export function invalidPipeline(problems: { path: string; message: string }[]): ApplicationFailure {
  const described = describeProblemList(problems.map((p) => ({ field: p.path, message: p.message })));
  return ApplicationFailure.create({
    type: FailureType.InvalidPipeline,
    message: `Invalid pipeline, nothing was created: ${described}`,
    nonRetryable: true,
    details: [{ problems }],
  });
}

/** A broken invariant: fail the workflow (a plain Error would retry the workflow task forever). */
export function internalBug(what: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureType.InternalBug,
    message: `flora-temporal bug: ${what}`,
    nonRetryable: true,
  });
}

/**
 * A create whose run could not be told apart: FLORA may have created (and billed) a run for this
 * idempotency key, and the workflow cannot say which. `why` ends the sentence "..., so a run ..."; the
 * details name the key and the candidates, so an operator can attach the right one.
 */
export function idempotencyUnresolved(
  message: string,
  details: { idempotencyKey: string; candidateRunIds: string[] } & Record<string, unknown>,
  cause?: Error,
): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureType.IdempotencyUnresolved,
    message,
    nonRetryable: true,
    details: [details],
    ...(cause !== undefined ? { cause } : {}),
  });
}

/**
 * A run's deadline passed. Says what became of the FLORA run (still going at FLORA, resumable with
 * attachRunId) or that none was created; `end` (the run's end details) goes in `details[0]`.
 */
export function deadlineExceeded(
  deadlineMs: number,
  run: { runId: string | undefined; phase: string; progress: number; polls: number },
  end: object,
): ApplicationFailure {
  const what = run.runId
    ? `FLORA run ${run.runId} was still ${run.phase === 'polling' ? `running (${run.progress}%)` : run.phase}; it keeps going at FLORA and can be resumed with options.attachRunId`
    : 'no FLORA run had been created';
  return ApplicationFailure.create({
    type: FailureType.DeadlineExceeded,
    message: `Deadline of ${deadlineMs} ms passed: ${what}`,
    nonRetryable: true,
    details: [{ ...end, progress: run.progress, polls: run.polls }],
  });
}

/**
 * A FLORA run ended `failed` for good (a permanent error code, or a transient one after the last
 * attempt): the workflow fails with FLORA's own error code as the type.
 */
export function runFailed(run: {
  runId: string;
  runIds: string[];
  techniqueName: string;
  errorCode: string;
  errorMessage: string;
  attempts: number;
  /** A transient code, but options.maxRunAttempts runs were made. */
  attemptsExhausted: boolean;
}): ApplicationFailure {
  const exhausted = run.attemptsExhausted
    ? ` after ${run.attempts} run attempts (options.maxRunAttempts)`
    : '';
  return ApplicationFailure.create({
    type: run.errorCode,
    message: `FLORA run ${run.runId} of ${run.techniqueName} failed${exhausted}: ${run.errorCode}: ${run.errorMessage}`,
    nonRetryable: true,
    details: [
      {
        runId: run.runId,
        runIds: run.runIds,
        errorCode: run.errorCode,
        errorMessage: run.errorMessage,
        attempts: run.attempts,
      },
    ],
  });
}

/** A pipeline's own end (`budget_exceeded`, or a failed step's type under fail-fast), as the scheduler decided it. */
export function pipelineFailure(failure: {
  type: string;
  message: string;
  details: unknown[];
}): ApplicationFailure {
  return ApplicationFailure.create({
    type: failure.type,
    message: failure.message,
    nonRetryable: true,
    details: failure.details,
  });
}

/** The worker was started without FLORA_DOWNLOAD_ROOT: `options.downloadTo` cannot be honoured. */
export function downloadsDisabled(): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureType.DownloadsDisabled,
    message:
      'This worker has no download root: set FLORA_DOWNLOAD_ROOT on the worker to enable options.downloadTo',
    nonRetryable: true,
  });
}

/** `options.downloadTo` is not a relative directory under the root. */
export function invalidDownloadDir(subdir: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureType.InvalidDownloadDir,
    message: `options.downloadTo must be a relative directory without "..", got "${subdir}"`,
    nonRetryable: true,
  });
}

/**
 * A file could not be saved: typed `download_<code>`, retried when the downloader says it may succeed
 * later; the details name the (redacted) URL, the HTTP status and the output.
 */
export function downloadFailure(err: {
  code: string;
  message: string;
  retryable: boolean;
  url: string;
  status: number | undefined;
  outputId: string | undefined;
}): ApplicationFailure {
  return ApplicationFailure.create({
    type: downloadFailureType(err.code),
    message: err.message,
    nonRetryable: !err.retryable,
    details: [{ url: err.url, status: err.status, outputId: err.outputId }],
  });
}

/** This worker's share of the request budget is used up: retryable, after `retryMs`; nothing was sent. */
export function localRateLimited(retryMs: number): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureType.RateLimited,
    message: `this worker's share of FLORA_MAX_REQUESTS_PER_SECOND is used up; retrying in ${retryMs} ms (nothing was sent)`,
    nonRetryable: false,
    nextRetryDelay: retryMs,
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The failure a runTechnique ends with, carrying `end` in `details[0]` (merged into the details an
 * ApplicationFailure of ours already has). An ActivityFailure or child failure is wrapped in an
 * ApplicationFailure of the same type, so the cause chain (and its innermost type) stays as it was.
 * Anything else (a bug, a determinism error) is returned unchanged.
 */
export function withEndDetails(err: unknown, end: object): unknown {
  if (err instanceof ApplicationFailure) {
    const [first, ...rest] = err.details ?? [];
    return ApplicationFailure.create({
      type: err.type ?? undefined,
      message: err.message,
      nonRetryable: err.nonRetryable ?? undefined,
      details: [isRecord(first) ? { ...first, ...end } : end, ...rest],
      cause: err.cause,
    });
  }
  if (err instanceof TemporalFailure) {
    const inner = innermostApplicationFailure(err);
    return ApplicationFailure.create({
      type: inner?.type ?? 'error',
      message: inner?.message ?? err.message,
      nonRetryable: true,
      details: [end],
      cause: err,
    });
  }
  return err;
}
