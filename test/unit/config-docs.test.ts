/**
 * docs/configuration.md's variable table against what the code reads, both ways: every variable the code
 * reads (the zod env schemas, the tuning names, any other `env.X` read in src/, and the variables
 * `@temporalio/envconfig` reads for us) is in the table, the table names no other, and where a schema
 * has a default or bounds, the table's "default" and "accepted" cells say the same.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { z } from 'zod';
import { DEFAULT_TEMPORAL_ADDRESS, TemporalEnv } from '../../src/temporal/config';
import { FloraEnv } from '../../src/flora/config';
import { ObservabilityEnv } from '../../src/observability/env';
import { DEFAULT_WEBHOOK_PATH } from '../../src/webhooks/receiver';
import { TUNING_ENV_NAMES } from '../../src/worker/tuning';

const ROOT = path.join(__dirname, '..', '..');
const OURS = /^(FLORA|TEMPORAL|OTEL)_/;
const SCHEMAS = [TemporalEnv, FloraEnv, ObservabilityEnv];
const SCHEMA_FIELDS = new Map<string, z.ZodType>(SCHEMAS.flatMap((s) => Object.entries(s.shape)));

/** Defaults the code applies after the schema (the SDK's profile may set these first). */
const CODE_DEFAULTS: Record<string, string> = {
  TEMPORAL_ADDRESS: DEFAULT_TEMPORAL_ADDRESS,
  FLORA_WEBHOOK_PATH: DEFAULT_WEBHOOK_PATH,
};

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? tsFiles(path.join(dir, e.name))
      : e.name.endsWith('.ts')
        ? [path.join(dir, e.name)]
        : [],
  );
}

/** `env.X`, `env?.X`, `env['X']` reads in src/ (outside the schemas: webhooks, downloads, the dev server…). */
function sourceReads(): Set<string> {
  const found = new Set<string>();
  const read = /\benv\??\.([A-Z][A-Z0-9_]+)|\benv\[['"]([A-Z][A-Z0-9_]+)['"]\]/g;
  for (const file of tsFiles(path.join(ROOT, 'src')))
    for (const m of readFileSync(file, 'utf8').matchAll(read)) found.add((m[1] ?? m[2]) as string);
  return found;
}

/** The variables `@temporalio/envconfig` reads (TEMPORAL_GRPC_META_ is a prefix). */
function envconfigReads(): Set<string> {
  const lib = path.dirname(require.resolve('@temporalio/envconfig'));
  const found = new Set<string>();
  for (const file of readdirSync(lib).filter((f) => f.endsWith('.js')))
    for (const m of readFileSync(path.join(lib, file), 'utf8').matchAll(/['"`](TEMPORAL_[A-Z0-9_]+)/g))
      found.add(m[1] as string);
  return found;
}

const CODE_VARS = [
  ...new Set([
    ...SCHEMA_FIELDS.keys(),
    ...Object.values(TUNING_ENV_NAMES),
    ...sourceReads(),
    ...envconfigReads(),
  ]),
]
  .filter((v) => OURS.test(v))
  .sort();

interface Row {
  vars: string[];
  default: string;
  accepted: string;
}

function rows(): Row[] {
  const lines = readFileSync(path.join(ROOT, 'docs', 'configuration.md'), 'utf8').split('\n');
  const start = lines.findIndex((l) => l.startsWith('|') && l.split('|')[1]?.trim() === 'variable');
  assert.ok(start >= 0, 'docs/configuration.md has a table with a "variable" column');
  const header = (lines[start] ?? '').split('|').map((c) => c.trim());
  assert.deepEqual(header.slice(1, 4), ['variable', 'default', 'accepted']);
  const out: Row[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    const [names = '', def = '', accepted = ''] = line
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    const vars = [...names.matchAll(/`([A-Z][A-Z0-9_]+)\*?`/g)].map((m) => m[1] as string);
    out.push({ vars, default: def, accepted });
  }
  return out;
}

/** The parts of a field's JSON Schema (zod's own conversion) that the "accepted" cell restates. */
interface FieldJson {
  type?: string;
  enum?: (string | number)[];
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  minLength?: number;
  format?: string;
}

/** What a schema field's "accepted" cell starts with; undefined when the schema only says "text". */
function acceptedText(name: string): string | undefined {
  const json = z.toJSONSchema(z.object({ [name]: SCHEMA_FIELDS.get(name) as z.ZodType }), {
    io: 'input',
    unrepresentable: 'any',
  }).properties?.[name] as FieldJson | undefined;
  if (json === undefined) return undefined;
  if (json.enum !== undefined) return json.enum.map((v) => `\`${v}\``).join(', ');
  const upTo = json.maximum === undefined ? '' : `–${json.maximum}`;
  if (json.type === 'integer') {
    const min = json.minimum ?? (json.exclusiveMinimum ?? -1) + 1;
    return json.maximum === undefined ? `whole number ≥ ${min}` : `whole number ${min}${upTo}`;
  }
  if (json.type === 'number' && json.exclusiveMinimum !== undefined)
    return `number > ${json.exclusiveMinimum}${json.maximum === undefined ? '' : `, ≤ ${json.maximum}`}`;
  if (json.format === 'uri') return 'URL';
  if (json.type === 'string' && json.minLength === 1) return 'non-empty';
  return undefined;
}

describe('docs/configuration.md: the environment variables table', () => {
  const table = rows();
  const documented = table.flatMap((r) => r.vars);

  test('documents every variable the code reads, and only those', () => {
    assert.deepEqual([...documented].sort(), CODE_VARS);
  });

  test('documents each variable once', () => {
    assert.deepEqual(
      documented.filter((v, i) => documented.indexOf(v) !== i),
      [],
    );
  });

  for (const name of SCHEMA_FIELDS.keys()) {
    test(`${name}: the schema's default and bounds`, () => {
      const row = table.find((r) => r.vars.includes(name));
      assert.ok(row, `${name} is in the table`);
      assert.deepEqual(row.vars, [name], `${name} has a row of its own, so its cells are its own`);
      const unset = (SCHEMA_FIELDS.get(name) as z.ZodType).safeParse(undefined);
      if (!unset.success) assert.match(row.default, /^required/, `${name} is required`);
      else if (typeof unset.data === 'string' || typeof unset.data === 'number')
        assert.equal(row.default, `\`${unset.data}\``);
      else assert.equal(unset.data, undefined, `${name}: a default the table can show`);
      const accepted = acceptedText(name);
      if (accepted !== undefined)
        assert.ok(
          row.accepted.startsWith(accepted),
          `"accepted" for ${name} should start with "${accepted}", is "${row.accepted}"`,
        );
    });
  }

  for (const [name, value] of Object.entries(CODE_DEFAULTS))
    test(`${name}: the code's default`, () => {
      const row = table.find((r) => r.vars.includes(name));
      assert.ok(row?.default.includes(`\`${value}\``), `${name}'s default cell names \`${value}\``);
    });
});
