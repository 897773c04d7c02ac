/**
 * The pipeline's scheduling and billing rules, driven without Temporal: the tests play the workflow's
 * part (start what a pass launches, end children, settle them) and check the decisions.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { budgetLeftUsd, percentOf } from '../../src/pipelines/ledger';
import { planPipeline } from '../../src/pipelines/plan';
import { NO_EVIDENCE, type EndEvidence } from '../../src/pipelines/billing';
import {
  CURRENT_RULES,
  PipelineScheduler,
  SHIPPED_RULES,
  type ChildOutcome,
  type Launch,
  type Pass,
  type Rules,
} from '../../src/pipelines/scheduler';
import {
  applyBudgetSignal,
  applyChildProgress,
  applySpecBudget,
  checkBudgetRaise,
  initialState,
  progressOf,
  raiseBudgetTo,
} from '../../src/pipelines/state';
import { parsePipelineSpec, type PipelineSpecInput } from '../../src/pipelines/spec';
import { SCHEMAS } from '../helpers/techniques';

const IDS = { workflowId: 'wf', firstExecutionRunId: 'first-run' };
const NOW = '2026-01-01T00:00:00.000Z';
const LATER = '2026-01-01T00:00:05.000Z';

/** A scheduler over `spec`, and the workflow's side of the loop: children in flight, ended on demand. */
function pipeline(spec: PipelineSpecInput, rules: Rules = SHIPPED_RULES) {
  const parsed = parsePipelineSpec(spec);
  assert.ok(parsed.ok, JSON.stringify(parsed));
  const planned = planPipeline(parsed.spec, SCHEMAS);
  assert.ok(planned.ok, JSON.stringify(planned));
  const state = initialState(parsed.spec.name);
  state.budgetUsd = parsed.spec.budgetUsd;
  const scheduler = new PipelineScheduler(state, parsed.spec, planned.plan, IDS, rules);
  const inFlight = new Map<string, Launch>();
  const harness = {
    state,
    scheduler,
    inFlight,
    /** One scheduler pass; launched children count as in flight. */
    next(): Pass {
      const pass = scheduler.next(inFlight.size, NOW);
      for (const launch of pass.launches) inFlight.set(launch.run.workflowId, launch);
      return pass;
    },
    launched(pass: Pass): string[] {
      return pass.launches.map((l) => l.run.workflowId);
    },
    /** The child `wf/<step>/<index>` ends with `outcome`, and settles. */
    end(workflowId: string, outcome: ChildOutcome): void {
      const launch = inFlight.get(workflowId);
      assert.ok(launch, `${workflowId} is in flight`);
      scheduler.runEnded(launch.run, launch.step.id, outcome);
      scheduler.runSettled(launch.step, launch.run, LATER);
      inFlight.delete(workflowId);
    },
    complete(
      workflowId: string,
      urls: string[] = [`https://x.test/${workflowId}.png`],
      chargedCost?: number,
    ): void {
      const launch = inFlight.get(workflowId);
      assert.ok(launch);
      harness.end(workflowId, {
        kind: 'completed',
        runId: `run-${workflowId}`,
        polls: 3,
        outputs: urls.map((url, i) => ({
          outputId: launch.planned.technique.outputs[i]?.id ?? `o${i}`,
          type: 'imageUrl',
          url,
        })),
        chargedCost: chargedCost ?? launch.step.runCost,
      });
    },
    fail(workflowId: string, type: string, evidence: EndEvidence = NO_EVIDENCE): void {
      harness.end(workflowId, { kind: 'failed', error: { type, message: `${type} happened` }, evidence });
    },
    cancel(workflowId: string, evidence: EndEvidence = NO_EVIDENCE): void {
      harness.end(workflowId, {
        kind: 'cancelled',
        error: { type: 'cancelled', message: 'the run was cancelled' },
        evidence,
      });
    },
    step(id: string) {
      const step = state.steps.find((s) => s.id === id);
      assert.ok(step, id);
      return step;
    },
  };
  assert.equal(scheduler.upfrontBudget().kind, 'ok');
  scheduler.startRunning();
  return harness;
}

const chain: PipelineSpecInput = {
  name: 'chain',
  steps: [
    { id: 'poster', technique: 't2i', inputs: { prompt: 'fox' } },
    { id: 'clip', technique: 'i2v', inputs: { input_image: { fromStep: 'poster' } } },
  ],
};

