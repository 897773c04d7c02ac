/**
 * Saves FLORA run outputs to a directory before their URLs expire: every file streamed to disk with its
 * sha256, text outputs as `.txt`, all recorded in a manifest that makes a repeated call a no-op.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent } from 'undici';
import { z } from 'zod';
import { DownloadError } from './errors';
import { fetchToFile } from './fetch-file';
import { readManifest, updateManifest, type DownloadManifest, type ManifestEntry } from './manifest';
import { extensionFor, fileStem, stemOf } from './names';
import { checkDownloadUrl } from './url-policy';

/** A FLORA run output as the workflows return it. */
export const DownloadableOutput = z.object({
  outputId: z.string().min(1, 'must be a non-empty string'),
  type: z.string().min(1, 'must be a non-empty string'),
  /** The file URL, or the text itself for `type: 'text'`. */
  url: z.string(),
});
export type DownloadableOutput = z.infer<typeof DownloadableOutput>;

export const DEFAULT_MAX_BYTES = 2 * 1024 ** 3;

export interface DownloadOptions {
  /**
   * Put in front of every file name, e.g. `'poster-0-'`, so the outputs of several runs or pipeline steps
   * can share one directory without colliding. Sanitized with the output id.
   * @default ''
   */
  prefix?: string;
  /** Time limit for each file, from connecting to its last byte (redirects included). @default 60000 */
  timeoutMs?: number;
  /** Largest file accepted, in bytes; a larger one is aborted, removed and fails with `too_large`. @default 2 GiB */
  maxBytes?: number;
  /** Files downloaded at once. @default 4 */
  concurrency?: number;
  /**
   * Accept plain `http://` URLs whose host is loopback (127.0.0.0/8, `localhost`, `::1`), as the FLORA
   * simulator serves them. Plain http to any other host, and every scheme but https, is always refused.
   * @default true
   */
  allowHttpLoopback?: boolean;
  /** The manifest's file name in `dir`: letters, digits, `.`, `_`, `-`. @default 'manifest.json' */
  manifestName?: string;
  /**
   * Cancels every download in flight; the call then rejects with the signal's reason (an activity's
   * cancellation stays a cancellation). Files already complete are still recorded in the manifest.
   * @default none
   */
  signal?: AbortSignal;
  /**
   * Called with the size of every chunk as it reaches the disk (an activity heartbeats from it, so a
   * download that stops making progress is noticed). @default none
   */
  onChunk?: (bytes: number) => void;
}

interface PlannedDownload {
  output: DownloadableOutput;
  stem: string;
  /** Checked URL; undefined for text outputs, which need no HTTP. */
  url: URL | undefined;
}

interface Context {
  dir: string;
  existing: DownloadManifest | undefined;
  dispatcher: Agent;
  timeoutMs: number;
  maxBytes: number;
  allowHttpLoopback: boolean;
  signal: AbortSignal | undefined;
  onChunk: ((bytes: number) => void) | undefined;
}

const TEXT_CONTENT_TYPE = 'text/plain; charset=utf-8';

/**
 * Downloads `outputs` into `dir` (created if missing) and merges them into its manifest. Returns this
 * call's entries, in the order of `outputs`; an output already on disk with the same URL and a matching
 * sha256 is not fetched again and its existing entry is returned.
 *
 * Throws a TypeError, before any request, for malformed outputs or options (every problem listed), and
 * a `refused_url` DownloadError, before any request, for a URL that will never be fetched. When some
 * downloads fail, the others still finish and are recorded; the call then throws the first permanent
 * failure (a DownloadError that is not `retryable`, or a local error such as a full disk), else the
 * first failure, so a retry of the whole call fetches only what is missing.
 *
 * Concurrent calls on one directory are safe within a process as long as their file names differ (use
 * `prefix`); across processes, the last manifest write wins.
 */
export async function downloadOutputs(
  outputs: readonly DownloadableOutput[],
  dir: string,
  options: DownloadOptions = {},
): Promise<DownloadManifest> {
  const {
    prefix = '',
    timeoutMs = 60_000,
    maxBytes = DEFAULT_MAX_BYTES,
    concurrency = 4,
    allowHttpLoopback = true,
    manifestName = 'manifest.json',
    signal,
    onChunk,
  } = options;
  checkOptions({ prefix, timeoutMs, maxBytes, concurrency, manifestName });
  const plan = planDownloads(outputs, prefix, allowHttpLoopback);
  signal?.throwIfAborted();

  await mkdir(dir, { recursive: true });
  const existing = await readManifest(dir, manifestName);
  const dispatcher = new Agent({ keepAliveTimeout: 4_000 });
  let results: Array<PromiseSettledResult<{ entry: ManifestEntry; fresh: boolean }>>;
  try {
    const context: Context = {
      dir,
      existing,
      dispatcher,
      timeoutMs,
      maxBytes,
      allowHttpLoopback,
      signal,
      onChunk,
    };
    results = await settleWithLimit(plan, concurrency, (item) => downloadPlanned(item, context));
  } finally {
    await dispatcher.close();
  }

  const fresh = results.flatMap((r) => (r.status === 'fulfilled' && r.value.fresh ? [r.value.entry] : []));
  if (fresh.length > 0) await updateManifest(dir, manifestName, fresh);

  const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (failures.length > 0) {
    if (signal?.aborted) throw signal.reason;
    throw (
      failures.find((e) => !(e instanceof DownloadError)) ??
      failures.find((e) => e instanceof DownloadError && !e.retryable) ??
      failures[0]
    );
  }
  return {
    version: 1,
    files: results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.entry] : [])),
  };
}

