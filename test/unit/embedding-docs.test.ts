/** docs/embedding.md shows exactly the consumer project test/package.test.ts builds and runs. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';

const root = join(__dirname, '..', '..');

test('every file of the tested consumer project appears verbatim in docs/embedding.md', async () => {
  const docs = await readFile(join(root, 'docs', 'embedding.md'), 'utf8');
  for (const file of [
    'src/workflows.ts',
    'src/activities.ts',
    'src/main.ts',
    'src/esm/workflows.mts',
    'src/esm/main.mts',
  ]) {
    const code = await readFile(join(root, 'test', 'fixtures', 'consumer', file), 'utf8');
    assert.ok(docs.includes(`\`${file}\``), `docs/embedding.md names ${file}`);
    assert.ok(docs.includes(`\`\`\`ts\n${code}\`\`\``), `docs/embedding.md shows ${file} as tested`);
  }
});