describe('scheduler: launching', () => {
  test('steps start in plan order once their dependencies completed; the last pass says done', () => {
    const p = pipeline(chain);
    assert.deepEqual(
      p.state.steps.map((s) => [s.id, s.phase]),
      [
        ['poster', 'pending'],
        ['clip', 'pending'],
      ],
    );
    let pass = p.next();
    assert.deepEqual(p.launched(pass), ['wf/poster/0']);
    assert.equal(pass.stop, undefined);
    assert.equal(p.step('clip').phase, 'pending');
    assert.deepEqual(p.launched(p.next()), [], 'nothing new while the poster runs');
    p.complete('wf/poster/0', ['https://x.test/poster.png']);
    assert.equal(p.step('poster').phase, 'completed');
    assert.equal(p.step('poster').finishedAt, LATER);
    pass = p.next();
    assert.deepEqual(p.launched(pass), ['wf/clip/0']);
    assert.deepEqual(pass.launches[0]?.input.inputs, {
      input_image: { type: 'imageUrl', value: 'https://x.test/poster.png' },
    });
    p.complete('wf/clip/0');
    pass = p.next();
    assert.equal(pass.stop, 'done');
    const result = p.scheduler.result(p.scheduler.resultSteps(), 0, 5000);
    assert.equal(result.status, 'completed');
    assert.equal(p.state.phase, 'completed');
    assert.equal(result.ledger.chargedUsd, 0.29);
    assert.equal(result.ledger.reservedUsd, 0);
    assert.equal(result.timings.durationMs, 5000);
    assert.deepEqual(
      result.steps.poster?.outputs.map((o) => o.url),
      ['https://x.test/poster.png'],
    );
  });

  test('the child input: target, resolved inputs, one download directory per run, schema, where to report', () => {
    const p = pipeline({
      name: 'dl',
      options: { pollMinMs: 50, downloadTo: 'jobs' },
      steps: [
        {
          id: 'styles',
          technique: 'style',
          forEach: ['ink', 'oil'],
          inputs: { image: 'https://x.test/a.png', style: { item: true } },
        },
      ],
    });
    const launches = p.next().launches;
    assert.deepEqual(
      launches.map((l) => l.input),
      ['ink', 'oil'].map((style, index) => ({
        technique: 'style',
        inputs: { image: 'https://x.test/a.png', style },
        options: { pollMinMs: 50, downloadTo: `jobs/styles-${index}` },
        schema: SCHEMAS.style,
        reportTo: { workflowId: 'wf', step: 'styles', index },
      })),
    );
  });

  test('at most `concurrency` children in flight; the rest wait for a slot', () => {
    const p = pipeline({
      name: 'c',
      concurrency: 2,
      steps: [
        {
          id: 's',
          technique: 'style',
          forEach: ['a', 'b', 'c'],
          inputs: { image: 'https://x.test/a.png', style: { item: true } },
        },
      ],
    });
    assert.deepEqual(p.launched(p.next()), ['wf/s/0', 'wf/s/1']);
    assert.deepEqual(p.launched(p.next()), []);
    p.complete('wf/s/1');
    assert.deepEqual(p.launched(p.next()), ['wf/s/2']);
  });

  test('forEach over a step: one run per output of all its runs; over none, the step completes empty', () => {
    const p = pipeline({
      name: 'fan',
      steps: [
        { id: 'board', technique: 'board', inputs: { prompt: 'fox' } },
        {
          id: 'clips',
          technique: 'i2v',
          forEach: { fromStep: 'board' },
          inputs: { input_image: { item: true } },
        },
      ],
    });
    p.next();
    p.complete('wf/board/0', ['u1', 'u2']);
    const pass = p.next();
    assert.deepEqual(p.launched(pass), ['wf/clips/0', 'wf/clips/1']);
    assert.deepEqual(
      pass.launches.map((l) => l.run.item),
      ['u1', 'u2'],
    );
    assert.equal(p.state.plannedCostUsd, undefined, 'the price is not known up front');

    const empty = pipeline({
      name: 'fan-none',
      steps: [
        { id: 'board', technique: 'board', inputs: { prompt: 'fox' } },
        {
          id: 'clips',
          technique: 'i2v',
          forEach: { fromStep: 'board' },
          inputs: { input_image: { item: true } },
        },
      ],
    });
    empty.next();
    empty.complete('wf/board/0', []);
    const last = empty.next();
    assert.equal(empty.step('clips').phase, 'completed');
    assert.equal(empty.step('clips').runs.length, 0);
    assert.equal(last.stop, 'done');
  });

  test('an input that cannot be resolved fails the run before any child starts, and asks for another pass', () => {
    const p = pipeline({
      name: 'missing',
      onStepFailure: 'continue',
      steps: [
        { id: 'poster', technique: 't2i', inputs: { prompt: 'fox' } },
        { id: 'clip', technique: 'i2v', inputs: { input_image: { fromStep: 'poster' } } },
      ],
    });
    p.next();
    p.complete('wf/poster/0', []); // completed without outputs
    const pass = p.next();
    assert.deepEqual(pass.launches, []);
    assert.equal(pass.changed, true);
    const run = p.step('clip').runs[0];
    assert.equal(run?.phase, 'failed');
    assert.equal(run?.error?.type, 'step_failed');
    assert.match(run?.error?.message ?? '', /produced no output "image"/);
    assert.equal(run?.reservedUsd, 0, 'nothing was reserved');
    assert.equal(p.step('clip').phase, 'failed');
  });
});

