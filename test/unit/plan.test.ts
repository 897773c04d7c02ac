import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TechniqueInfo } from '../../src/domain/technique';
import { planPipeline, resolveInputs, techniqueKeys } from '../../src/pipelines/plan';
import { parsePipelineSpec, type PipelineSpecInput } from '../../src/pipelines/spec';
import { slot, technique } from '../helpers/techniques';

const SCHEMAS: Record<string, TechniqueInfo> = {
  t2i: technique('t2i', 0.04, [slot('prompt', 'text')], [slot('image', 'imageUrl')]),
  style: technique(
    'style',
    0.03,
    [slot('image', 'image_url'), slot('style', 'text')],
    [slot('image', 'imageUrl')],
  ),
  i2v: technique(
    'i2v',
    0.25,
    [slot('input_image', 'imageUrl'), slot('prompt', 'text', true)],
    [slot('video', 'videoUrl')],
  ),
  board: technique('board', 0.12, [slot('prompt', 'text')], [slot('f1', 'imageUrl'), slot('f2', 'imageUrl')]),
  duo: technique('duo', 0.01, [slot('a', 'imageUrl')], [slot('x', 'imageUrl'), slot('caption', 'text')]),
};

function plan(spec: PipelineSpecInput) {
  const parsed = parsePipelineSpec(spec);
  assert.ok(parsed.ok, JSON.stringify(parsed));
  return planPipeline(parsed.spec, SCHEMAS);
}
function problems(spec: PipelineSpecInput): Record<string, string> {
  const r = plan(spec);
  assert.equal(r.ok, false);
  return Object.fromEntries(
    (r as { problems: { path: string; message: string }[] }).problems.map((p) => [p.path, p.message]),
  );
}

describe('parsePipelineSpec', () => {
  test('applies the documented defaults', () => {
    const r = parsePipelineSpec({
      name: 'x',
      steps: [{ id: 'a', technique: 't2i', inputs: { prompt: 'p' } }],
    });
    assert.ok(r.ok);
    assert.equal(r.spec.concurrency, 4);
    assert.equal(r.spec.onStepFailure, 'fail-fast');
    assert.equal(r.spec.onBudgetExceeded, 'fail');
    assert.equal(r.spec.budgetUsd, undefined);
  });
  test('names every bad path at once', () => {
    const r = parsePipelineSpec({
      name: '',
      onStepFailure: 'retry',
      steps: [{ id: 'a b', inputs: { p: { fromStep: 1 } } }],
    });
    assert.equal(r.ok, false);
    const paths = (r as { problems: { path: string }[] }).problems.map((p) => p.path).sort();
    assert.deepEqual(paths, [
      'name',
      'onStepFailure',
      'steps[0].id',
      'steps[0].inputs.p',
      'steps[0].technique',
    ]);
  });
});

