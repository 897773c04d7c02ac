/**
 * Where `--download DIR` saves: checked before anything starts (nothing is paid for before a typo'd or
 * unwritable directory is found), and never silently mixed with other files.
 */
import { constants, statSync } from 'node:fs';
import { access, mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { CliError } from './support';

/**
 * Makes sure `dir` can take the outputs: a directory (created now if missing, parents included) that is
 * writable and empty, or any directory with `overwrite` (files of the same name are replaced; files
 * already saved with the same URL and sha256 are kept). Throws a CliError naming the flag otherwise.
 */
export async function prepareDownloadDir(
  dir: string,
  overwrite: boolean,
  flag = '--download',
): Promise<void> {
  const path = resolve(dir);
  const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    if (err.code === 'ENOTDIR')
      throw new CliError(`${flag} ${dir}: cannot create it (${nearestFile(path)} is a file)`);
    throw new CliError(`${flag} ${dir}: cannot use it (${err.code ?? err.message})`);
  });
  if (info === undefined) {
    await mkdir(path, { recursive: true }).catch((err: NodeJS.ErrnoException) => {
      throw new CliError(
        `${flag} ${dir}: cannot create it (${err.code === 'ENOTDIR' || err.code === 'EEXIST' ? `${nearestFile(path)} is a file` : (err.code ?? err.message)})`,
      );
    });
    return;
  }
  if (!info.isDirectory())
    throw new CliError(`${flag} ${dir}: it is a file, not a directory; name a new or empty directory`);
  try {
    await access(path, constants.W_OK | constants.X_OK);
  } catch {
    throw new CliError(`${flag} ${dir}: the directory is not writable`);
  }
  const entries = await readdir(path);
  if (entries.length > 0 && !overwrite)
    throw new CliError(
      `${flag} ${dir}: the directory is not empty (${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}); ` +
        'name a new or empty directory, or pass --overwrite to replace files of the same name',
    );
}

/** The closest ancestor of `path` that exists but is not a directory (why mkdir said ENOTDIR). */
function nearestFile(path: string): string {
  for (let at = dirname(path); at !== dirname(at); at = dirname(at)) {
    try {
      if (!statSync(at).isDirectory()) return at;
    } catch {
      // Not there: keep going up.
    }
  }
  return dirname(path);
}