describe('scheduler: billing', () => {
  const single: PipelineSpecInput = {
    name: 'one',
    onStepFailure: 'continue',
    steps: [{ id: 'clip', technique: 'i2v', inputs: { input_image: 'https://x.test/a.png' } }],
  };

  test('a launched run reserves its price; completing charges what FLORA charged and frees the reservation', () => {
    const p = pipeline(single);
    p.next();
    assert.equal(p.scheduler.ledger().reservedUsd, 0.25);
    p.complete('wf/clip/0', undefined, 0.2);
    const ledger = p.scheduler.ledger();
    assert.deepEqual([ledger.reservedUsd, ledger.chargedUsd], [0, 0.2]);
    assert.deepEqual(ledger.steps.clip, { reservedUsd: 0, chargedUsd: 0.2, runs: 1 });
  });

  for (const type of [
    'safety_blocked',
    'model_timeout',
    'invalid_request',
    'not_found',
    'insufficient_credits',
  ]) {
    test(`a ${type} failure proves nothing was billed: the reservation is freed`, () => {
      const p = pipeline(single);
      p.next();
      p.fail('wf/clip/0', type);
      assert.deepEqual([p.scheduler.ledger().reservedUsd, p.scheduler.ledger().chargedUsd], [0, 0]);
    });
  }

  for (const type of ['deadline_exceeded', 'idempotency_unresolved', 'internal_bug']) {
    test(`a ${type} failure may leave a billed run: the reservation stays`, () => {
      const p = pipeline(single);
      p.next();
      p.fail('wf/clip/0', type);
      assert.equal(p.scheduler.ledger().reservedUsd, 0.25);
    });
  }

  test('a cancelled child keeps its reservation (its FLORA run keeps going)', () => {
    const p = pipeline(single);
    p.next();
    p.cancel('wf/clip/0');
    assert.equal(p.step('clip').phase, 'cancelled');
    assert.equal(p.scheduler.ledger().reservedUsd, 0.25);
  });

  test('a download failure after a completed run counts as charged', () => {
    const p = pipeline(single);
    p.next();
    p.fail('wf/clip/0', 'download_http_error');
    assert.deepEqual([p.scheduler.ledger().reservedUsd, p.scheduler.ledger().chargedUsd], [0, 0.25]);
  });
});

