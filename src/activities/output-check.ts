/**
 * The check a resumed pipeline makes before it takes an earlier execution's outputs: FLORA's output URLs
 * expire, so each one is fetched (headers only), and any file the earlier execution saved on a worker
 * (`downloadTo`) is looked for under this worker's download root. Never throws for a dead URL or a missing
 * file: it reports them, and the workflow decides.
 */
import { stat } from 'node:fs/promises';
import { resolveUnder } from './downloads';

export interface OutputCheckRequest {
  /** Output URLs to try. */
  urls: string[];
  /** Saved files, relative to the download root. */
  files: string[];
}

export interface OutputCheckResult {
  /** Per URL, in order: null (it answers) or why not (`HTTP 410`, a network error). */
  urls: (string | null)[];
  /** Per file, in order: whether this worker has it. */
  files: boolean[];
}

/**
 * Statuses that say "not now" rather than "gone": the server is throttling or timed out this request.
 * They are reported as no answer, so the workflow takes the paid output (noted) instead of treating it
 * as expired and paying for the run again.
 */
const NOT_NOW_STATUSES = new Set([408, 425, 429]);

/** Per URL: headers within this time, or it counts as not answering. */
export const OUTPUT_CHECK_TIMEOUT_MS = 10_000;

async function checkUrl(url: string): Promise<string | null> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'not a valid URL';
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    return `the ${parsed.protocol} scheme is not fetched`;
  try {
    // GET, not HEAD: some file servers (signed-URL stores among them) answer HEAD differently. The body is
    // dropped unread once the status is known.
    const res = await fetch(parsed, {
      method: 'GET',
      headers: { range: 'bytes=0-0' },
      signal: AbortSignal.timeout(OUTPUT_CHECK_TIMEOUT_MS),
    });
    await res.body?.cancel().catch(() => undefined);
    if (res.ok) return null;
    const status = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
    return NOT_NOW_STATUSES.has(res.status) ? `no answer: ${status}` : status;
  } catch (err) {
    return `no answer: ${err instanceof Error ? err.message : String(err)}`;
  }
}

async function hasFile(root: string | undefined, file: string): Promise<boolean> {
  if (root === undefined) return false;
  const path = resolveUnder(root, file);
  if (path === undefined) return false;
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

export function createOutputCheckActivities({ root }: { root: string | undefined }) {
  return {
    async checkOutputs(req: OutputCheckRequest): Promise<OutputCheckResult> {
      const [urls, files] = await Promise.all([
        Promise.all(req.urls.map(checkUrl)),
        Promise.all(req.files.map((f) => hasFile(root, f))),
      ]);
      return { urls, files };
    },
  };
}
