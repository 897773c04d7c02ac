/**
 * The scheduler's parts on their own (src/pipelines/step-graph.ts, launch.ts, pipeline-end.ts): the DAG's
 * mechanics, building a launch, and the end, without the scheduler's money and failure decisions.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { childIdempotencyKey, launchRun } from '../../src/pipelines/launch';
import { cancelOnStop, skipUnreached, type StopFacts } from '../../src/pipelines/pipeline-end';
import { planPipeline } from '../../src/pipelines/plan';
import { CURRENT_RULES, SHIPPED_RULES } from '../../src/pipelines/rules';
import { parsePipelineSpec, type PipelineSpecInput } from '../../src/pipelines/spec';
import { initialState } from '../../src/pipelines/state';
import { StepGraph } from '../../src/pipelines/step-graph';
import { SCHEMAS } from '../helpers/techniques';

const IDS = { workflowId: 'wf', firstExecutionRunId: 'first-run' };
const NOW = '2026-01-01T00:00:00.000Z';

/** poster → clip → edit (each reads the one before), and a step `side` of its own. */
const SPEC: PipelineSpecInput = {
  name: 'parts',
  onStepFailure: 'fail-fast',
  steps: [
    { id: 'poster', technique: 't2i', inputs: { prompt: 'fox' } },
    { id: 'clip', technique: 'i2v', inputs: { input_image: { fromStep: 'poster' } } },
    { id: 'edit', technique: 'cap', inputs: { video: { fromStep: 'clip' } } },
    { id: 'side', technique: 't2i', inputs: { prompt: 'owl' } },
  ],
};

function graphOf(spec: PipelineSpecInput = SPEC) {
  const parsed = parsePipelineSpec(spec);
  assert.ok(parsed.ok, JSON.stringify(parsed));
  const planned = planPipeline(parsed.spec, SCHEMAS);
  assert.ok(planned.ok, JSON.stringify(planned));
  const state = initialState(parsed.spec.name);
  const graph = new StepGraph(state, planned.plan, IDS);
  const step = (id: string) => {
    const s = graph.progress(id);
    assert.ok(s, id);
    return s;
  };
  return { state, graph, step, spec: parsed.spec, plan: planned.plan };
}

describe('StepGraph', () => {
  test('steps in plan order, pending; ready once every dependency completed', () => {
    const { state, graph, step, plan } = graphOf();
    assert.deepEqual(
      state.steps.map((s) => s.id),
      plan.order,
    );
    assert.deepEqual(plan.order, ['poster', 'side', 'clip', 'edit'], 'dependencies first, then spec order');
    assert.ok(state.steps.every((s) => s.phase === 'pending'));
    assert.equal(graph.ready(step('poster')), true);
    assert.equal(graph.ready(step('clip')), false);
    graph.expand(step('poster'), NOW);
    assert.deepEqual(
      step('poster').runs.map((r) => [r.workflowId, r.phase]),
      [['wf/poster/0', 'pending']],
    );
    const run = step('poster').runs[0];
    assert.ok(run);
    run.phase = 'completed';
    graph.settle(step('poster'), NOW);
    assert.equal(step('poster').phase, 'completed');
    assert.equal(graph.ready(step('clip')), true);
  });

  test('a step settles failed over cancelled over completed; not while a run is still going', () => {
    const { graph, step } = graphOf({
      name: 'list',
      steps: [{ id: 'many', technique: 't2i', forEach: ['a', 'b', 'c'], inputs: { prompt: { item: true } } }],
    });
    const many = step('many');
    graph.expand(many, NOW);
    assert.equal(many.runs.length, 3);
    const [a, b, c] = many.runs;
    assert.ok(a && b && c);
    a.phase = 'completed';
    b.phase = 'cancelled';
    graph.settle(many, NOW);
    assert.equal(many.phase, 'running', 'c has not ended');
    c.phase = 'failed';
    graph.settle(many, NOW);
    assert.equal(many.phase, 'failed');
  });

  test('a failed step skips its dependants transitively, each saying why', () => {
    const { graph, step } = graphOf();
    step('poster').phase = 'failed';
    graph.skipBlocked();
    assert.equal(step('clip').skippedReason, 'depends on step "poster", which failed');
    assert.equal(step('edit').skippedReason, 'depends on step "clip", which was skipped');
    assert.equal(step('side').phase, 'pending');
  });

  test("a step's outputs are needed while a later unfinished step reads them", () => {
    const { graph, step } = graphOf();
    assert.equal(graph.outputsNeeded('poster'), true);
    step('clip').phase = 'completed';
    assert.equal(graph.outputsNeeded('poster'), false, 'clip read them and finished');
    assert.equal(graph.outputsNeeded('clip'), true, 'edit still reads them');
    step('edit').phase = 'skipped';
    assert.equal(graph.outputsNeeded('clip'), false);
    assert.equal(graph.outputsNeeded('side'), false);
  });
});

