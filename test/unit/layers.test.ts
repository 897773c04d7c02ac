/**
 * The dependency rule (ARCHITECTURE.md, "Layers") is enforced by `npm run lint` through the local
 * `flora/layers` rule (eslint/layers.mjs). These tests prove it fails a wrong-way import, passes the
 * allowed directions, bans every Node built-in in sandbox code, and that the doc's table is the rule's.
 */
import assert from 'node:assert/strict';
import { builtinModules } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';

const root = join(__dirname, '..', '..');

interface LayersModule {
  LAYERS: Record<string, { sandbox?: boolean; may: string[]; types?: string[] }>;
  NODE_BUILTINS: string[];
  SANDBOX_FOLDERS: string[];
}

/** The ESM config modules, loaded by URL (TypeScript has no types for them). */
const importMjs = <T>(...parts: string[]) => import(pathToFileURL(join(root, ...parts)).href) as Promise<T>;
const loadLayers = () => importMjs<LayersModule>('eslint', 'layers.mjs');

/**
 * Lints `code` as if it were the file `src/<file>`, with the import rules of the project's own
 * eslint.config.mjs (its type-checked rules need the file on disk, so they are left out).
 */
async function lintAs(file: string, code: string): Promise<string[]> {
  const config = await importMjs<{ default: Linter.Config[] }>('eslint.config.mjs');
  const importRules = config.default.filter(
    (c) => c.rules?.['flora/layers'] !== undefined || c.rules?.['no-restricted-imports'] !== undefined,
  );
  assert.ok(importRules.length >= 2, 'eslint.config.mjs configures flora/layers and the sandbox imports');
  const eslint = new ESLint({
    cwd: root,
    overrideConfigFile: true,
    overrideConfig: [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } }, ...importRules],
  });
  const [result] = await eslint.lintText(code, { filePath: join(root, 'src', file) });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === 'flora/layers' || m.ruleId === 'no-restricted-imports')
    .map((m) => `${m.ruleId}: ${m.message}`);
}

test('a wrong-way import fails lint, naming both folders and the doc', async () => {
  const problems = await lintAs(
    'workflows/bad-import.ts',
    "import { registerCli } from '../cli/main';\nexport const x = registerCli;\n",
  );
  assert.equal(problems.length, 1, problems.join('\n'));
  assert.match(problems[0] ?? '', /src\/workflows may not import src\/cli.*ARCHITECTURE\.md/);

  const fromDomain = await lintAs('domain/bad.ts', "export { FloraClient } from '../flora/client';\n");
  assert.match(fromDomain.join('\n'), /src\/domain may not import src\/flora/);

  const required = await lintAs('flora/bad.ts', "export const w = require('../worker/worker') as unknown;\n");
  assert.match(required.join('\n'), /src\/flora may not import src\/worker/);
});

test('allowed directions pass; a types-only edge passes as `import type` and fails as a value import', async () => {
  assert.deepEqual(
    await lintAs(
      'cli/ok.ts',
      "import { createFloraWorker } from '../worker/worker';\nexport const w = createFloraWorker;\n",
    ),
    [],
  );
  assert.deepEqual(
    await lintAs(
      'workflows/ok.ts',
      "import type { FloraActivities } from '../activities';\nexport type A = FloraActivities;\n",
    ),
    [],
  );
  const value = await lintAs(
    'workflows/bad.ts',
    "import { createActivities } from '../activities';\nexport const a = createActivities;\n",
  );
  assert.ok(
    value.some((p) => /types only/.test(p)),
    value.join('\n'),
  );
});

test('sandbox folders refuse every Node built-in node:module lists, bare or node:-prefixed', async () => {
  const { NODE_BUILTINS, SANDBOX_FOLDERS } = await loadLayers();
  const expected = builtinModules.filter((name) => !name.startsWith('_'));
  for (const name of expected) {
    assert.ok(NODE_BUILTINS.includes(name), name);
    assert.ok(NODE_BUILTINS.includes(`node:${name}`), name);
  }
  assert.deepEqual([...SANDBOX_FOLDERS].sort(), ['domain', 'pipelines', 'workflows']);
  for (const folder of SANDBOX_FOLDERS) {
    const problems = await lintAs(
      `${folder}/bad.ts`,
      "import { readFileSync } from 'fs';\nexport const r = readFileSync;\n",
    );
    assert.ok(
      problems.some((p) => /Node built-ins/.test(p)),
      `${folder}: ${problems.join('\n')}`,
    );
  }
});

test("ARCHITECTURE.md's layer table is the rule's table, row for row", async () => {
  const { LAYERS } = await loadLayers();
  const doc = readFileSync(join(root, 'ARCHITECTURE.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Layers'));
  const rows = new Map<string, { may: string[]; types: string[] }>();
  for (const line of section.split('\n')) {
    const cells = /^\|\s*`([a-z-]+)`\s*\|([^|]*)\|([^|]*)\|/.exec(line);
    if (!cells) continue;
    const list = (cell: string | undefined) =>
      [...(cell ?? '').matchAll(/`([a-z-]+)`/g)].map((m) => m[1] ?? '').sort();
    rows.set(cells[1] ?? '', { may: list(cells[2]), types: list(cells[3]) });
  }
  assert.deepEqual(
    [...rows.keys()].sort(),
    Object.keys(LAYERS).sort(),
    'the same folders in the doc and the rule',
  );
  for (const [name, layer] of Object.entries(LAYERS)) {
    assert.deepEqual(rows.get(name)?.may, [...layer.may].sort(), `${name}: may import`);
    assert.deepEqual(rows.get(name)?.types, [...(layer.types ?? [])].sort(), `${name}: types only`);
  }
});
