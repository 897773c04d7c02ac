/**
 * A resumed pipeline's reuse rules, without Temporal: which steps are offered for reuse and when, what the
 * output check does to an offer, how reused runs show in the ledger and the budget, and how the workflow
 * reads a malformed `reuse` input.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ledgerOf } from '../../src/pipelines/ledger';
import { planPipeline } from '../../src/pipelines/plan';
import { parseReuse } from '../../src/pipelines/reuse';
import { CURRENT_RULES, PipelineScheduler, type ReuseCheck } from '../../src/pipelines/scheduler';
import { parsePipelineSpec, type PipelineSpecInput } from '../../src/pipelines/spec';
import { initialState } from '../../src/pipelines/state';
import type { PipelineReuse } from '../../src/pipelines/wire';
import { SCHEMAS } from '../helpers/techniques';

const NOW = '2026-01-01T00:00:00.000Z';
const CHAIN: PipelineSpecInput = {
  name: 'chain',
  budgetUsd: 0.3,
  steps: [
    { id: 'poster', technique: 't2i', inputs: { prompt: 'fox' } },
    { id: 'styled', technique: 'style', inputs: { image: { fromStep: 'poster' }, style: 'ink' } },
    { id: 'clip', technique: 'i2v', inputs: { input_image: { fromStep: 'styled' } } },
  ],
};
const img = (id: string) => [
  { outputId: 'image', type: 'imageUrl', url: `https://files.example.com/${id}.png` },
];
const REUSE: PipelineReuse = {
  from: { workflowId: 'wf', runId: 'earlier' },
  steps: {
    poster: [{ index: 0, runId: 'run_poster', outputs: img('poster'), chargedUsd: 0.04 }],
    styled: [
      {
        index: 0,
        runId: 'run_styled',
        outputs: img('styled'),
        chargedUsd: 0.03,
        localFiles: [{ outputId: 'image', file: 'out/styled-0/image.png' }],
      },
    ],
  },
};
const LIVE: ReuseCheck = { expired: [], localFiles: [] };
const EXPIRED = (id: string): ReuseCheck => ({
  expired: [{ outputId: 'image', url: `https://files.example.com/${id}.png`, problem: 'HTTP 410 Gone' }],
  localFiles: [],
});

function resumed(reuse: PipelineReuse | null = REUSE) {
  const parsed = parsePipelineSpec(CHAIN);
  assert.ok(parsed.ok);
  const planned = planPipeline(parsed.spec, SCHEMAS);
  assert.ok(planned.ok);
  const state = initialState('chain');
  state.budgetUsd = parsed.spec.budgetUsd;
  const ids = { workflowId: 'wf', firstExecutionRunId: 'second' };
  return {
    state,
    scheduler: new PipelineScheduler(
      state,
      parsed.spec,
      planned.plan,
      ids,
      CURRENT_RULES,
      reuse ?? undefined,
    ),
  };
}

describe('a resumed pipeline takes the runs an earlier execution paid for', () => {
  test('the upfront check counts only the runs left to create', () => {
    // The whole plan ($0.32) is above the $0.30 budget; the runs left ($0.25) are not.
    assert.equal(resumed(null).scheduler.upfrontBudget().kind, 'fail');
    const { scheduler, state } = resumed();
    assert.equal(scheduler.upfrontBudget().kind, 'ok');
    assert.equal(state.plannedCostUsd, 0.25);
  });

  test('steps are offered in order, once their dependencies are in; reused runs charge nothing here', () => {
    const { scheduler } = resumed();
    scheduler.upfrontBudget();
    scheduler.startRunning();
    const first = scheduler.reuseOffers();
    assert.deepEqual(
      first.map((o) => o.step.id),
      ['poster'],
      'styled waits for poster',
    );
    scheduler.takeReuse(first, [[LIVE]], NOW);
    const second = scheduler.reuseOffers();
    assert.deepEqual(
      second.map((o) => o.step.id),
      ['styled'],
    );
    scheduler.takeReuse(second, [[LIVE]], NOW);
    assert.deepEqual(scheduler.reuseOffers(), [], 'clip was never offered');
    const pass = scheduler.next(0, NOW);
    assert.deepEqual(
      pass.launches.map((l) => l.step.id),
      ['clip'],
      'only what is left runs',
    );
    assert.deepEqual(pass.launches[0]?.input.inputs.input_image, {
      type: 'imageUrl',
      value: 'https://files.example.com/styled.png',
    });
    const ledger = scheduler.ledger();
    assert.equal(ledger.chargedUsd, 0);
    assert.equal(ledger.reusedUsd, 0.07);
    assert.equal(ledger.reservedUsd, 0.25);
    assert.deepEqual(ledger.steps.poster, { reservedUsd: 0, chargedUsd: 0, runs: 1, reusedUsd: 0.04 });
    const poster = scheduler.resultSteps().poster;
    assert.equal(poster?.status, 'completed');
    assert.deepEqual(poster?.runs[0]?.reused, {
      workflowId: 'wf',
      workflowRunId: 'earlier',
      chargedUsd: 0.04,
    });
    assert.equal(poster?.runs[0]?.runId, 'run_poster');
  });

  test('an expired output without a saved copy runs again, and what reads it is not offered', () => {
    const { scheduler } = resumed();
    scheduler.upfrontBudget();
    scheduler.startRunning();
    scheduler.takeReuse(scheduler.reuseOffers(), [[EXPIRED('poster')]], NOW);
    const pass = scheduler.next(0, NOW);
    assert.deepEqual(
      pass.launches.map((l) => l.step.id),
      ['poster'],
    );
    const run = scheduler.state.steps[0]?.runs[0];
    assert.equal(run?.reused, undefined);
    assert.match(
      run?.notReused ?? '',
      /output "image" \(https:\/\/files.example.com\/poster.png\) HTTP 410 Gone/,
    );
    assert.match(run?.notReused ?? '', /runs again and is billed/);
    scheduler.runEnded(run!, 'poster', {
      kind: 'completed',
      runId: 'run_new',
      polls: 1,
      outputs: img('new'),
      chargedCost: 0.04,
    });
    scheduler.runSettled(scheduler.state.steps[0]!, run!, NOW);
    assert.deepEqual(scheduler.reuseOffers(), [], 'styled read the old poster: it runs again');
    assert.deepEqual(
      scheduler.next(0, NOW).launches.map((l) => l.step.id),
      ['styled'],
    );
  });

  test('an expired output with a saved copy is taken, and the report names both', () => {
    const { scheduler } = resumed();
    scheduler.upfrontBudget();
    scheduler.startRunning();
    scheduler.takeReuse(scheduler.reuseOffers(), [[LIVE]], NOW);
    const saved = { outputId: 'image', file: 'out/styled-0/image.png' };
    scheduler.takeReuse(scheduler.reuseOffers(), [[{ ...EXPIRED('styled'), localFiles: [saved] }]], NOW);
    const reused = scheduler.state.steps[1]?.runs[0]?.reused;
    assert.equal(reused?.expired?.[0]?.problem, 'HTTP 410 Gone');
    assert.deepEqual(reused?.localFiles, [saved]);
  });

  test('declined (a history from before resumes): every step runs', () => {
    const { scheduler } = resumed();
    scheduler.startRunning();
    scheduler.declineReuse(scheduler.reuseOffers());
    assert.deepEqual(
      scheduler.next(0, NOW).launches.map((l) => l.step.id),
      ['poster'],
    );
  });

  test('reused runs folded into `earlier` by a continue-as-new still count in the ledger’s reusedUsd', () => {
    const { scheduler, state } = resumed();
    scheduler.upfrontBudget();
    scheduler.startRunning();
    scheduler.takeReuse(scheduler.reuseOffers(), [[LIVE]], NOW);
    scheduler.takeReuse(scheduler.reuseOffers(), [[LIVE]], NOW);
    assert.equal(ledgerOf(state.steps, 0.3, undefined).reusedUsd, 0.07);
    // What the next execution starts from: the reused runs are in `earlier`, none in `runs`.
    const carried = scheduler.carry(() => true);
    assert.ok(carried);
    const next = resumed();
    next.scheduler.restore(carried, NOW);
    const ledger = ledgerOf(next.state.steps, 0.3, undefined);
    assert.equal(ledger.steps.poster?.reusedUsd, 0.04);
    assert.equal(ledger.reusedUsd, 0.07, 'poster $0.04 + styled $0.03, after the continue-as-new too');
  });
});

describe('the workflow reads `reuse` defensively', () => {
  test('malformed runs are dropped, well-formed ones kept', () => {
    const parsed = parseReuse({
      from: { workflowId: 'wf', runId: 'r' },
      steps: {
        a: [
          { index: 0, runId: 'run_a', outputs: img('a'), chargedUsd: 0.04 },
          { index: 0, runId: 'dup', outputs: [], chargedUsd: 0 },
          { index: -1, runId: 'x', outputs: [], chargedUsd: 0 },
          { index: 1, runId: 'x', outputs: [{ url: 1 }], chargedUsd: 0 },
          { index: 2, runId: 'x', outputs: [], chargedUsd: Number.NaN },
        ],
        b: 'nope',
      },
    });
    assert.deepEqual(parsed?.steps, {
      a: [{ index: 0, runId: 'run_a', outputs: img('a'), chargedUsd: 0.04 }],
    });
    assert.equal(parseReuse({ steps: {} }), undefined);
    assert.equal(parseReuse(undefined), undefined);
  });
});
