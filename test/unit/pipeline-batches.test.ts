/**
 * Batches (src/pipelines/batches.ts): when an execution stops launching, when it continues as new, what
 * it hands the next one, and what happens when that state is too large to carry. Driven as the workflow
 * drives them, without Temporal.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  Batch,
  batchFull,
  nextExecutionInput,
  runsPerExecutionOf,
  schemasOf,
  type HistoryFacts,
} from '../../src/pipelines/batches';
import { PipelineLimits } from '../../src/pipelines/limits';
import { planPipeline } from '../../src/pipelines/plan';
import { CURRENT_RULES, PipelineScheduler, type Launch } from '../../src/pipelines/scheduler';
import { parsePipelineSpec, type PipelineSpecInput } from '../../src/pipelines/spec';
import { initialState } from '../../src/pipelines/state';
import type { RunPipelineWireInput } from '../../src/pipelines/wire';
import { SCHEMAS } from '../helpers/techniques';

const NOW = '2026-01-01T00:00:00.000Z';
const SHORT: HistoryFacts = { historyLength: 10, continueAsNewSuggested: false };
const yes = () => true;

describe('runsPerExecutionOf (continue-as-new sizing)', () => {
  test("the input's positive number, rounded down; anything else is the default", () => {
    assert.equal(runsPerExecutionOf({ runsPerExecution: 3 }), 3);
    assert.equal(runsPerExecutionOf({ runsPerExecution: 2.9 }), 2);
    assert.equal(runsPerExecutionOf({ runsPerExecution: 1 }), 1);
    for (const bad of [0, 0.5, -4, Number.NaN, Number.POSITIVE_INFINITY, '7', null, undefined])
      assert.equal(
        runsPerExecutionOf({ runsPerExecution: bad }),
        PipelineLimits.runsPerExecution,
        String(bad),
      );
    assert.equal(runsPerExecutionOf(undefined), 500);
    assert.equal(runsPerExecutionOf({}), 500);
  });
});

describe('batchFull', () => {
  test('full once it launched its runs, its history reached the limit, or Temporal suggests continuing', () => {
    assert.equal(batchFull(2, 3, SHORT), false);
    assert.equal(batchFull(3, 3, SHORT), true);
    assert.equal(batchFull(4, 3, SHORT), true);
    assert.equal(batchFull(0, 3, { historyLength: 7_999, continueAsNewSuggested: false }), false);
    assert.equal(batchFull(0, 3, { historyLength: 8_000, continueAsNewSuggested: false }), true);
    assert.equal(batchFull(0, 3, { historyLength: 10, continueAsNewSuggested: true }), true);
  });
});

describe('Batch', () => {
  test('launches until full; then launches nothing and continues as new once no run is in flight', () => {
    const batch = new Batch(2);
    assert.equal(batch.launching(SHORT, yes), true);
    batch.counted(1);
    assert.equal(batch.launching(SHORT, yes), true);
    assert.equal(batch.dueToContinue(0), false);
    batch.counted(1);
    assert.equal(batch.launching(SHORT, yes), false);
    assert.equal(batch.dueToContinue(1), false, 'a run is still in flight');
    assert.equal(batch.dueToContinue(0), true);
    // Once full it stays full, even if the facts would say otherwise.
    assert.equal(batch.launching(SHORT, yes), false);
  });

  test('the rule is asked only when the batch is full and not yet rotating; a history from before never rotates', () => {
    let asked = 0;
    const before = () => {
      asked += 1;
      return false;
    };
    const batch = new Batch(1);
    assert.equal(batch.launching(SHORT, before), true);
    assert.equal(asked, 0, 'not full: the rule (a patched() marker) is not asked');
    batch.counted(5);
    assert.equal(batch.launching(SHORT, before), true, 'the old rule: it keeps launching');
    assert.equal(asked, 1);
    assert.equal(batch.dueToContinue(0), false);

    let askedNow = 0;
    const now = () => {
      askedNow += 1;
      return true;
    };
    const rotating = new Batch(1);
    rotating.counted(1);
    assert.equal(rotating.launching(SHORT, now), false);
    assert.equal(rotating.launching(SHORT, now), false);
    assert.equal(askedNow, 1, 'asked once, when it became full');
  });

  test('carry refused: the execution launches again, to the end, never asking to rotate again', () => {
    let asked = 0;
    const rule = () => {
      asked += 1;
      return true;
    };
    const batch = new Batch(1);
    batch.counted(1);
    assert.equal(batch.launching(SHORT, rule), false);
    assert.equal(batch.dueToContinue(0), true);
    batch.refuseCarry();
    assert.equal(batch.dueToContinue(0), false);
    const full: HistoryFacts = { historyLength: 9_000, continueAsNewSuggested: true };
    for (let i = 0; i < 3; i += 1) {
      assert.equal(batch.launching(full, rule), true);
      batch.counted(1);
      assert.equal(batch.dueToContinue(0), false);
    }
    assert.equal(asked, 1);
  });
});

describe('nextExecutionInput', () => {
  const input: RunPipelineWireInput = { spec: { name: 'p', steps: [] } };
  const facts = {
    firstExecutionRunId: 'first-run',
    startedAtMs: 5,
    executions: 1,
    budgetUsd: 2,
    raisedUsd: undefined,
    schemas: {},
  };
  const carried = { steps: [], firstFailure: undefined };

  test("the input as it was, plus what this execution hands on, the facts' fields first", () => {
    const next = nextExecutionInput(input, carried, facts);
    assert.deepEqual(next, { ...input, continued: { ...facts, ...carried } });
    assert.deepEqual(Object.keys(next?.continued ?? {}), [
      'firstExecutionRunId',
      'startedAtMs',
      'executions',
      'budgetUsd',
      'raisedUsd',
      'schemas',
      'steps',
      'firstFailure',
    ]);
  });

  test('nothing to hand on (a run in flight), or over the byte limit: undefined, and the execution goes on', () => {
    assert.equal(nextExecutionInput(input, undefined, facts), undefined);
    const size = JSON.stringify(nextExecutionInput(input, carried, facts)).length;
    assert.ok(nextExecutionInput(input, carried, facts, size));
    assert.equal(nextExecutionInput(input, carried, facts, size - 1), undefined);
  });
});

/** The workflow's loop, without Temporal: children end as soon as they start; `carryBytes` can be tiny. */
function drive(spec: PipelineSpecInput, runsPerExecution: number, carryBytes: number) {
  const parsed = parsePipelineSpec(spec);
  assert.ok(parsed.ok);
  const planned = planPipeline(parsed.spec, SCHEMAS);
  assert.ok(planned.ok);
  const state = initialState(parsed.spec.name);
  const ids = { workflowId: 'wf', firstExecutionRunId: 'first-run' };
  const scheduler = new PipelineScheduler(state, parsed.spec, planned.plan, ids, CURRENT_RULES);
  scheduler.startRunning();
  const batch = new Batch(runsPerExecution);
  const launched: string[] = [];
  const log: string[] = [];
  const end = (l: Launch) => {
    scheduler.runEnded(l.run, l.step.id, {
      kind: 'completed',
      runId: `run-${l.run.workflowId}`,
      polls: 1,
      outputs: [{ outputId: 'o', type: 'imageUrl', url: `https://x.test/${l.run.index}.png` }],
      chargedCost: l.step.runCost,
    });
    scheduler.runSettled(l.step, l.run, NOW);
  };
  for (let pass = 0; pass < 50; pass += 1) {
    const pending: Launch[] = [];
    const next = scheduler.next(0, NOW, batch.launching(SHORT, yes));
    pending.push(...next.launches);
    launched.push(...next.launches.map((l) => l.run.workflowId));
    batch.counted(next.launches.length);
    if (next.stop !== undefined) return { launched, log, stop: next.stop, continuedAs: undefined };
    for (const l of pending) end(l);
    if (batch.dueToContinue(0)) {
      const input: RunPipelineWireInput = { spec };
      const facts = {
        firstExecutionRunId: ids.firstExecutionRunId,
        startedAtMs: 0,
        executions: 1,
        budgetUsd: state.budgetUsd,
        raisedUsd: state.raisedUsd,
        schemas: schemasOf(planned.plan),
      };
      const continuedAs = nextExecutionInput(
        input,
        scheduler.carry(() => true),
        facts,
        carryBytes,
      );
      if (continuedAs !== undefined) return { launched, log, stop: undefined, continuedAs };
      log.push('carry refused');
      batch.refuseCarry();
    }
  }
  assert.fail('the loop did not end');
}

describe('the carry-refused fallback, with the scheduler', () => {
  const frames: PipelineSpecInput = {
    name: 'frames',
    concurrency: 1,
    steps: [
      { id: 'frames', technique: 't2i', forEach: ['a', 'b', 'c', 'd'], inputs: { prompt: { item: true } } },
    ],
  };

  test('a state that fits is carried after the first batch', () => {
    const run = drive(frames, 2, PipelineLimits.carryBytes);
    assert.deepEqual(run.launched, ['wf/frames/0', 'wf/frames/1']);
    assert.equal(run.continuedAs?.continued?.steps[0]?.earlier.count, 2);
  });

  test('a state too large to carry: the same execution runs every remaining run and ends done', () => {
    const run = drive(frames, 2, 10);
    assert.deepEqual(run.log, ['carry refused'], 'refused once, never tried again');
    assert.deepEqual(run.launched, ['wf/frames/0', 'wf/frames/1', 'wf/frames/2', 'wf/frames/3']);
    assert.equal(run.stop, 'done');
    assert.equal(run.continuedAs, undefined);
  });
});
