/**
 * Malformed run requests and pipeline specs, each with the field its rejection must name. Built as
 * plain data (JSON.parse for the `__proto__` keys, so they are own properties as a parsed request
 * would carry them).
 */

export interface LibraryCase {
  name: string;
  kind: 'run' | 'pipeline';
  input: unknown;
  /** The rejection's message must match (case-insensitive): the field, or the offending value. */
  names: RegExp;
}

export interface CliCase {
  name: string;
  args: string[];
  /** A spec file to write first; `{file}` in args is replaced by its path. */
  file?: { ext: 'json' | 'yaml'; text: string };
  names: RegExp;
}

const ok = { technique: 'text-to-image', inputs: { prompt: 'chaos bad input' } };
const run = (patch: Record<string, unknown>): unknown => ({ ...ok, ...patch });
const opts = (options: Record<string, unknown>): unknown => ({ ...ok, options });
const restyle = (image: string): unknown => ({ technique: 'restyle-image', inputs: { image, style: 'ink' } });

function nested(depth: number): unknown {
  let value: unknown = 'deep';
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

const step = (id: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  id,
  technique: 'text-to-image',
  inputs: { prompt: `chaos bad pipeline ${id}` },
  ...extra,
});
const spec = (patch: Record<string, unknown>): unknown => ({
  name: 'chaos-bad',
  steps: [step('a')],
  ...patch,
});
const MB = 'x'.repeat(1024 * 1024);

