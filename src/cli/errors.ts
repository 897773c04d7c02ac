/**
 * Turning any error into the CLI's one line and, under --json, its error type. One vocabulary of
 * snake_case types, shared with the workflows' failures (docs/cli.md lists it):
 *   invalid_usage         a flag, argument or file on the command line
 *   invalid_configuration an environment variable (named in the message)
 *   invalid_request       the run or pipeline request itself (inputs, spec), from the CLI or the workflow
 *   not_found             no such workflow id, or no such technique at FLORA
 *   not_running / not_completed / not_confirmed   the workflow's state (or the person) says no
 *   temporal_unreachable  no Temporal server answered at TEMPORAL_ADDRESS
 *   download_failed       the run completed, saving its outputs did not
 *   workflow_id_conflict, rerun_required, search_attributes_missing   starting or listing refused
 *   FLORA's own codes (invalid_api_key, rate_limited, ...) and the workflows' failure types
 *   (safety_blocked, budget_exceeded, cancelled, ...) as they come
 *   unexpected_error      anything else (a bug: run with --verbose and report it)
 */
import { ConfigError } from '../flora/config';
import { FloraError } from '../flora/errors';
import { CliError } from './support';

const TEMPORAL_UNREACHABLE = /ECONNREFUSED|failed to connect|tcp connect error|transport error/i;

/** Explains an error in one line: what failed and what to do. */
export function explainError(err: unknown): string {
  if (err instanceof ConfigError) return err.message;
  if (err instanceof FloraError) {
    // FLORA says "check the Authorization header": here that header is FLORA_API_KEY.
    const key =
      err.status === 401 || err.status === 403
        ? '; set FLORA_API_KEY to a valid API key for this FLORA_BASE_URL'
        : '';
    return `FLORA request failed: ${err.describe()}${key}`;
  }
  if (err instanceof CliError) return err.message;
  const message = err instanceof Error ? err.message : String(err);
  if (TEMPORAL_UNREACHABLE.test(message)) {
    return `cannot reach Temporal (${message}); is a Temporal server running at TEMPORAL_ADDRESS?`;
  }
  return message;
}

export function errorType(err: unknown): string {
  if (err instanceof CliError) return err.type;
  if (err instanceof Error && err.name === 'ConfigError') return 'invalid_configuration';
  if (err instanceof Error && err.name === 'WorkflowIdConflictError') return 'workflow_id_conflict';
  if (err instanceof Error && err.name === 'RerunRequiredError') return 'rerun_required';
  if (err instanceof Error && err.name === 'ResumeError') return 'resume_refused';
  if (err instanceof Error && err.name === 'SearchAttributesMissingError') return 'search_attributes_missing';
  if (err instanceof Error && 'code' in err && typeof err.code === 'string' && err.name.startsWith('Flora'))
    return err.code;
  if (err instanceof Error && TEMPORAL_UNREACHABLE.test(err.message)) return 'temporal_unreachable';
  return 'unexpected_error';
}