describe('planPipeline', () => {
  test('fetches each technique once, orders by dependency, prices the plan when counts are known', () => {
    const spec: PipelineSpecInput = {
      name: 'x',
      steps: [
        { id: 'clip', technique: 'i2v', inputs: { input_image: { fromStep: 'poster' } } },
        { id: 'poster', technique: 't2i', inputs: { prompt: 'fox' } },
        {
          id: 'styles',
          technique: 'style',
          forEach: ['a', 'b'],
          inputs: { image: { fromStep: 'poster' }, style: { item: true } },
        },
      ],
    };
    const parsed = parsePipelineSpec(spec);
    assert.ok(parsed.ok);
    assert.deepEqual(techniqueKeys(parsed.spec), ['i2v', 't2i', 'style']);
    const r = plan(spec);
    assert.ok(r.ok);
    assert.deepEqual(r.plan.order, ['poster', 'clip', 'styles']);
    assert.equal(r.plan.plannedRuns, 4);
    assert.equal(r.plan.plannedCostUsd, 0.35);
    assert.deepEqual(r.plan.steps.find((s) => s.id === 'clip')?.inputs.input_image, {
      kind: 'output-id',
      fromStep: 'poster',
      outputId: 'image',
      type: 'imageUrl',
    });
  });

  test('image_url and imageUrl fit each other; forEach over a step counts its declared outputs in the estimate', () => {
    const r = plan({
      name: 'x',
      steps: [
        { id: 'board', technique: 'board', inputs: { prompt: 'p' } },
        {
          id: 'styled',
          technique: 'style',
          forEach: { fromStep: 'board' },
          inputs: { image: { item: true }, style: 'ink' },
        },
      ],
    });
    assert.ok(r.ok);
    assert.equal(r.plan.plannedCostUsd, undefined);
    assert.deepEqual(r.plan.estimate, { runs: 3, costUsd: 0.18, runsPerStep: { board: 1, styled: 2 } });
  });

  test('several fitting outputs need an explicit choice; by id or index it works', () => {
    const p = problems({
      name: 'x',
      steps: [
        { id: 'board', technique: 'board', inputs: { prompt: 'p' } },
        { id: 'clip', technique: 'i2v', inputs: { input_image: { fromStep: 'board' } } },
      ],
    });
    assert.match(
      p['steps[1].inputs.input_image'] ?? '',
      /several imageUrl outputs \(f1, f2\): choose one with "output"/,
    );
    const r = plan({
      name: 'x',
      steps: [
        { id: 'board', technique: 'board', inputs: { prompt: 'p' } },
        { id: 'clip', technique: 'i2v', inputs: { input_image: { fromStep: 'board', output: 'f2' } } },
        { id: 'clip2', technique: 'i2v', inputs: { input_image: { fromStep: 'board', output: 0 } } },
      ],
    });
    assert.ok(r.ok);
  });

  test('type mismatches: by id, by index, forEach over outputs of another type', () => {
    const p = problems({
      name: 'x',
      steps: [
        { id: 'duo', technique: 'duo', inputs: { a: 'https://x.test/a.png' } },
        { id: 'v1', technique: 'i2v', inputs: { input_image: { fromStep: 'duo', output: 'caption' } } },
        { id: 'v2', technique: 'i2v', inputs: { input_image: { fromStep: 'duo', output: 1 } } },
        { id: 'v3', technique: 'i2v', forEach: { fromStep: 'duo' }, inputs: { input_image: { item: true } } },
      ],
    });
    assert.match(
      p['steps[1].inputs.input_image'] ?? '',
      /output caption \(text\) cannot feed this imageUrl input/,
    );
    assert.match(p['steps[2].inputs.input_image'] ?? '', /output 1 of step "duo" is caption \(text\)/);
    assert.match(
      p['steps[3].inputs.input_image'] ?? '',
      /yields caption \(text\), but this input expects imageUrl/,
    );
  });

  test('a fan-out step used as a single input must be iterated or indexed', () => {
    const p = problems({
      name: 'x',
      steps: [
        {
          id: 'styles',
          technique: 'style',
          forEach: ['a', 'b'],
          inputs: { image: 'https://x.test/a.png', style: { item: true } },
        },
        { id: 'clip', technique: 'i2v', inputs: { input_image: { fromStep: 'styles' } } },
      ],
    });
    assert.match(p['steps[1].inputs.input_image'] ?? '', /runs once per forEach element/);
  });

  test('duplicate ids, self reference, cycles, forEach without item, literal items checked', () => {
    const p = problems({
      name: 'x',
      steps: [
        { id: 'a', technique: 'style', inputs: { image: { fromStep: 'b' }, style: 's' } },
        { id: 'b', technique: 'style', inputs: { image: { fromStep: 'c' }, style: 's' } },
        { id: 'c', technique: 'style', inputs: { image: { fromStep: 'a' }, style: 's' } },
        { id: 'c', technique: 't2i', inputs: { prompt: 'p' } },
        { id: 'self', technique: 'style', inputs: { image: { fromStep: 'self' }, style: 's' } },
        {
          id: 'loop',
          technique: 'i2v',
          forEach: ['http://x.test/a.png', 'https://x.test/b.png'],
          inputs: { input_image: { item: true } },
        },
        { id: 'noitem', technique: 't2i', forEach: ['a'], inputs: { prompt: 'p' } },
      ],
    });
    assert.match(p['steps[3].id'] ?? '', /duplicate step id "c"/);
    assert.match(p['steps[4].inputs.image.fromStep'] ?? '', /cycle self → self/);
    assert.match(p['steps[5].inputs.input_image (forEach[0])'] ?? '', /plain http/);
    assert.match(p['steps[6].forEach'] ?? '', /no input of this step uses/);
    assert.match(
      Object.values(p).join('\n'),
      /dependency cycle: (a → b → c → a|b → c → a → b|c → a → b → c)/,
    );
  });
});

