import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError } from '../../src/flora/config';
import {
  checkTuning,
  DEFAULT_WORKFLOW_TASK_SLOTS,
  describeTuning,
  tuningFromEnv,
  tuningWorkerOptions,
} from '../../src/worker/tuning';

describe('worker tuning', () => {
  test("defaults: the SDK's 40 workflow task slots and as many local activity slots, the rest the SDK's", () => {
    assert.equal(DEFAULT_WORKFLOW_TASK_SLOTS, 40);
    assert.deepEqual(tuningWorkerOptions(), {
      maxConcurrentWorkflowTaskExecutions: DEFAULT_WORKFLOW_TASK_SLOTS,
      maxConcurrentLocalActivityExecutions: DEFAULT_WORKFLOW_TASK_SLOTS,
    });
    assert.deepEqual(tuningFromEnv({}), {});
  });

  test('local activity slots follow the workflow task slots unless set', () => {
    assert.equal(
      tuningWorkerOptions({ maxConcurrentWorkflowTaskExecutions: 150 }).maxConcurrentLocalActivityExecutions,
      150,
    );
    assert.equal(
      tuningWorkerOptions({
        maxConcurrentWorkflowTaskExecutions: 150,
        maxConcurrentLocalActivityExecutions: 60,
      }).maxConcurrentLocalActivityExecutions,
      60,
    );
  });

  test('every variable is read; pollers take a number or "autoscale"', () => {
    const tuning = tuningFromEnv({
      FLORA_MAX_CACHED_WORKFLOWS: '1500',
      FLORA_MAX_CONCURRENT_WORKFLOW_TASKS: ' 200 ',
      FLORA_MAX_CONCURRENT_LOCAL_ACTIVITIES: '120',
      FLORA_MAX_CONCURRENT_ACTIVITIES: '50',
      FLORA_WORKFLOW_TASK_POLLERS: 'AutoScale',
      FLORA_ACTIVITY_TASK_POLLERS: '4',
    });
    assert.deepEqual(tuning, {
      maxCachedWorkflows: 1500,
      maxConcurrentWorkflowTaskExecutions: 200,
      maxConcurrentLocalActivityExecutions: 120,
      maxConcurrentActivityTaskExecutions: 50,
      workflowTaskPollers: 'autoscale',
      activityTaskPollers: 4,
    });
    assert.deepEqual(tuningWorkerOptions(tuning), {
      maxCachedWorkflows: 1500,
      maxConcurrentWorkflowTaskExecutions: 200,
      maxConcurrentLocalActivityExecutions: 120,
      maxConcurrentActivityTaskExecutions: 50,
      workflowTaskPollerBehavior: { type: 'autoscaling' },
      activityTaskPollerBehavior: { type: 'simple-maximum', maximum: 4 },
    });
    assert.match(describeTuning(tuning), /200 workflow task slots \(autoscaled pollers\)/);
    assert.equal(tuningFromEnv({ FLORA_MAX_CACHED_WORKFLOWS: '0' }).maxCachedWorkflows, 0);
  });

  test('bad values name the variable and what was wrong, all at once', () => {
    const bad: [Record<string, string>, RegExp][] = [
      [{ FLORA_MAX_CACHED_WORKFLOWS: 'lots' }, /FLORA_MAX_CACHED_WORKFLOWS: expected a whole number.*"lots"/],
      [{ FLORA_MAX_CONCURRENT_WORKFLOW_TASKS: '1' }, /FLORA_MAX_CONCURRENT_WORKFLOW_TASKS: .*from 2 to/],
      [{ FLORA_MAX_CONCURRENT_LOCAL_ACTIVITIES: '2.5' }, /FLORA_MAX_CONCURRENT_LOCAL_ACTIVITIES: .*"2.5"/],
      [{ FLORA_MAX_CONCURRENT_ACTIVITIES: '-3' }, /FLORA_MAX_CONCURRENT_ACTIVITIES: .*"-3"/],
      [{ FLORA_MAX_CONCURRENT_ACTIVITIES: '1e3' }, /FLORA_MAX_CONCURRENT_ACTIVITIES: .*"1e3"/],
      [{ FLORA_WORKFLOW_TASK_POLLERS: 'auto' }, /FLORA_WORKFLOW_TASK_POLLERS: .*or "autoscale", got "auto"/],
      [{ FLORA_ACTIVITY_TASK_POLLERS: '0' }, /FLORA_ACTIVITY_TASK_POLLERS: .*from 1 to 1,000/],
      [{ FLORA_MAX_CONCURRENT_WORKFLOW_TASKS: '99999' }, /FLORA_MAX_CONCURRENT_WORKFLOW_TASKS: .*to 10,000/],
      [
        { FLORA_MAX_CACHED_WORKFLOWS: '30' },
        /FLORA_MAX_CONCURRENT_WORKFLOW_TASKS \(40\) can't exceed FLORA_MAX_CACHED_WORKFLOWS \(30\)/,
      ],
    ];
    for (const [env, message] of bad) {
      assert.throws(
        () => tuningFromEnv(env),
        (err: unknown) => err instanceof ConfigError && message.test(err.message),
        JSON.stringify(env),
      );
    }
    assert.throws(
      () => tuningFromEnv({ FLORA_MAX_CACHED_WORKFLOWS: 'x', FLORA_WORKFLOW_TASK_POLLERS: 'y' }),
      /FLORA_MAX_CACHED_WORKFLOWS: .*; FLORA_WORKFLOW_TASK_POLLERS: /,
    );
  });

  test('the option object is checked the same way, naming tuning.<field>', () => {
    assert.throws(
      () => checkTuning({ maxConcurrentWorkflowTaskExecutions: 0 }),
      (err: unknown) =>
        err instanceof RangeError && /tuning\.maxConcurrentWorkflowTaskExecutions: .*got 0/.test(err.message),
    );
    assert.throws(
      () => tuningWorkerOptions({ workflowTaskPollers: Number.NaN }),
      /tuning\.workflowTaskPollers/,
    );
    // A cache of 0 (off) allows any number of slots.
    assert.doesNotThrow(() =>
      checkTuning({ maxCachedWorkflows: 0, maxConcurrentWorkflowTaskExecutions: 500 }),
    );
  });
});
