/**
 * A resume that leaves an ended run after one that never started (runs 0 and 2 of four taken from the
 * earlier execution, the batch full before run 1 launches): the carry hands run 2 on as it is, the next
 * execution launches only runs 1 and 3, and the reused runs still show in the ledger. Before
 * `Patches.PipelineCarryGaps` such a carry was refused (the rule still refuses it for those histories).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ledgerOf } from '../../src/pipelines/ledger';
import { planPipeline } from '../../src/pipelines/plan';
import { CURRENT_RULES, PipelineScheduler, type Launch } from '../../src/pipelines/scheduler';
import { parsePipelineSpec, type PipelineSpecInput } from '../../src/pipelines/spec';
import { initialState } from '../../src/pipelines/state';
import type { PipelineReuse } from '../../src/pipelines/wire';
import { SCHEMAS } from '../helpers/techniques';

const NOW = '2026-01-01T00:00:00.000Z';
const FRAMES: PipelineSpecInput = {
  name: 'frames',
  concurrency: 1,
  steps: [
    { id: 'frames', technique: 't2i', forEach: ['a', 'b', 'c', 'd'], inputs: { prompt: { item: true } } },
  ],
};
const png = (name: string) => [{ outputId: 'image', type: 'imageUrl', url: `https://x.test/${name}.png` }];
/** Runs 0 and 2 from the earlier execution. */
const REUSE: PipelineReuse = {
  from: { workflowId: 'wf', runId: 'earlier' },
  steps: {
    frames: [
      { index: 0, runId: 'run_a', outputs: png('a'), chargedUsd: 0.04 },
      { index: 2, runId: 'run_c', outputs: png('c'), chargedUsd: 0.04 },
    ],
  },
};

function execution() {
  const parsed = parsePipelineSpec(FRAMES);
  assert.ok(parsed.ok);
  const planned = planPipeline(parsed.spec, SCHEMAS);
  assert.ok(planned.ok);
  const state = initialState('frames');
  const ids = { workflowId: 'wf', firstExecutionRunId: 'first' };
  const scheduler = new PipelineScheduler(state, parsed.spec, planned.plan, ids, CURRENT_RULES, REUSE);
  return { state, scheduler };
}

/** The first execution: takes runs 0 and 2, and its batch is full before it launches anything. */
function firstExecution() {
  const first = execution();
  first.scheduler.startRunning();
  const live = { expired: [], localFiles: [] };
  first.scheduler.takeReuse(first.scheduler.reuseOffers(), [[live, live]], NOW);
  assert.deepEqual(first.scheduler.next(0, NOW, false).launches, [], 'the batch is full');
  return first;
}

function end(scheduler: PipelineScheduler, l: Launch): void {
  scheduler.runEnded(l.run, l.step.id, {
    kind: 'completed',
    runId: `run-${l.run.index}`,
    polls: 1,
    outputs: png(String(l.run.index)),
    chargedCost: l.step.runCost,
  });
  scheduler.runSettled(l.step, l.run, NOW);
}

describe('carrying a resume whose ended runs follow one that never started', () => {
  test('run 2 is handed on as it is, behind the folded run 0, and the rule is asked', () => {
    const first = firstExecution();
    let asked = 0;
    const carried = first.scheduler.carry(() => {
      asked += 1;
      return true;
    });
    assert.ok(carried, 'carried, not refused');
    assert.equal(asked, 1);
    const step = carried.steps[0];
    assert.equal(step?.total, 4);
    assert.equal(step?.earlier.count, 1, 'run 0 folded');
    assert.equal(step?.earlier.reusedUsd, 0.04);
    assert.deepEqual(
      step?.endedAfterGap?.map((r) => [r.index, r.phase, r.runId, r.reused?.chargedUsd]),
      [[2, 'completed', 'run_c', 0.04]],
    );
  });

  test('a history from before the patch: the rule says no and the carry is refused, as it was', () => {
    assert.equal(
      firstExecution().scheduler.carry(() => false),
      undefined,
    );
  });

  test('without a gap the rule is not asked (its marker is written only in the case that was refused)', () => {
    const plain = execution();
    plain.scheduler.startRunning();
    plain.scheduler.declineReuse(plain.scheduler.reuseOffers());
    const launch = plain.scheduler.next(0, NOW).launches;
    assert.equal(launch.length, 1);
    end(plain.scheduler, launch[0] as Launch);
    const carried = plain.scheduler.carry(() => assert.fail('asked without a gap'));
    assert.equal(carried?.steps[0]?.earlier.count, 1);
    assert.equal(carried?.steps[0]?.endedAfterGap, undefined, 'the wire state is as it was');
  });

  test('the next execution launches only runs 1 and 3, carries again, and ends with all four counted', () => {
    const carried = firstExecution().scheduler.carry(() => true);
    assert.ok(carried);
    // A continued execution gets the same input (`reuse` too) and restores; nothing is offered again.
    const second = execution();
    second.scheduler.restore(carried, NOW);
    second.scheduler.startRunning();
    assert.deepEqual(second.scheduler.reuseOffers(), []);
    const step = second.state.steps[0];
    assert.deepEqual(
      step?.runs.map((r) => [r.index, r.phase]),
      [
        [1, 'pending'],
        [2, 'completed'],
        [3, 'pending'],
      ],
    );
    const launched: number[] = [];
    let pass = second.scheduler.next(0, NOW);
    for (let i = 0; i < 10 && pass.stop === undefined; i += 1) {
      for (const l of pass.launches) {
        launched.push(l.run.index);
        end(second.scheduler, l);
      }
      if (launched.length === 1) {
        // Its own batch (one run) is full here: the carry folds runs 1 and 2, no gap left.
        const again = second.scheduler.carry(() => assert.fail('no gap: not asked'));
        assert.equal(again?.steps[0]?.earlier.count, 3);
        assert.equal(again?.steps[0]?.endedAfterGap, undefined);
      }
      pass = second.scheduler.next(0, NOW);
    }
    assert.deepEqual(launched, [1, 3], 'runs 0 and 2 are never created');
    assert.equal(pass.stop, 'done');
    assert.equal(step?.phase, 'completed');
    const ledger = ledgerOf(second.state.steps, undefined, undefined);
    assert.equal(ledger.steps.frames?.reusedUsd, 0.08, 'both reused runs, across the carry');
    assert.equal(ledger.steps.frames?.chargedUsd, 0.08, 'runs 1 and 3 only');
    assert.equal(ledger.steps.frames?.runs, 4);
  });
});