describe('scheduler: budget', () => {
  test('up front: a plan over budget fails with `fail`, nothing launched', () => {
    const parsed = parsePipelineSpec({ ...chain, budgetUsd: 0.1 });
    assert.ok(parsed.ok);
    const planned = planPipeline(parsed.spec, SCHEMAS);
    assert.ok(planned.ok);
    const state = initialState('chain');
    state.budgetUsd = 0.1;
    const decision = new PipelineScheduler(state, parsed.spec, planned.plan, IDS).upfrontBudget();
    assert.equal(decision.kind, 'fail');
    assert.ok(decision.kind === 'fail');
    assert.equal(decision.failure.type, 'budget_exceeded');
    assert.match(
      decision.failure.message,
      /costs \$0\.29 for 2 runs, above budgetUsd \(\$0\.1\); nothing was created/,
    );
  });

  test('up front with `wait`: waits until a raise covers the plan', () => {
    const parsed = parsePipelineSpec({ ...chain, budgetUsd: 0.1, onBudgetExceeded: 'wait' });
    assert.ok(parsed.ok);
    const planned = planPipeline(parsed.spec, SCHEMAS);
    assert.ok(planned.ok);
    const state = initialState('chain');
    state.budgetUsd = 0.1;
    const scheduler = new PipelineScheduler(state, parsed.spec, planned.plan, IDS);
    assert.equal(scheduler.upfrontBudget().kind, 'wait');
    assert.equal(state.phase, 'waiting-budget');
    assert.match(state.note ?? '', /raiseBudget/);
    assert.equal(scheduler.budgetCoversPlan(), false);
    assert.equal(applyBudgetSignal(state, 0.29, false), undefined);
    assert.equal(scheduler.budgetCoversPlan(), true, '0.04 + 0.25 fits 0.29 exactly');
    scheduler.startRunning();
    assert.deepEqual([state.phase, state.note], ['running', undefined]);
  });

  const fan = (extra: Partial<PipelineSpecInput>): PipelineSpecInput => ({
    name: 'fan',
    concurrency: 1,
    ...extra,
    steps: [
      { id: 'board', technique: 'board', inputs: { prompt: 'fox' } },
      {
        id: 'clips',
        technique: 'i2v',
        forEach: { fromStep: 'board' },
        inputs: { input_image: { item: true } },
      },
    ],
  });

  test('mid-run with `fail`: a run the budget cannot cover stops the pipeline; started runs finish', () => {
    const p = pipeline(fan({ budgetUsd: 0.4 }));
    p.next();
    p.complete('wf/board/0', ['u1', 'u2']);
    assert.deepEqual(p.launched(p.next()), ['wf/clips/0']);
    p.complete('wf/clips/0');
    const pass = p.next();
    assert.deepEqual(pass.launches, []);
    assert.equal(pass.stop, 'budget');
    assert.deepEqual(p.scheduler.cancelOnStop(), { kind: 'none' });
    p.scheduler.skipUnreached();
    assert.equal(p.step('clips').phase, 'skipped');
    assert.equal(p.step('clips').skippedReason, 'the budget ran out');
    const failure = p.scheduler.failure();
    assert.equal(failure?.type, 'budget_exceeded');
    assert.match(
      failure?.message ?? '',
      /step "clips" needs \$0\.25 per run, but budgetUsd \$0\.4 has \$0\.03 left \(charged \$0\.37, reserved \$0\)/,
    );
  });

  test('reservations count against the budget: a second run waits while the first is in flight', () => {
    const p = pipeline(fan({ budgetUsd: 0.7, concurrency: 4, onBudgetExceeded: 'wait' }));
    p.next();
    p.complete('wf/board/0', ['u1', 'u2', 'u3']);
    assert.deepEqual(
      p.launched(p.next()),
      ['wf/clips/0', 'wf/clips/1'],
      '0.12 + 2 × 0.25 ≤ 0.7 < 0.12 + 3 × 0.25',
    );
    assert.equal(budgetLeftUsd(p.state.steps, p.state.budgetUsd).toFixed(2), '0.08');
    assert.equal(p.state.phase, 'waiting-budget');
    assert.equal(p.step('clips').phase, 'waiting-budget');
  });

  test('mid-run with `wait`: waits with a note; a raise lets the run start', () => {
    const p = pipeline(fan({ budgetUsd: 0.4, onBudgetExceeded: 'wait' }));
    p.next();
    p.complete('wf/board/0', ['u1', 'u2']);
    p.next();
    p.complete('wf/clips/0');
    const pass = p.next();
    assert.equal(pass.stop, undefined);
    assert.equal(p.state.phase, 'waiting-budget');
    assert.match(
      p.state.note ?? '',
      /step "clips" needs \$0\.25 per run.*waiting for the raiseBudget signal/,
    );
    assert.equal(applyBudgetSignal(p.state, 1, false), undefined);
    assert.deepEqual(p.launched(p.next()), ['wf/clips/1']);
    assert.deepEqual([p.state.phase, p.state.note, p.step('clips').phase], ['running', undefined, 'running']);
  });

  test('the raiseBudget signal accepts only a non-negative finite number', () => {
    const state = initialState('x');
    for (const bad of [-1, Number.NaN, Infinity, '5', undefined])
      assert.notEqual(applyBudgetSignal(state, bad, false), undefined);
    assert.equal(state.budgetUsd, undefined);
    assert.equal(applyBudgetSignal(state, 0, false), undefined);
    assert.equal(state.budgetUsd, 0);
  });
});

