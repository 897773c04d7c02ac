/**
 * CHANGELOG.md names every workflow change with its patch id (the compatibility policy promises it), so
 * every id of src/workflows/patches.ts must appear there, in backticks, as the changelog writes ids.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { Patches } from '../../src/workflows/patches';

const root = join(__dirname, '..', '..');

test('every patched() id of src/workflows/patches.ts is named in CHANGELOG.md', async () => {
  const changelog = await readFile(join(root, 'CHANGELOG.md'), 'utf8');
  const ids = Object.values(Patches);
  assert.ok(ids.length > 0, 'src/workflows/patches.ts lists patch ids');
  const missing = ids.filter((id) => !changelog.includes(`\`${id}\``));
  assert.deepEqual(missing, [], 'patch ids missing from CHANGELOG.md (add a line for each)');
});
