import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TechniqueInfo } from '../../src/domain/technique';
import { checkInputs, checkRequest, describeProblems } from '../../src/domain/request-check';
import { callbackUrlFor } from '../../src/workflows/run-events';

const technique: TechniqueInfo = {
  techniqueId: 'tech_demo',
  slug: 'image-to-video',
  name: 'Image to Video',
  description: undefined,
  runCost: 0.25,
  inputs: [
    { id: 'input_image', name: 'Input Image', type: 'imageUrl', optional: false },
    { id: 'prompt', name: 'Prompt', type: 'text', optional: true },
    { id: 'reference', name: 'Reference', type: 'image_url', optional: true },
  ],
  outputs: [{ id: 'video', name: 'Video', type: 'videoUrl', optional: false }],
};
const nested = { route: 'nested', technique: 'image-to-video' } as const;

function fields(result: { ok: boolean; problems?: { field: string }[] }): string[] {
  assert.equal(result.ok, false);
  return (result.problems ?? []).map((p) => p.field);
}

describe('checkRequest', () => {
  test('applies documented defaults', () => {
    const r = checkRequest({ technique: 'text-to-image', inputs: {} });
    assert.ok(r.ok);
    assert.deepEqual(r.options, {
      pollMinMs: 2000,
      pollMaxMs: 5000,
      maxRunAttempts: 2,
      recreateDelayMs: 10000,
      maxCostUsd: undefined,
      deadlineMs: 6 * 3600 * 1000,
      idempotencyKey: undefined,
      attachRunId: undefined,
      maxHistoryEvents: 2000,
      downloadTo: undefined,
      callbackUrl: undefined,
      fallbackPollMaxMs: undefined,
      pollMode: 'local',
      activityTaskQueue: undefined,
    });
    assert.deepEqual(r.route, { route: 'nested', technique: 'text-to-image' });
  });

  test('options.callbackUrl: https, no fragment, credentials or wf of its own, slug route only', () => {
    const base = 'https://hooks.example.com/flora/webhook?tenant=a';
    const ok = checkRequest({ technique: 't', inputs: {}, options: { callbackUrl: base } });
    assert.ok(ok.ok);
    assert.equal(ok.options.callbackUrl, base);
    for (const bad of [
      'http://hooks.example.com/x',
      'not a url',
      'https://hooks.example.com/x#frag',
      'https://user:pw@hooks.example.com/x',
      'https://hooks.example.com/x?wf=someone-else',
      `https://hooks.example.com/${'x'.repeat(2_000)}`,
      42,
    ]) {
      const r = checkRequest({ technique: 't', inputs: {}, options: { callbackUrl: bad as string } });
      assert.deepEqual(fields(r as never), ['options.callbackUrl'], String(bad).slice(0, 60));
    }
    const topLevel = checkRequest({
      techniqueId: 'tech_1',
      workspaceId: 'ws_1',
      inputs: {},
      options: { callbackUrl: base },
    });
    assert.deepEqual(fields(topLevel as never), ['options.callbackUrl']);
  });

  test('options.fallbackPollMaxMs: a whole number of ms, at least pollMaxMs, only with callbackUrl', () => {
    const callbackUrl = 'https://hooks.example.com/flora/webhook';
    const ok = checkRequest({
      technique: 't',
      inputs: {},
      options: { callbackUrl, fallbackPollMaxMs: 60_000 },
    });
    assert.ok(ok.ok);
    assert.equal(ok.options.fallbackPollMaxMs, 60_000);
    const equal = checkRequest({
      technique: 't',
      inputs: {},
      options: { callbackUrl, pollMaxMs: 8_000, fallbackPollMaxMs: 8_000 },
    });
    assert.ok(equal.ok);
    for (const bad of [4_999, 1.5, -1, 3_600_001, '30s', null]) {
      const r = checkRequest({
        technique: 't',
        inputs: {},
        options: { callbackUrl, fallbackPollMaxMs: bad as number },
      });
      assert.deepEqual(fields(r as never), ['options.fallbackPollMaxMs'], String(bad));
    }
    const below = checkRequest({
      technique: 't',
      inputs: {},
      options: { callbackUrl, fallbackPollMaxMs: 4_000 },
    });
    assert.ok(!below.ok);
    assert.match(below.problems[0]?.message ?? '', /at least pollMaxMs \(5000\), got 4000/);
    const noCallback = checkRequest({ technique: 't', inputs: {}, options: { fallbackPollMaxMs: 60_000 } });
    assert.ok(!noCallback.ok);
    assert.deepEqual(fields(noCallback as never), ['options.fallbackPollMaxMs']);
    assert.match(noCallback.problems[0]?.message ?? '', /options\.callbackUrl/);
  });

  test('callbackUrlFor adds the workflow id as wf, keeping the base query', () => {
    assert.equal(
      callbackUrlFor('https://hooks.example.com/flora/webhook?tenant=a', 'run technique/1'),
      'https://hooks.example.com/flora/webhook?tenant=a&wf=run+technique%2F1',
    );
  });

  test('pollMode and activityTaskQueue: refused, naming the field, when malformed', () => {
    const r = checkRequest({
      technique: 'text-to-image',
      inputs: {},
      options: { pollMode: 'sometimes' as never, activityTaskQueue: 'two words' },
    });
    assert.deepEqual(fields(r as never), ['options.pollMode', 'options.activityTaskQueue']);
    const ok = checkRequest({
      technique: 'text-to-image',
      inputs: {},
      options: { pollMode: 'activity', activityTaskQueue: 'flora-activities' },
    });
    assert.ok(ok.ok);
    assert.equal(ok.options.pollMode, 'activity');
    assert.equal(ok.options.activityTaskQueue, 'flora-activities');
  });

  test('top-level route needs tech_ and ws_ prefixes, reported together', () => {
    const r = checkRequest({ techniqueId: 'abc', workspaceId: 'workspace', inputs: {} });
    assert.deepEqual(fields(r as never), ['techniqueId', 'workspaceId']);
    const ok = checkRequest({ techniqueId: 'tech_1', workspaceId: 'ws_1', inputs: {} });
    assert.ok(ok.ok);
    assert.deepEqual(ok.route, { route: 'top-level', techniqueId: 'tech_1', workspaceId: 'ws_1' });
  });

  test('rejects a missing technique, a tech_ id as slug, and both forms at once', () => {
    assert.deepEqual(fields(checkRequest({ inputs: {} }) as never), ['technique']);
    const r = checkRequest({ technique: 'tech_123', inputs: {} });
    assert.equal(r.ok, false);
    assert.match(
      describeProblems((r as { problems: { field: string; message: string }[] }).problems),
      /techniqueId and workspaceId/,
    );
    assert.deepEqual(
      fields(
        checkRequest({ technique: 'x', techniqueId: 'tech_1', workspaceId: 'ws_1', inputs: {} }) as never,
      ),
      ['technique'],
    );
  });

  test('every bad option is named, all at once', () => {
    const r = checkRequest({
      technique: 't',
      inputs: {},
      options: {
        pollMinMs: 0,
        pollMaxMs: 5.5,
        maxRunAttempts: 0,
        maxCostUsd: -1,
        deadline: 'soon',
        idempotencyKey: 'has space',
        attachRunId: '',
        maxHistoryEvents: 5,
      },
    });
    assert.deepEqual(fields(r as never).sort(), [
      'options.attachRunId',
      'options.deadline',
      'options.idempotencyKey',
      'options.maxCostUsd',
      'options.maxHistoryEvents',
      'options.maxRunAttempts',
      'options.pollMaxMs',
      'options.pollMinMs',
    ]);
  });

  test('pollMaxMs below pollMinMs is refused', () => {
    const r = checkRequest({ technique: 't', inputs: {}, options: { pollMinMs: 3000, pollMaxMs: 2000 } });
    assert.deepEqual(fields(r as never), ['options.pollMaxMs']);
  });
});