describe('scheduler: failures and cancellation', () => {
  const three: PipelineSpecInput = {
    name: 'three',
    steps: [
      { id: 'doomed', technique: 't2i', inputs: { prompt: 'fox' } },
      { id: 'slow', technique: 'i2v', inputs: { input_image: 'https://x.test/a.png' } },
      { id: 'after', technique: 'i2v', inputs: { input_image: { fromStep: 'doomed' } } },
      { id: 'last', technique: 'cap', inputs: { video: { fromStep: 'after' } } },
    ],
  };

  test('fail-fast: the next pass stops, running children are cancelled, the rest skipped; the failure names the step', () => {
    const p = pipeline(three);
    assert.deepEqual(p.launched(p.next()), ['wf/doomed/0', 'wf/slow/0']);
    p.fail('wf/doomed/0', 'safety_blocked');
    const pass = p.next();
    assert.deepEqual([pass.stop, pass.launches.length], ['fail-fast', 0]);
    assert.deepEqual(p.scheduler.cancelOnStop(), { kind: 'all' });
    assert.match(p.state.note ?? '', /step "doomed" failed: cancelling running steps/);
    p.cancel('wf/slow/0');
    p.scheduler.skipUnreached();
    assert.deepEqual(
      p.state.steps.map((s) => [s.id, s.phase, s.skippedReason]),
      [
        ['doomed', 'failed', undefined],
        ['slow', 'cancelled', undefined],
        ['after', 'skipped', 'the pipeline stopped after step "doomed" failed'],
        ['last', 'skipped', 'the pipeline stopped after step "doomed" failed'],
      ],
    );
    const failure = p.scheduler.failure();
    assert.equal(failure?.type, 'safety_blocked');
    assert.equal(failure?.message, 'Step "doomed" (run 0) failed: safety_blocked happened');
    assert.deepEqual(Object.keys(failure?.details[0] ?? {}), ['step', 'index', 'ledger', 'steps']);
  });

  test('continue: dependants are skipped transitively with the reason, the others run, the result is partial', () => {
    const p = pipeline({ ...three, onStepFailure: 'continue' });
    p.next();
    p.fail('wf/doomed/0', 'safety_blocked');
    p.complete('wf/slow/0');
    const pass = p.next();
    assert.equal(pass.stop, 'done');
    assert.equal(p.step('after').skippedReason, 'depends on step "doomed", which failed');
    assert.equal(p.step('last').skippedReason, 'depends on step "after", which was skipped');
    assert.equal(p.scheduler.failure(), undefined);
    const result = p.scheduler.result(p.scheduler.resultSteps(), 0, 1);
    assert.equal(result.status, 'partial');
    assert.equal(p.state.phase, 'partial');
    assert.deepEqual(
      result.skipped.map((s) => s.step),
      ['after', 'last'],
    );
  });

  test('a cancelled pipeline: running children end cancelled, steps never started are cancelled', () => {
    const p = pipeline(three);
    p.next();
    p.scheduler.cancelling();
    assert.equal(p.state.phase, 'cancelled');
    assert.match(p.state.note ?? '', /keep going at FLORA/);
    for (const id of ['wf/doomed/0', 'wf/slow/0']) p.cancel(id);
    p.scheduler.cancelUnstarted();
    assert.deepEqual(
      p.state.steps.map((s) => s.phase),
      ['cancelled', 'cancelled', 'cancelled', 'cancelled'],
    );
  });
});

describe('scheduler: progress', () => {
  test('child progress: monotonic while running; the run id is kept even after the run ended', () => {
    const p = pipeline(chain);
    p.next();
    applyChildProgress(p.state, {
      step: 'poster',
      index: 0,
      phase: 'polling',
      runId: 'r1',
      progress: 40,
      polls: 2,
    });
    applyChildProgress(p.state, {
      step: 'poster',
      index: 0,
      phase: 'polling',
      runId: undefined,
      progress: 30,
      polls: 1,
    });
    const run = p.step('poster').runs[0];
    assert.deepEqual([run?.runId, run?.progress, run?.polls, run?.detail], ['r1', 40, 2, 'polling']);
    assert.equal(percentOf(p.state.steps), 20, 'one of two steps at 40 %');
    applyChildProgress(p.state, {
      step: 'nope',
      index: 0,
      phase: 'polling',
      runId: 'x',
      progress: 1,
      polls: 1,
    });
    p.cancel('wf/poster/0');
    applyChildProgress(p.state, {
      step: 'poster',
      index: 0,
      phase: 'polling',
      runId: 'r2',
      progress: 90,
      polls: 9,
    });
    assert.deepEqual([run?.runId, run?.progress], ['r2', 40]);
    const progress = progressOf(p.state, 'wf');
    assert.equal(progress.workflowId, 'wf');
    assert.equal(progress.ledger.reservedUsd, 0.04);
    assert.notEqual(progress.steps[0], p.state.steps[0], 'the query returns a copy');
  });
});