export const LIBRARY_CASES: LibraryCase[] = [
  {
    name: 'technique of the wrong type',
    kind: 'run',
    input: { technique: 42, inputs: {} },
    names: /technique/i,
  },
  { name: 'no technique at all', kind: 'run', input: { inputs: { prompt: 'x' } }, names: /technique/i },
  {
    name: 'unknown technique id',
    kind: 'run',
    input: run({ technique: 'no-such-technique' }),
    names: /no-such-technique/i,
  },
  {
    name: 'techniqueId with a bad prefix',
    kind: 'run',
    input: { techniqueId: 'txt2img', workspaceId: 'ws_simulator', inputs: {} },
    names: /techniqueId/i,
  },
  {
    name: 'techniqueId without workspaceId',
    kind: 'run',
    input: { techniqueId: 'tech_txt2img01', inputs: {} },
    names: /workspaceId/i,
  },
  {
    name: 'workspaceId with a bad prefix',
    kind: 'run',
    input: { techniqueId: 'tech_txt2img01', workspaceId: 'workspace1', inputs: {} },
    names: /workspaceId/i,
  },
  { name: 'inputs not an object', kind: 'run', input: run({ inputs: 'prompt=x' }), names: /inputs/i },
  { name: 'missing required input', kind: 'run', input: run({ inputs: {} }), names: /prompt/i },
  {
    name: 'unknown input id',
    kind: 'run',
    input: run({ inputs: { prompt: 'x', colour: 'red' } }),
    names: /colour/i,
  },
  { name: 'input of the wrong type', kind: 'run', input: run({ inputs: { prompt: 5 } }), names: /prompt/i },
  { name: 'http:// URL input', kind: 'run', input: restyle('http://example.com/a.png'), names: /image/i },
  { name: 'javascript: URL input', kind: 'run', input: restyle('javascript:alert(1)'), names: /image/i },
  { name: 'URL input that is not a URL', kind: 'run', input: restyle('not a url'), names: /image/i },
  { name: '1 MB input string', kind: 'run', input: run({ inputs: { prompt: MB } }), names: /prompt/i },
  {
    name: 'deeply nested input',
    kind: 'run',
    input: run({ inputs: { prompt: nested(500) } }),
    names: /prompt/i,
  },
  {
    name: 'unicode technique slug',
    kind: 'run',
    input: run({ technique: 'tëxt-to-imäge' }),
    names: /technique|tëxt/i,
  },
  {
    name: 'zero-width unicode in an input id',
    kind: 'run',
    input: run({ inputs: { 'prompt\u200b': 'x' } }),
    names: /prompt/i,
  },
  {
    name: '__proto__ input key',
    kind: 'run',
    input: JSON.parse(
      '{"technique":"text-to-image","inputs":{"prompt":"x","__proto__":{"polluted":true}}}',
    ) as unknown,
    names: /__proto__/i,
  },
  {
    name: 'constructor input key',
    kind: 'run',
    input: run({ inputs: { prompt: 'x', constructor: 'y' } }),
    names: /constructor/i,
  },
  {
    name: 'NaN budget (maxCostUsd)',
    kind: 'run',
    input: opts({ maxCostUsd: Number.NaN }),
    names: /maxCostUsd/i,
  },
  {
    name: 'negative budget (maxCostUsd)',
    kind: 'run',
    input: opts({ maxCostUsd: -1 }),
    names: /maxCostUsd/i,
  },
  { name: 'negative poll interval', kind: 'run', input: opts({ pollMinMs: -5 }), names: /pollMinMs/i },
  { name: 'maxRunAttempts 0', kind: 'run', input: opts({ maxRunAttempts: 0 }), names: /maxRunAttempts/i },
  { name: 'unreadable deadline', kind: 'run', input: opts({ deadline: 'soon' }), names: /deadline/i },
  { name: 'negative deadline', kind: 'run', input: opts({ deadline: -1 }), names: /deadline/i },
  {
    name: 'empty idempotency key',
    kind: 'run',
    input: opts({ idempotencyKey: '' }),
    names: /idempotencyKey/i,
  },
  {
    name: 'downloadTo escaping its root',
    kind: 'run',
    input: opts({ downloadTo: '../../etc' }),
    names: /downloadTo/i,
  },
  {
    name: 'attachRunId with a bad prefix',
    kind: 'run',
    input: { technique: 'text-to-image', inputs: {}, options: { attachRunId: 'xyz' } },
    names: /attachRunId/i,
  },
  { name: 'pipeline: no steps', kind: 'pipeline', input: spec({ steps: [] }), names: /steps/i },
  { name: 'pipeline: steps not a list', kind: 'pipeline', input: spec({ steps: 'a,b' }), names: /steps/i },
  {
    name: 'pipeline: a cycle',
    kind: 'pipeline',
    input: spec({
      steps: [
        step('a', { inputs: { prompt: { fromStep: 'b' } } }),
        step('b', { inputs: { prompt: { fromStep: 'a' } } }),
      ],
    }),
    names: /cycle|steps/i,
  },
  {
    name: 'pipeline: fromStep to an unknown step',
    kind: 'pipeline',
    input: spec({ steps: [step('a', { inputs: { prompt: { fromStep: 'ghost' } } })] }),
    names: /ghost/i,
  },
  {
    name: 'pipeline: duplicate step ids',
    kind: 'pipeline',
    input: spec({ steps: [step('a'), step('a')] }),
    names: /steps|"a"|duplicate/i,
  },
  {
    name: 'pipeline: step id with spaces',
    kind: 'pipeline',
    input: spec({ steps: [step('bad id')] }),
    names: /steps\[0\]\.id/i,
  },
  {
    name: 'pipeline: 10,000 steps',
    kind: 'pipeline',
    input: spec({ steps: Array.from({ length: 10_000 }, (_, i) => step(`s${i}`)) }),
    names: /steps/i,
  },
  {
    name: 'pipeline: NaN budget',
    kind: 'pipeline',
    input: spec({ budgetUsd: Number.NaN }),
    names: /budgetUsd/i,
  },
  {
    name: 'pipeline: negative budget',
    kind: 'pipeline',
    input: spec({ budgetUsd: -5 }),
    names: /budgetUsd/i,
  },
  {
    name: 'pipeline: concurrency 0',
    kind: 'pipeline',
    input: spec({ concurrency: 0 }),
    names: /concurrency/i,
  },
  { name: 'pipeline: 1 MB name', kind: 'pipeline', input: spec({ name: MB }), names: /name/i },
  { name: 'pipeline: unknown key', kind: 'pipeline', input: spec({ colour: 'red' }), names: /colour/i },
  {
    name: 'pipeline: __proto__ key',
    kind: 'pipeline',
    input: JSON.parse(
      '{"name":"chaos-bad","steps":[{"id":"a","technique":"text-to-image","inputs":{"prompt":"x"}}],"__proto__":{"polluted":true}}',
    ) as unknown,
    names: /__proto__/i,
  },
  {
    name: 'pipeline: http:// URL input',
    kind: 'pipeline',
    input: spec({
      steps: [
        { id: 'a', technique: 'restyle-image', inputs: { image: 'http://example.com/a.png', style: 'ink' } },
      ],
    }),
    names: /image/i,
  },
  {
    name: 'pipeline: deeply nested input',
    kind: 'pipeline',
    input: spec({ steps: [step('a', { inputs: { prompt: nested(500) } })] }),
    names: /prompt|inputs/i,
  },
  {
    name: 'pipeline: empty forEach',
    kind: 'pipeline',
    input: spec({ steps: [step('a', { forEach: [] })] }),
    names: /forEach/i,
  },
];

