/**
 * `manifest.json`: what was downloaded into a directory, from where, and the sha256 of each file, so
 * a later call can skip files it already has and anyone can verify them. Written atomically (temp file,
 * fsync, rename) and merged under a per-file lock, so concurrent calls in one process (pipeline steps
 * sharing a directory) never lose each other's entries.
 */
import { open, readFile, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';

export const ManifestEntry = z.object({
  outputId: z.string(),
  /** The FLORA output type (`imageUrl`, `text`, ...). */
  type: z.string(),
  /** The URL downloaded from (for `text` outputs, the text itself). */
  url: z.string(),
  /** File name inside the directory. */
  file: z.string(),
  contentType: z.string(),
  bytes: z.number().int().nonnegative(),
  /** Hex sha256 of the file's bytes. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** ISO 8601. */
  downloadedAt: z.string(),
});
export type ManifestEntry = z.infer<typeof ManifestEntry>;

export const DownloadManifest = z.object({
  version: z.literal(1),
  files: z.array(ManifestEntry),
});
export type DownloadManifest = z.infer<typeof DownloadManifest>;

/** Reads `dir/name`; undefined when it does not exist. Throws, naming the file, when it is not a manifest. */
export async function readManifest(
  dir: string,
  name = 'manifest.json',
): Promise<DownloadManifest | undefined> {
  const path = join(dir, name);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(
      `${path} is not valid JSON (${(err as Error).message}). Move it aside or delete it; it will be rebuilt.`,
    );
  }
  const parsed = DownloadManifest.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(
      `${path} is not a version 1 download manifest (${problems.join('; ')}). Move it aside or delete it.`,
    );
  }
  return parsed.data;
}

/** Entries with the same `file` are replaced in place; new ones are appended in the given order. */
export function mergeManifest(
  existing: DownloadManifest | undefined,
  entries: ManifestEntry[],
): DownloadManifest {
  const files = [...(existing?.files ?? [])];
  for (const entry of entries) {
    const at = files.findIndex((f) => f.file === entry.file);
    if (at >= 0) files[at] = entry;
    else files.push(entry);
  }
  return { version: 1, files };
}

const locks = new Map<string, Promise<void>>();

/** Runs `fn` after every earlier call for the same path has finished. */
async function withLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const previous = locks.get(path) ?? Promise.resolve();
  const result = previous.then(fn);
  const tail = result.then(
    () => undefined,
    () => undefined,
  );
  locks.set(path, tail);
  try {
    return await result;
  } finally {
    if (locks.get(path) === tail) locks.delete(path);
  }
}

/** Writes a file so that a crash leaves either the old content or the new, never a torn one. */
export async function writeFileAtomic(path: string, data: string | Buffer): Promise<void> {
  const temp = `${path}.${process.pid}.partial`;
  try {
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/** Merges `entries` into `dir/name` (read, merge, atomic write, under the lock); returns the result. */
export async function updateManifest(
  dir: string,
  name: string,
  entries: ManifestEntry[],
): Promise<DownloadManifest> {
  const path = resolve(dir, name);
  return withLock(path, async () => {
    const merged = mergeManifest(await readManifest(dir, name), entries);
    await writeFileAtomic(path, `${JSON.stringify(merged, null, 2)}\n`);
    // Persists the renames of the manifest and of the files it lists, not only their contents.
    await syncDirectory(dir);
    return merged;
  });
}

/** fsync on a directory; best effort, since some platforms (Windows) cannot open one for it. */
export async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Nothing to do: the data itself was already synced; only the rename's durability is weaker.
  }
}
