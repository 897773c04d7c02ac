/**
 * The polling floor for runs started through the client library and the CLI. FLORA asks for one poll
 * every 2–5 s, and its rate limit is shared by every client of a workspace, so a run polling every
 * 50 ms would eat the whole fleet's budget. Below 1 s is for a loopback simulator only. Not checked
 * in workflow code: recorded histories that polled faster must keep replaying.
 */
import { isLoopbackHost } from '../domain/loopback';

export const MIN_POLL_MS = 1_000;

/** `options.pollMinMs: …` problems (one per field below the floor), empty when allowed. */
export function fastPollingProblems(
  fields: { field: string; pollMinMs: number | undefined }[],
  allowFastPolling: boolean | undefined,
): string[] {
  if (allowFastPolling) return [];
  return fields
    .filter((f) => typeof f.pollMinMs === 'number' && f.pollMinMs < MIN_POLL_MS)
    .map(
      (f) =>
        `${f.field}: at least ${MIN_POLL_MS} ms against FLORA, which asks for one poll every 2–5 s ` +
        `(got ${f.pollMinMs}); faster polling is only for a loopback simulator (allowFastPolling)`,
    );
}

/** The CLI allows fast polling only when FLORA_BASE_URL points at a loopback host (the simulator). */
export function fastPollingAllowedByEnv(env: NodeJS.ProcessEnv): boolean {
  const value = env.FLORA_BASE_URL?.trim();
  if (!value) return false;
  try {
    return isLoopbackHost(new URL(value).hostname);
  } catch {
    return false;
  }
}