describe('issue 9 rules (new histories)', () => {
  const single: PipelineSpecInput = {
    name: 'one',
    onStepFailure: 'continue',
    steps: [{ id: 'clip', technique: 'i2v', inputs: { input_image: 'https://x.test/a.png' } }],
  };
  const evidence = (mayBeBilled: boolean | undefined, runId?: string): EndEvidence => ({
    mayBeBilled,
    runId,
    runIds: runId ? [runId] : [],
  });

  test("child keys: from the pipeline's first execution, step and index; none on the shipped rule", () => {
    const p = pipeline(
      {
        name: 'k',
        steps: [
          {
            id: 's',
            technique: 'style',
            forEach: ['a', 'b'],
            inputs: { image: 'https://x.test/a.png', style: { item: true } },
          },
        ],
      },
      CURRENT_RULES,
    );
    assert.deepEqual(
      p.next().launches.map((l) => l.input.options?.idempotencyKey),
      ['first-run-s-0', 'first-run-s-1'],
    );
    const old = pipeline(single);
    assert.equal(old.next().launches[0]?.input.options?.idempotencyKey, undefined);
  });

  test('a reservation is freed only when the child proves nothing was billed, whatever the failure type', () => {
    const cases: [string, EndEvidence, number][] = [
      ['safety_blocked', evidence(false, 'r1'), 0],
      ['not_found', evidence(true, 'r1'), 0.25], // a poll 404 after a create: may be billed
      ['unauthorized', evidence(true, 'r1'), 0.25],
      ['invalid_request', evidence(false), 0],
      ['safety_blocked', NO_EVIDENCE, 0.25], // a child that says nothing proves nothing
      ['download_http_error', evidence(true, 'r1'), 0.25],
    ];
    for (const [type, ev, reserved] of cases) {
      const p = pipeline(single, CURRENT_RULES);
      p.next();
      p.fail('wf/clip/0', type, ev);
      const ledger = p.scheduler.ledger();
      assert.deepEqual(
        [ledger.reservedUsd, ledger.chargedUsd],
        [reserved, 0],
        `${type} ${JSON.stringify(ev)}`,
      );
      if (ev.runId)
        assert.equal(p.step('clip').runs[0]?.runId, ev.runId, 'the run id from the details is kept');
    }
  });

  test('a child cancelled before its create frees its reservation; one cancelled after keeps it', () => {
    const before = pipeline(single, CURRENT_RULES);
    before.next();
    before.cancel('wf/clip/0', evidence(false));
    assert.equal(before.scheduler.ledger().reservedUsd, 0);
    const after = pipeline(single, CURRENT_RULES);
    after.next();
    after.cancel('wf/clip/0', evidence(true, 'r9'));
    assert.equal(after.scheduler.ledger().reservedUsd, 0.25);
    assert.equal(after.step('clip').runs[0]?.runId, 'r9');
  });

  test('a completed child whose download failed is completed and charged; its dependants run', () => {
    const p = pipeline(chain, CURRENT_RULES);
    p.next();
    p.end('wf/poster/0', {
      kind: 'completed',
      runId: 'r1',
      polls: 2,
      outputs: [{ outputId: 'image', type: 'imageUrl', url: 'https://x.test/p.png' }],
      chargedCost: 0.04,
      downloadError: { type: 'download_http_error', message: 'HTTP 404' },
    });
    assert.equal(p.step('poster').phase, 'completed');
    assert.deepEqual(p.step('poster').runs[0]?.downloadError, {
      type: 'download_http_error',
      message: 'HTTP 404',
    });
    assert.deepEqual([p.scheduler.ledger().chargedUsd, p.scheduler.ledger().reservedUsd], [0.04, 0]);
    assert.deepEqual(p.launched(p.next()), ['wf/clip/0']);
  });

  const fan = (budgetUsd: number): PipelineSpecInput => ({
    name: 'fan',
    budgetUsd,
    concurrency: 4,
    onStepFailure: 'continue',
    steps: [
      { id: 'board', technique: 'board', inputs: { prompt: 'fox' } },
      {
        id: 'clips',
        technique: 'i2v',
        forEach: { fromStep: 'board' },
        inputs: { input_image: { item: true } },
      },
    ],
  });

  test('budget `fail` waits while runs in flight could free room, and decides once they ended', () => {
    const p = pipeline(fan(0.7), CURRENT_RULES);
    p.next();
    p.complete('wf/board/0', ['u1', 'u2', 'u3']);
    let pass = p.next();
    assert.deepEqual(p.launched(pass), ['wf/clips/0', 'wf/clips/1']);
    assert.equal(pass.stop, undefined, 'two runs in flight hold $0.50 that may be freed');
    assert.equal(p.state.phase, 'waiting-budget');
    assert.match(p.state.note ?? '', /waiting for the runs in flight to end before deciding/);
    p.fail('wf/clips/0', 'safety_blocked', evidence(false, 'r0')); // freed: room for the third clip
    pass = p.next();
    assert.deepEqual(p.launched(pass), ['wf/clips/2']);
    p.complete('wf/clips/1');
    p.complete('wf/clips/2');
    assert.equal(p.next().stop, 'done');
  });

  test('budget `fail` fails at once when charged spend alone proves the budget short', () => {
    const p = pipeline(fan(0.3), CURRENT_RULES);
    p.next();
    p.complete('wf/board/0', ['u1', 'u2']);
    const pass = p.next();
    assert.deepEqual(p.launched(pass), []);
    assert.equal(pass.stop, 'budget', '0.12 charged + 0.25 > 0.3');
  });

  test('budget `fail` with nothing in flight fails, even when a raise could help', () => {
    const p = pipeline(fan(0.45), CURRENT_RULES);
    p.next();
    p.complete('wf/board/0', ['u1', 'u2']);
    p.next();
    p.complete('wf/clips/0');
    assert.equal(p.next().stop, 'budget');
  });

  test('fail-fast cancels only children without a FLORA run; the others finish and their outputs are in the failure', () => {
    const p = pipeline(
      {
        name: 'ff',
        steps: [
          { id: 'doomed', technique: 't2i', inputs: { prompt: 'fox' } },
          { id: 'paid', technique: 'i2v', inputs: { input_image: 'https://x.test/a.png' } },
          { id: 'unpaid', technique: 'i2v', inputs: { input_image: 'https://x.test/b.png' } },
        ],
      },
      CURRENT_RULES,
    );
    p.next();
    applyChildProgress(p.state, {
      step: 'paid',
      index: 0,
      phase: 'polling',
      runId: 'r-paid',
      progress: 10,
      polls: 1,
    });
    p.fail('wf/doomed/0', 'safety_blocked', evidence(false, 'r-doomed'));
    assert.equal(p.next().stop, 'fail-fast');
    const cancel = p.scheduler.cancelOnStop();
    assert.equal(cancel.kind, 'unpaid');
    assert.ok(cancel.kind === 'unpaid');
    assert.deepEqual(
      cancel.runs.map((r) => r.workflowId),
      ['wf/unpaid/0'],
    );
    assert.match(
      p.state.note ?? '',
      /cancelling 1 run\(s\) not yet created at FLORA; 1 run\(s\) FLORA already has finish/,
    );
    p.cancel('wf/unpaid/0', evidence(false));
    p.complete('wf/paid/0', ['https://x.test/paid.mp4']);
    p.scheduler.skipUnreached();
    const failure = p.scheduler.failure();
    assert.equal(failure?.type, 'safety_blocked');
    const details = failure?.details[0];
    assert.ok(typeof details === 'object' && details !== null && 'steps' in details);
    const steps = details.steps as Record<string, { status: string; outputs: { url: string }[] }>;
    assert.equal(steps.paid?.status, 'completed');
    assert.deepEqual(
      steps.paid?.outputs.map((o) => o.url),
      ['https://x.test/paid.mp4'],
    );
    assert.equal(p.scheduler.ledger().reservedUsd, 0, 'the unpaid child proved nothing was billed');
  });
});