function checkOptions(options: {
  prefix: string;
  timeoutMs: number;
  maxBytes: number;
  concurrency: number;
  manifestName: string;
}): void {
  const problems: string[] = [];
  if (typeof options.prefix !== 'string') problems.push('options.prefix must be a string');
  if (!(Number.isFinite(options.timeoutMs) && options.timeoutMs > 0))
    problems.push(`options.timeoutMs must be a positive number of ms; got ${String(options.timeoutMs)}`);
  if (!(Number.isSafeInteger(options.maxBytes) && options.maxBytes > 0))
    problems.push(`options.maxBytes must be a positive integer; got ${String(options.maxBytes)}`);
  if (!(Number.isSafeInteger(options.concurrency) && options.concurrency > 0))
    problems.push(`options.concurrency must be a positive integer; got ${String(options.concurrency)}`);
  if (!/^[A-Za-z0-9._-]+$/.test(options.manifestName) || /^\.+$/.test(options.manifestName))
    problems.push(
      `options.manifestName must be a plain file name of letters, digits, ".", "_" and "-"; got ${JSON.stringify(options.manifestName)}`,
    );
  if (problems.length > 0) throw new TypeError(`downloadOutputs: ${problems.join('; ')}`);
}

/** Checks every output before anything is fetched: shapes, file names, URLs. */
function planDownloads(
  outputs: readonly DownloadableOutput[],
  prefix: string,
  allowHttpLoopback: boolean,
): PlannedDownload[] {
  const parsed = z.array(DownloadableOutput).safeParse(outputs);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `outputs.${i.path.map(String).join('.')}: ${i.message}`);
    throw new TypeError(`downloadOutputs: ${problems.join('; ')}`);
  }
  const plan = parsed.data.map((output) => ({
    output,
    stem: fileStem(prefix, output.outputId),
    url: undefined as URL | undefined,
  }));
  // Two outputs with one stem would write the same file (`image` of two runs, or `a/b` and `a_b`).
  const byStem = new Map<string, string[]>();
  for (const { output, stem } of plan) byStem.set(stem, [...(byStem.get(stem) ?? []), output.outputId]);
  const clashes = [...byStem].filter(([, ids]) => ids.length > 1);
  if (clashes.length > 0) {
    const list = clashes.map(([stem, ids]) => `${ids.map((id) => JSON.stringify(id)).join(', ')} → ${stem}`);
    throw new TypeError(
      `downloadOutputs: outputs would overwrite each other's files (${list.join('; ')}). ` +
        'Download them in separate calls with different `prefix` options.',
    );
  }
  for (const item of plan) {
    if (item.output.type !== 'text')
      item.url = checkDownloadUrl(item.output.url, allowHttpLoopback, item.output.outputId);
  }
  return plan;
}

async function downloadPlanned(
  item: PlannedDownload,
  context: Context,
): Promise<{ entry: ManifestEntry; fresh: boolean }> {
  const { output, stem } = item;
  const { dir, existing, signal } = context;
  signal?.throwIfAborted();
  const known = existing?.files.find(
    (f) => f.url === output.url && f.outputId === output.outputId && stemOf(f.file) === stem,
  );
  if (known && (await matchesOnDisk(join(dir, known.file), known))) return { entry: known, fresh: false };

  // One fixed temp name per target: a retry after a crash overwrites the leftover instead of adding one.
  const partial = join(dir, `${stem}.partial`);
  let file: string;
  let saved: { contentType: string; bytes: number; sha256: string };
  try {
    if (item.url === undefined) {
      const data = Buffer.from(output.url, 'utf8');
      await writeFile(partial, data, { flush: true, signal });
      file = `${stem}.txt`;
      saved = {
        contentType: TEXT_CONTENT_TYPE,
        bytes: data.length,
        sha256: createHash('sha256').update(data).digest('hex'),
      };
    } else {
      const fetched = await fetchToFile(item.url, partial, {
        dispatcher: context.dispatcher,
        timeoutMs: context.timeoutMs,
        maxBytes: context.maxBytes,
        allowHttpLoopback: context.allowHttpLoopback,
        signal,
        outputId: output.outputId,
        onChunk: context.onChunk,
      });
      file = `${stem}${extensionFor(fetched.contentType, output.url)}`;
      saved = {
        contentType: fetched.contentType ?? 'application/octet-stream',
        bytes: fetched.bytes,
        sha256: fetched.sha256,
      };
    }
    await rename(partial, join(dir, file));
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
  const entry: ManifestEntry = {
    outputId: output.outputId,
    type: output.type,
    url: output.url,
    file,
    ...saved,
    downloadedAt: new Date().toISOString(),
  };
  return { entry, fresh: true };
}

/** True when the file exists with the entry's size and sha256 (size first: it costs no read). */
async function matchesOnDisk(path: string, entry: ManifestEntry): Promise<boolean> {
  try {
    if ((await stat(path)).size !== entry.bytes) return false;
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
    return hash.digest('hex') === entry.sha256;
  } catch {
    return false;
  }
}

/** Runs `fn` over `items`, at most `limit` at once, and waits for all of them whatever fails. */
async function settleWithLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<Array<PromiseSettledResult<R>>> {
  const results: Array<PromiseSettledResult<R>> = new Array<PromiseSettledResult<R>>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      const item = items[index] as T;
      try {
        results[index] = { status: 'fulfilled', value: await fn(item) };
      } catch (reason) {
        results[index] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