const cycle = JSON.stringify({
  name: 'chaos-cycle',
  steps: [
    { id: 'a', technique: 'text-to-image', inputs: { prompt: { fromStep: 'b' } } },
    { id: 'b', technique: 'text-to-image', inputs: { prompt: { fromStep: 'a' } } },
  ],
});
const huge = `name: chaos-huge\nsteps:\n${Array.from({ length: 10_000 }, (_, i) => `  - id: s${i}\n    technique: text-to-image\n    inputs: { prompt: "p${i}" }`).join('\n')}\n`;

export const CLI_CASES: CliCase[] = [
  { name: 'CLI run: input without "="', args: ['run', 'text-to-image', '-i', 'prompt'], names: /id=value/i },
  {
    name: 'CLI run: negative --max-cost',
    args: ['run', 'text-to-image', '-i', 'prompt=x', '--max-cost', '-1'],
    names: /max-cost/i,
  },
  {
    name: 'CLI run: NaN --max-cost',
    args: ['run', 'text-to-image', '-i', 'prompt=x', '--max-cost', 'NaN'],
    names: /max-cost/i,
  },
  {
    name: 'CLI run: --max-run-attempts 0',
    args: ['run', 'text-to-image', '-i', 'prompt=x', '--max-run-attempts', '0'],
    names: /max-run-attempts/i,
  },
  {
    name: 'CLI run: unreadable --deadline',
    args: ['run', 'text-to-image', '-i', 'prompt=x', '--deadline', 'soon'],
    names: /deadline/i,
  },
  {
    name: 'CLI run: --technique-id with a bad prefix',
    args: ['run', '--technique-id', 'abc', '--workspace-id', 'ws_simulator', '-i', 'prompt=x'],
    names: /techniqueId|technique-id/i,
  },
  {
    name: 'CLI run: javascript: URL',
    args: ['run', 'restyle-image', '-i', 'image=javascript:alert(1)', '-i', 'style=ink', '--wait'],
    names: /image/i,
  },
  {
    name: 'CLI run: unknown input id',
    args: ['run', 'text-to-image', '-i', 'prompt=x', '-i', 'colour=red', '--wait'],
    names: /colour/i,
  },
  {
    name: 'CLI pipeline validate: a cycle',
    args: ['pipeline', 'validate', '{file}'],
    file: { ext: 'json', text: cycle },
    names: /cycle|steps/i,
  },
  {
    name: 'CLI pipeline: 10,000 steps (YAML)',
    args: ['pipeline', '{file}'],
    file: { ext: 'yaml', text: huge },
    names: /steps/i,
  },
];