describe('raiseBudget rules', () => {
  test("the signal (new histories) never lowers, and one sent with the start survives the spec's budget", () => {
    const state = initialState('x');
    assert.equal(applyBudgetSignal(state, 5, true), undefined, 'before the spec: kept');
    applySpecBudget(state, 1);
    assert.equal(state.budgetUsd, 5);
    assert.match(applyBudgetSignal(state, 2, true) ?? '', /never lowers/);
    assert.equal(state.budgetUsd, 5);
    assert.equal(applyBudgetSignal(state, 7, true), undefined);
    assert.equal(state.budgetUsd, 7);
    const old = initialState('x');
    applyBudgetSignal(old, 5, false);
    applySpecBudget(old, 1);
    assert.equal(old.budgetUsd, 1, 'histories from before: the spec overwrote a raise sent with the start');
  });

  test("the update's validator refuses lower, negative, non-finite values and pipelines without a budget", () => {
    const state = initialState('x');
    state.phase = 'running';
    assert.match(checkBudgetRaise(state, 5) ?? '', /no budgetUsd/);
    applySpecBudget(state, 1);
    for (const bad of [-1, Number.NaN, Infinity, '2'])
      assert.match(checkBudgetRaise(state, bad) ?? '', /finite number/, String(bad));
    assert.match(
      checkBudgetRaise(state, 0.5) ?? '',
      /cannot lower the budget: \$0\.5 is below the current budgetUsd \$1/,
    );
    assert.equal(checkBudgetRaise(state, 1), undefined, 'the same value is accepted');
    assert.equal(checkBudgetRaise(state, 3), undefined);
    raiseBudgetTo(state, 3);
    assert.equal(state.budgetUsd, 3);
  });
});

