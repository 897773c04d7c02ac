/**
 * The package imports the Temporal SDK only through its published entry points: a deep path into a
 * package's `lib/` (`@temporalio/common/lib/...`) is an internal that may move in any SDK release, and
 * the peer range promises more than one release.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { test } from 'node:test';

const SRC = join(__dirname, '..', '..', 'src');

test('src/ has no deep imports of @temporalio/* internals', async () => {
  const offenders: string[] = [];
  for (const entry of await readdir(SRC, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const path = join(entry.parentPath, entry.name);
    const text = await readFile(path, 'utf8');
    for (const m of text.matchAll(/['"](@temporalio\/[\w-]+\/lib\/[^'"]*)['"]/g))
      offenders.push(`${relative(SRC, path)}: ${m[1]}`);
  }
  assert.deepEqual(offenders, []);
});