describe('checkInputs', () => {
  test('builds the nested body in schema order with schema types, leaving out omitted optional inputs', () => {
    const r = checkInputs(
      technique,
      nested,
      { prompt: 'slow pan', input_image: ' https://cdn.example.com/a.png ' },
      { maxCostUsd: undefined },
    );
    assert.ok(r.ok);
    assert.deepEqual(r.create, {
      route: 'nested',
      slug: 'image-to-video',
      inputs: [
        { id: 'input_image', type: 'imageUrl', value: 'https://cdn.example.com/a.png' },
        { id: 'prompt', type: 'text', value: 'slow pan' },
      ],
    });
  });

  test('normalises type aliases: a typed value with image_url fits an imageUrl slot, and the schema type is sent', () => {
    const r = checkInputs(
      technique,
      nested,
      {
        input_image: { type: 'image_url', value: 'https://x.test/a.png' },
        reference: { type: 'imageUrl', value: 'https://x.test/b.png' },
      },
      { maxCostUsd: undefined },
    );
    assert.ok(r.ok);
    assert.equal(r.create.route, 'nested');
    if (r.create.route === 'nested') {
      assert.deepEqual(
        r.create.inputs.map((i) => i.type),
        ['imageUrl', 'image_url'],
      );
    }
  });

  test('reports every problem at once, each naming the input and what was expected', () => {
    const r = checkInputs(
      technique,
      nested,
      {
        prompt: '   ',
        reference: { type: 'videoUrl', value: 'https://x.test/v.mp4' },
        colour: 'red',
      },
      { maxCostUsd: 0.1 },
    );
    assert.equal(r.ok, false);
    const problems = (r as { problems: { field: string; message: string }[] }).problems;
    const byField = Object.fromEntries(problems.map((p) => [p.field, p.message]));
    assert.match(byField['inputs.colour'] ?? '', /unknown input.*input_image, prompt, reference/);
    assert.match(byField['inputs.input_image'] ?? '', /required imageUrl input "Input Image" is missing/);
    assert.match(byField['inputs.prompt'] ?? '', /non-empty text/);
    assert.match(byField['inputs.reference'] ?? '', /expected type image_url, got a value typed videoUrl/);
    assert.match(byField.run_cost ?? '', /\$0.25 per run, above options.maxCostUsd \(\$0.1\)/);
    assert.equal(problems.length, 5);
  });

  test('URL inputs must be https and well formed', () => {
    for (const [value, pattern] of [
      ['http://cdn.example.com/a.png', /plain http/],
      ['not a url', /expected an https:\/\/ URL, got "not a url"/],
      ['ftp://x.test/a.png', /ftp: URL/],
      [42, /got a number/],
    ] as const) {
      const r = checkInputs(technique, nested, { input_image: value as never }, { maxCostUsd: undefined });
      assert.equal(r.ok, false);
      assert.match((r as { problems: { message: string }[] }).problems[0]?.message ?? '', pattern);
    }
  });

  test('top-level route sends a map', () => {
    const r = checkInputs(
      technique,
      { route: 'top-level', techniqueId: 'tech_demo', workspaceId: 'ws_1' },
      { input_image: 'https://x.test/a.png' },
      { maxCostUsd: 1 },
    );
    assert.ok(r.ok);
    assert.deepEqual(r.create, {
      route: 'top-level',
      techniqueId: 'tech_demo',
      workspaceId: 'ws_1',
      inputs: { input_image: 'https://x.test/a.png' },
    });
  });
});