describe('launchRun', () => {
  test("reserves the run's price and builds the child's input, with the pipeline's key on the current rules", () => {
    const { graph, step } = graphOf();
    graph.expand(step('poster'), NOW);
    const run = step('poster').runs[0];
    assert.ok(run);
    const launched = launchRun(graph, step('poster'), run, NOW, IDS, CURRENT_RULES);
    assert.equal(launched.kind, 'launched');
    assert.equal(run.phase, 'running');
    assert.equal(run.reservedUsd, 0.04);
    assert.equal(run.startedAt, NOW);
    if (launched.kind !== 'launched') return;
    assert.equal(
      launched.launch.input.options?.idempotencyKey,
      childIdempotencyKey('first-run', 'poster', 0),
    );
    assert.equal(childIdempotencyKey('first-run', 'poster', 0), 'first-run-poster-0');
    assert.deepEqual(launched.launch.input.reportTo, { workflowId: 'wf', step: 'poster', index: 0 });

    const shipped = graphOf();
    shipped.graph.expand(shipped.step('poster'), NOW);
    const again = launchRun(
      shipped.graph,
      shipped.step('poster'),
      shipped.step('poster').runs[0]!,
      NOW,
      IDS,
      SHIPPED_RULES,
    );
    assert.ok(again.kind === 'launched');
    assert.equal(again.launch.input.options?.idempotencyKey, undefined, 'no key on the shipped rule');
  });

  test('an input that cannot be resolved fails the run, reserves nothing, and settles its step', () => {
    const { graph, step } = graphOf();
    step('poster').phase = 'completed'; // completed without outputs
    graph.expand(step('clip'), NOW);
    const run = step('clip').runs[0];
    assert.ok(run);
    const launched = launchRun(graph, step('clip'), run, NOW, IDS, CURRENT_RULES);
    assert.equal(launched.kind, 'unresolved');
    assert.equal(launched.kind === 'unresolved' && launched.error.type, 'step_failed');
    assert.equal(run.phase, 'failed');
    assert.equal(run.reservedUsd, 0);
    assert.equal(step('clip').phase, 'failed');
  });
});

describe('pipeline end', () => {
  test('fail-fast cancels only runs FLORA has not created (current rules), all of them (shipped)', () => {
    const { state, graph, step, spec } = graphOf();
    graph.expand(step('poster'), NOW);
    graph.expand(step('side'), NOW);
    const [created, unpaid] = [step('poster').runs[0], step('side').runs[0]];
    assert.ok(created && unpaid);
    created.phase = 'running';
    created.runId = 'run_1';
    unpaid.phase = 'running';
    const facts: StopFacts = {
      state,
      spec,
      rules: CURRENT_RULES,
      firstFailure: { step: 'clip', index: 0, error: { type: 'safety_blocked', message: 'no' } },
      budgetFailure: undefined,
    };
    assert.deepEqual(cancelOnStop(facts), { kind: 'unpaid', runs: [unpaid] });
    assert.deepEqual(cancelOnStop({ ...facts, rules: SHIPPED_RULES }), { kind: 'all' });
    assert.deepEqual(cancelOnStop({ ...facts, firstFailure: undefined }), { kind: 'none' });
    skipUnreached(facts);
    assert.equal(step('clip').skippedReason, 'the pipeline stopped after step "clip" failed');
    assert.equal(step('poster').phase, 'running', 'started steps are not skipped');
  });
});
