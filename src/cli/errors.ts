/** Turning any error into the CLI's one line (and, under --json, its error type). */
import { ConfigError } from '../flora/config';
import { FloraError } from '../flora/errors';
import { CliError } from './support';

/** Explains an error in one line: what failed and what to do. */
export function explainError(err: unknown): string {
  if (err instanceof ConfigError) return err.message;
  if (err instanceof FloraError) return `FLORA request failed: ${err.describe()}`;
  if (err instanceof CliError) return err.message;
  const message = err instanceof Error ? err.message : String(err);
  if (/ECONNREFUSED|failed to connect|tcp connect error|transport error/i.test(message)) {
    return `cannot reach Temporal (${message}); is a Temporal server running at TEMPORAL_ADDRESS?`;
  }
  return message;
}

export function errorType(err: unknown): string {
  if (err instanceof CliError) return 'invalid_usage';
  if (err instanceof Error && err.name === 'ConfigError') return 'invalid_configuration';
  if (err instanceof Error && err.name === 'WorkflowIdConflictError') return 'workflow_id_conflict';
  if (err instanceof Error && err.name === 'RerunRequiredError') return 'rerun_required';
  if (err instanceof Error && err.name === 'SearchAttributesMissingError') return 'search_attributes_missing';
  if (err instanceof Error && 'code' in err && typeof err.code === 'string' && err.name.startsWith('Flora'))
    return err.code;
  return 'error';
}
