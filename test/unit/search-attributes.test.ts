/**
 * Flora's search attributes have one definition, FLORA_SEARCH_ATTRIBUTES (src/domain/search-attribute-keys.ts).
 * These tests tie every consumer to it: the register command and the dev-server flags are derived from
 * it, every dev server the project starts (demo, tests' CLI servers, bench, chaos) gets its flags, no
 * other source file spells a name or a type, and the docs list exactly these names with these types.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { startDevArgs } from '../../src/dev/dev-server';
import {
  FLORA_SEARCH_ATTRIBUTES,
  SEARCH_ATTRIBUTE_TYPE_NAMES,
  searchAttributeCreateArgs,
  startDevSearchAttributeArgs,
} from '../../src/domain/search-attribute-keys';
import {
  REGISTER_COMMAND,
  registerCommand,
  SearchAttributesMissingError,
  START_DEV_FLAGS,
} from '../../src/temporal/search-attributes';

const ROOT = path.join(__dirname, '..', '..');
const DEFINITION = path.join(ROOT, 'src', 'domain', 'search-attribute-keys.ts');

/** The one list, as `name=Type` strings in its order. */
const EXPECTED = FLORA_SEARCH_ATTRIBUTES.map((key) => `${key.name}=${SEARCH_ATTRIBUTE_TYPE_NAMES[key.type]}`);
const TYPE_NAMES = Object.values(SEARCH_ATTRIBUTE_TYPE_NAMES).join('|');

/** `name=Type` pairs of a `temporal operator search-attribute create` command's `--name N --type T`. */
const createPairs = (text: string) =>
  [...text.matchAll(/--name\s+(\S+)\s+--type\s+(\S+?)`?(?=\s|$)/g)].map((m) => `${m[1]}=${m[2]}`);
/** `name=Type` pairs of `--search-attribute N=T` flags. */
const startDevPairs = (text: string) =>
  [...text.matchAll(/--search-attribute[\s=]+([^\s=`]+)=([^\s`]+)/g)].map((m) => `${m[1]}=${m[2]}`);

function files(dir: string, ext: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? e.name === 'node_modules' || e.name === 'fixtures'
        ? []
        : files(path.join(dir, e.name), ext)
      : e.name.endsWith(ext)
        ? [path.join(dir, e.name)]
        : [],
  );
}

test('the register command and the dev-server flags are derived from the one list, in its order', () => {
  assert.deepEqual(createPairs(REGISTER_COMMAND), EXPECTED);
  assert.deepEqual(createPairs(searchAttributeCreateArgs().join(' ')), EXPECTED);
  assert.match(
    REGISTER_COMMAND,
    /^temporal operator search-attribute create --namespace <namespace> --name /,
  );
  assert.match(
    registerCommand('ns-1'),
    /^temporal operator search-attribute create --namespace ns-1 --name /,
  );
  assert.deepEqual(startDevPairs(START_DEV_FLAGS), EXPECTED);
  assert.deepEqual(startDevPairs(startDevSearchAttributeArgs().join(' ')), EXPECTED);
  const missing = new SearchAttributesMissingError(['FloraRunId'], 'ns-2', 'listRuns');
  assert.ok(missing.message.includes(registerCommand('ns-2')), missing.message);
  assert.ok(missing.message.includes(`temporal server start-dev ${START_DEV_FLAGS}`), missing.message);
});

test('every dev server the project starts registers exactly the list', () => {
  const ports = { port: 1, httpPort: 2, metricsPort: 3 };
  for (const args of [startDevArgs(ports), startDevArgs(ports, { dbFilename: '/tmp/x.sqlite' })]) {
    assert.deepEqual(startDevPairs(args.join(' ')), EXPECTED);
  }
  // The bench uses the same launcher, and the chaos harness's PostgreSQL server the same create args.
  const bench = readFileSync(path.join(ROOT, 'bench', 'temporal-server.ts'), 'utf8');
  assert.match(bench, /spawnDevServer\(/);
  const postgres = readFileSync(path.join(ROOT, 'scripts', 'chaos', 'temporal-postgres.ts'), 'utf8');
  assert.match(postgres, /\.\.\.searchAttributeCreateArgs\(\)/);
});

test('no source file outside the definition spells an attribute name as a literal or pairs it with a type', () => {
  const offenders: string[] = [];
  const sources = ['src', 'scripts', 'bench'].flatMap((dir) => files(path.join(ROOT, dir), '.ts'));
  for (const file of sources) {
    if (file === DEFINITION) continue;
    const text = readFileSync(file, 'utf8');
    for (const key of FLORA_SEARCH_ATTRIBUTES) {
      const spelled = new RegExp(
        `['"\`]${key.name}['"\`]|${key.name}=(${TYPE_NAMES})\\b|--name['",\\s]+${key.name}\\b`,
      );
      if (spelled.test(text)) offenders.push(`${path.relative(ROOT, file)}: ${key.name}`);
    }
    if (/['"`]--search-attribute['"`]/.test(text))
      offenders.push(`${path.relative(ROOT, file)}: --search-attribute`);
  }
  assert.deepEqual(offenders, []);
});

test("the docs' search attributes are the list's, both ways", () => {
  const docs = [
    ...files(path.join(ROOT, 'docs'), '.md'),
    path.join(ROOT, 'README.md'),
    path.join(ROOT, 'ARCHITECTURE.md'),
  ];
  let startDevCommands = 0;
  let createCommands = 0;
  let prose = 0;
  for (const file of docs) {
    // Shell line continuations join a command back into one line.
    const text = readFileSync(file, 'utf8').replace(/\\\n\s*/g, ' ');
    const where = path.relative(ROOT, file);
    for (const line of text.split('\n')) {
      const flags = startDevPairs(line);
      if (flags.length > 0) {
        assert.deepEqual(flags, EXPECTED, `${where}: a start-dev command lists other attributes: ${line}`);
        startDevCommands++;
      }
      const created = createPairs(line);
      // The one-attribute fix for a wrongly typed attribute names a single pair, which must still be ours.
      for (const pair of created)
        assert.ok(EXPECTED.includes(pair), `${where}: ${pair} is not ours: ${line}`);
      if (created.length > 1) {
        assert.deepEqual(created, EXPECTED, `${where}: a create command lists other attributes: ${line}`);
        createCommands++;
      }
    }
    // Prose: "`FloraTechnique` (Keyword), `FloraRunId` (KeywordList) and `FloraPipeline` (Keyword)".
    const described = [...text.matchAll(new RegExp(`\`(\\w+)\`\\s+\\((${TYPE_NAMES})\\)`, 'g'))].map(
      (m) => `${m[1]}=${m[2]}`,
    );
    if (described.length > 0) {
      assert.deepEqual(described, EXPECTED, `${where}: the attributes described in prose`);
      prose++;
    }
  }
  // The docs do show them (docs/cli.md: start-dev; docs/operations.md: the create command and the list).
  assert.ok(startDevCommands >= 1, 'a doc shows the start-dev flags');
  assert.ok(createCommands >= 1, 'a doc shows the register command');
  assert.ok(prose >= 1, 'a doc lists the attributes with their types');
});
