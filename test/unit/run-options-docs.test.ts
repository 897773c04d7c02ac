/**
 * The docs' option tables against the one option schema (src/domain/run-options.ts), both ways: every
 * documented option exists with the schema's default and bounds, and every schema option is documented.
 * Adding an option without docs, or changing a default or a bound without the docs, fails here.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { runOptionBounds, runOptionsSchema, type RunOptionKey } from '../../src/domain/run-options';
import { STEP_OPTION_KEYS } from '../../src/pipelines/spec';
import { RUN_OPTION_FLAGS } from '../../src/cli/run-option-flags';

const ROOT = path.join(__dirname, '..', '..');
const doc = (name: string) => readFileSync(path.join(ROOT, 'docs', name), 'utf8');
const SCHEMA_KEYS = Object.keys(runOptionsSchema().shape).sort();

/** The rows of the first table whose header's first cell is `first`, as cells (without the outer pipes). */
function table(markdown: string, first: string): string[][] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => l.startsWith('|') && l.split('|')[1]?.trim() === first);
  assert.ok(start >= 0, `a table with a "${first}" column`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim()),
    );
  }
  return rows;
}

/** A default as the table writes it: `2000`, `'6h'`. */
function literal(value: unknown): string {
  return typeof value === 'string' ? `\`'${value}'\`` : `\`${String(value)}\``;
}

/** How the "accepted" column starts for an option, from its schema. */
function acceptedText(key: RunOptionKey): string {
  const b = runOptionBounds(key);
  switch (b.kind) {
    case 'number':
      return b.max === undefined ? `≥ ${b.min ?? 0}` : `${b.min ?? 0}–${b.max}`;
    case 'string':
      return b.min === undefined ? `≤ ${b.max} characters` : `${b.min}–${b.max} characters`;
    case 'enum':
      return (b.values ?? []).map((v) => `\`'${v}'\``).join(', ');
    case 'duration':
      return 'positive duration';
  }
}

describe('docs/workflows.md: the runTechnique options table', () => {
  const rows = table(doc('workflows.md'), 'option');
  const byName = new Map(rows.map((r) => [(r[0] ?? '').replace(/`/g, ''), r]));

  test('documents every option of the schema, and only those', () => {
    assert.deepEqual([...byName.keys()].sort(), SCHEMA_KEYS);
  });

  for (const key of SCHEMA_KEYS as RunOptionKey[]) {
    test(`${key}: the schema's default and bounds`, () => {
      const [, defaultCell = '', accepted = ''] = byName.get(key) ?? [];
      const bounds = runOptionBounds(key);
      if (bounds.default !== undefined) assert.equal(defaultCell, literal(bounds.default));
      else
        assert.doesNotMatch(
          defaultCell,
          /^`('.*'|\d+)`$/,
          'no default in the schema: the docs say what happens',
        );
      assert.ok(
        accepted.startsWith(acceptedText(key)),
        `"accepted" for ${key} should start with "${acceptedText(key)}", is "${accepted}"`,
      );
    });
  }
});

describe('docs/pipelines.md: the step options', () => {
  test('the options row names exactly the step options (derived from the schema)', () => {
    const options = table(doc('pipelines.md'), 'field').find((r) => r[0] === '`options`');
    assert.ok(options, 'an `options` row');
    const listed = /\(([^;]*);/.exec(options[2] ?? '')?.[1] ?? '';
    const names = [...listed.matchAll(/`(\w+)`/g)].map((m) => m[1]).sort();
    assert.deepEqual(names, [...STEP_OPTION_KEYS].sort());
    for (const key of STEP_OPTION_KEYS) assert.ok(SCHEMA_KEYS.includes(key), `${key} is a run option`);
  });
});

describe('docs/cli.md: the run command', () => {
  test('every run-option flag is documented on the run row, with its bounds', () => {
    const run = table(doc('cli.md'), 'command').find((r) => r[0]?.startsWith('`run '));
    assert.ok(run, 'a `run` row');
    const text = run.join(' ');
    for (const { flag, option } of RUN_OPTION_FLAGS) {
      const name = flag.split(' ')[0] ?? flag;
      assert.ok(text.includes(name), `${name} documented`);
      const b = runOptionBounds(option);
      if (b.kind === 'number' && b.max !== undefined) {
        const at = text.indexOf(name);
        assert.ok(
          text.slice(at, at + 60).includes(`(${b.min ?? 0}–${b.max})`),
          `${name} documented with its bounds (${b.min ?? 0}–${b.max})`,
        );
      }
    }
  });
});