describe('resolveInputs', () => {
  test('literals, items and outputs by id and by flattened index', () => {
    const r = plan({
      name: 'x',
      steps: [
        { id: 'board', technique: 'board', inputs: { prompt: 'p' } },
        {
          id: 'clip',
          technique: 'i2v',
          inputs: { input_image: { fromStep: 'board', output: 'f2' }, prompt: 'pan' },
        },
      ],
    });
    assert.ok(r.ok);
    const clip = r.plan.steps.find((s) => s.id === 'clip');
    assert.ok(clip);
    const outputs = [
      [
        { outputId: 'f1', type: 'imageUrl', url: 'https://x/1' },
        { outputId: 'f2', type: 'imageUrl', url: 'https://x/2' },
      ],
    ];
    assert.deepEqual(
      resolveInputs(clip, undefined, () => outputs),
      {
        ok: true,
        inputs: { input_image: { type: 'imageUrl', value: 'https://x/2' }, prompt: 'pan' },
      },
    );
    assert.deepEqual(
      resolveInputs(clip, undefined, () => [[]]),
      { ok: false, problem: 'input input_image: step "board" produced no output "f2"' },
    );
  });
});

describe('planPipeline: limits', () => {
  test('beyond the documented run limits the spec is refused, naming the field', () => {
    const list = (n: number) => Array.from({ length: n }, (_, i) => `f${i}`);
    const lists = parsePipelineSpec({
      name: 'x',
      steps: [0, 1].map((k) => ({
        id: `s${k}`,
        technique: 't2i',
        forEach: list(6_000),
        inputs: { prompt: { item: true } },
      })),
    });
    assert.equal(lists.ok, false);
    assert.match(
      JSON.stringify(lists),
      /"path":"steps","message":"the pipeline has 12000 runs; at most 10000/,
    );
    // A forEach over a step: counted from the producer's declared outputs (board has two per run).
    const fanned = parsePipelineSpec({
      name: 'x',
      steps: [
        { id: 'boards', technique: 'board', forEach: list(6_000), inputs: { prompt: { item: true } } },
        {
          id: 'frames',
          technique: 'style',
          forEach: { fromStep: 'boards' },
          inputs: { image: { item: true }, style: 'ink' },
        },
      ],
    });
    assert.ok(fanned.ok);
    const planned = planPipeline(fanned.spec, SCHEMAS);
    assert.equal(planned.ok, false);
    assert.match(
      JSON.stringify(planned),
      /"path":"steps\[1\]\.forEach","message":"the pipeline would run about 18000 runs/,
    );
  });
});

describe('planPipeline: step options', () => {
  test('recreateDelayMs is a step option (and a pipeline option) passed to each run', () => {
    const parsed = parsePipelineSpec({
      name: 'x',
      options: { recreateDelayMs: 2_000 },
      steps: [
        { id: 'a', technique: 't2i', inputs: { prompt: 'p' } },
        { id: 'b', technique: 't2i', inputs: { prompt: 'q' }, options: { recreateDelayMs: 0 } },
      ],
    });
    assert.ok(parsed.ok, JSON.stringify(parsed));
    const planned = planPipeline(parsed.spec, SCHEMAS);
    assert.ok(planned.ok);
    assert.equal(planned.plan.steps.find((s) => s.id === 'a')?.options.recreateDelayMs, 2_000);
    assert.equal(planned.plan.steps.find((s) => s.id === 'b')?.options.recreateDelayMs, 0);
    const bad = parsePipelineSpec({
      name: 'x',
      steps: [{ id: 'a', technique: 't2i', inputs: { prompt: 'p' }, options: { recreateDelayMs: -1 } }],
    });
    assert.equal(bad.ok, false);
    assert.deepEqual(
      (bad as { problems: { path: string }[] }).problems.map((p) => p.path),
      ['steps[0].options.recreateDelayMs'],
    );
  });

  test('bad runTechnique options are refused in the plan, naming where they were set', () => {
    const p = problems({
      name: 'x',
      options: { deadline: 'soon' },
      steps: [
        { id: 'a', technique: 't2i', inputs: { prompt: 'p' }, options: { pollMinMs: 5000, pollMaxMs: 2000 } },
      ],
    });
    assert.match(p['options.deadline'] ?? '', /positive duration/);
    assert.match(p['steps[0].options.pollMaxMs'] ?? '', /at least pollMinMs/);
  });
});
