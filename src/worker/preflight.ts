/**
 * Checks a worker makes before it takes any task: a configuration it can detect at start must stop it
 * there, with one line saying what to fix, instead of failing (or wedging) runs that other, healthy
 * workers on the same task queue already paid for.
 */
import type { NativeConnection } from '@temporalio/worker';
import type { FloraClient } from '../flora/client';
import { ConfigError } from '../flora/config';
import { FloraError } from '../flora/errors';
import { checkSearchAttributes, describeWrongType, registerCommand } from '../temporal/search-attributes';

export interface PreflightLog {
  warn(message: string): void;
}

/**
 * Search attributes: a wrong type refuses to start (an upsert of it would fail every workflow task
 * that makes it, forever); missing ones, or no permission to list them, only warn (runs work
 * without them, they just cannot be searched).
 */
export async function checkNamespace(
  connection: NativeConnection,
  namespace: string,
  log: PreflightLog,
): Promise<void> {
  let check;
  try {
    check = await checkSearchAttributes(connection.operatorService, namespace);
  } catch (err) {
    log.warn(`Could not list search attributes (${(err as Error).message}); runs work without them`);
    return;
  }
  if (check.wrongType.length > 0) {
    throw new ConfigError(check.wrongType.map((wrong) => describeWrongType(namespace, wrong)).join(' | '));
  }
  if (check.missing.length > 0) {
    log.warn(
      `Search attributes ${check.missing.join(', ')} are not registered on namespace ${namespace}: runs work, ` +
        `but cannot be searched by technique, FLORA run id or pipeline. Register them with: ` +
        registerCommand(namespace),
    );
  }
}

/**
 * The FLORA key, with one cheap authenticated read. FLORA refusing it (401/403) refuses to start: such
 * a worker would fail every run it touched, paid ones included. FLORA unreachable or failing only
 * warns, so an outage does not crash-loop the whole fleet; runs retry through it.
 */
export async function checkFloraKey(flora: FloraClient, log: PreflightLog): Promise<void> {
  try {
    await flora.listTechniques({ limit: 1 });
  } catch (err) {
    if (err instanceof FloraError && (err.status === 401 || err.status === 403)) {
      // FLORA's own message is left out: the key must never be echoed, even redacted.
      throw new ConfigError(
        `FLORA rejected FLORA_API_KEY (HTTP ${err.status} ${err.code}${err.requestId ? `, request-id ${err.requestId}` : ''} ` +
          `on GET /techniques at ${flora.baseUrl}): set FLORA_API_KEY to a valid key for this workspace. ` +
          `Not starting, so this worker cannot fail runs that other workers created.`,
      );
    }
    const why = err instanceof FloraError ? err.describe() : String(err);
    log.warn(
      `Could not check FLORA_API_KEY against FLORA (${why}); starting anyway, runs retry until FLORA answers`,
    );
  }
}