describe('scheduler: batches (continue-as-new between them)', () => {
  const frames: PipelineSpecInput = {
    name: 'frames',
    budgetUsd: 1,
    onStepFailure: 'continue',
    concurrency: 2,
    steps: [
      { id: 'board', technique: 'board', inputs: { prompt: 'fox' } },
      {
        id: 'styles',
        technique: 'style',
        forEach: { fromStep: 'board' },
        inputs: { image: { item: true }, style: 'ink' },
      },
      {
        id: 'frames',
        technique: 't2i',
        forEach: ['a', 'b', 'c', 'd', 'e'],
        inputs: { prompt: { item: true } },
      },
    ],
  };

  test('ended runs fold into sums; the next execution launches the rest under the same ids and keys', () => {
    const p = pipeline(frames, CURRENT_RULES);
    assert.deepEqual(p.launched(p.next()), ['wf/board/0', 'wf/frames/0']);
    assert.equal(
      p.scheduler.carry(() => true),
      undefined,
      'nothing is carried while runs are in flight',
    );
    p.complete('wf/board/0', ['https://x.test/f1.png', 'https://x.test/f2.png']);
    p.fail('wf/frames/0', 'safety_blocked', { mayBeBilled: false, runId: undefined, runIds: [] });
    // The batch is full: launch nothing more, carry once nothing is in flight.
    assert.deepEqual(p.scheduler.next(0, NOW, false).launches, []);
    const carried = p.scheduler.carry(() => true);
    assert.ok(carried);
    const board = carried.steps.find((s) => s.id === 'board');
    assert.deepEqual(
      board?.earlier.outputs?.flat().map((o) => o.url),
      ['https://x.test/f1.png', 'https://x.test/f2.png'],
    );
    const carriedFrames = carried.steps.find((s) => s.id === 'frames');
    assert.equal(carriedFrames?.earlier.count, 1);
    assert.equal(carriedFrames?.earlier.failures[0]?.error?.type, 'safety_blocked');
    assert.equal(carriedFrames?.earlier.outputs, undefined, 'no later step reads frames: no outputs carried');

    // The next execution: same plan, the carried state restored.
    const q = pipeline(frames, CURRENT_RULES);
    q.scheduler.restore(JSON.parse(JSON.stringify(carried)) as typeof carried, NOW);
    // Plan order is board, frames, styles: the frames left come first, two at a time.
    const rest = q.next();
    assert.deepEqual(q.launched(rest), ['wf/frames/1', 'wf/frames/2']);
    assert.equal(rest.launches[0]?.input.options?.idempotencyKey, 'first-run-frames-1');
    assert.equal(rest.launches[0]?.input.reportTo?.index, 1);
    // The ledger counts the earlier execution's charges; the step's runs include the earlier ones.
    const ledger = q.scheduler.ledger();
    assert.equal(ledger.steps.board?.chargedUsd, 0.12);
    assert.equal(ledger.steps.frames?.runs, 5);
    for (const id of ['wf/frames/1', 'wf/frames/2']) q.complete(id);
    assert.deepEqual(q.launched(q.next()), ['wf/frames/3', 'wf/frames/4']);
    for (const id of ['wf/frames/3', 'wf/frames/4']) q.complete(id);
    // The styles read the board's outputs, carried from the earlier execution.
    const styles = q.next();
    assert.deepEqual(q.launched(styles), ['wf/styles/0', 'wf/styles/1']);
    assert.deepEqual(
      styles.launches.map((l) => l.input.inputs.image),
      ['https://x.test/f1.png', 'https://x.test/f2.png'],
    );
    for (const id of ['wf/styles/0', 'wf/styles/1']) q.complete(id);
    const last = q.next();
    assert.equal(last.stop, 'done');
    const result = q.scheduler.result(q.scheduler.resultSteps(), 0, 1, 2);
    assert.equal(result.status, 'partial', 'a frame failed');
    assert.equal(result.executions, 2);
    assert.deepEqual(result.steps.frames?.counts, {
      total: 5,
      pending: 0,
      running: 0,
      completed: 4,
      failed: 1,
      cancelled: 0,
    });
    assert.equal(result.steps.frames?.status, 'failed');
    assert.equal(result.steps.frames?.runsListed, 'none');
    assert.equal(result.steps.frames?.failures?.[0]?.workflowId, 'wf/frames/0');
    assert.equal(result.ledger.chargedUsd, 0.34);
  });

  test('the progress query lists every run of a small pipeline, only the running ones of a large one', () => {
    const big = pipeline(
      {
        name: 'big',
        concurrency: 3,
        steps: [
          {
            id: 'frames',
            technique: 't2i',
            forEach: Array.from({ length: 150 }, (_, i) => `f${i}`),
            inputs: { prompt: { item: true } },
          },
        ],
      },
      CURRENT_RULES,
    );
    big.next();
    const progress = progressOf(big.state, 'wf');
    const step = progress.steps[0];
    assert.equal(step?.runsListed, 'running');
    assert.equal(step?.runs.length, 3);
    assert.deepEqual(step?.counts, {
      total: 150,
      pending: 147,
      running: 3,
      completed: 0,
      failed: 0,
      cancelled: 0,
    });
    assert.ok(!('earlier' in (step ?? {})));
    const small = pipeline(chain, CURRENT_RULES);
    small.next();
    assert.equal(progressOf(small.state, 'wf').steps[0]?.runsListed, 'all');
  });
});
