/**
 * FLORA activities on a task queue of their own (`options.activityTaskQueue`, `createFloraActivityWorker`):
 * a workflow-only worker on one queue, with no FLORA client and no activities at all, and a FLORA-only
 * activity worker on another. A run and a pipeline complete, and their histories show every FLORA request
 * (polls included, since flora-polls-on-activity-task-queue-v1) scheduled on the activity queue, none as a
 * local activity in the workflow worker.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import type { RunPipelineInput } from '../src/pipelines/types';
import { createFloraActivityWorker } from '../src/worker/worker';
import { runPipeline, runTechnique } from '../src/workflows';
import { FAST, startHarness, taskQueue, workflowBundle, type Harness } from './helpers/env';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const EventType = temporal.api.enums.v1.EventType;

let h: Harness;
const workflowQueue = taskQueue();
const activityQueue = taskQueue();
const stops: (() => Promise<void>)[] = [];
let seq = 0;

before(async () => {
  h = await startHarness();
  const connection = h.env.nativeConnection;
  const namespace = h.env.namespace ?? 'default';
  // flora's workflows only: no activities registered, so no FLORA client (nor key) in this worker.
  const workflowsOnly = await Worker.create({
    connection,
    namespace,
    taskQueue: workflowQueue,
    workflowBundle: await workflowBundle(),
  });
  const floraOnly = await createFloraActivityWorker({
    connection,
    namespace,
    taskQueue: activityQueue,
    flora: h.flora,
  });
  for (const worker of [workflowsOnly, floraOnly]) {
    const running = worker.run();
    stops.push(async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    });
  }
});

after(async () => {
  await Promise.all(stops.map((stop) => stop()));
  await h?.close();
});

async function historyOf(workflowId: string): Promise<HistoryEvent[]> {
  const history = await h.env.client.workflow.getHandle(workflowId).fetchHistory();
  return history.events ?? [];
}

/** `name@queue` of every activity the workflow scheduled, and the names of its markers. */
async function activitiesAndMarkers(
  workflowId: string,
): Promise<{ activities: string[]; markers: string[] }> {
  const events = await historyOf(workflowId);
  const activities = events
    .filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
    .map(
      (e) =>
        `${e.activityTaskScheduledEventAttributes?.activityType?.name}@${e.activityTaskScheduledEventAttributes?.taskQueue?.name}`,
    );
  const markers = events
    .filter((e) => e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED)
    .map((e) => e.markerRecordedEventAttributes?.markerName ?? '');
  return { activities, markers };
}

function assertAllOnActivityQueue(workflowId: string, seen: { activities: string[]; markers: string[] }) {
  assert.ok(seen.activities.length > 0, `${workflowId} scheduled activities`);
  for (const a of seen.activities) {
    assert.ok(
      a.endsWith(`@${activityQueue}`),
      `${workflowId}: ${a} is scheduled on the FLORA activity queue`,
    );
  }
  assert.ok(
    !seen.markers.includes('core_local_activity'),
    `${workflowId}: no local activity ran in the workflow worker (markers: ${seen.markers.join(', ')})`,
  );
}

// A run whose poll fell back to a local activity would fail its workflow task forever: fail, not hang.
describe('FLORA activities on their own task queue', { timeout: 180_000 }, () => {
  test('a run on a workflow-only worker completes; its schema read, create and polls ran on the activity queue', async () => {
    const workflowId = `aq-run-${process.pid}-${++seq}`;
    const result = await h.env.client.workflow.execute(runTechnique, {
      taskQueue: workflowQueue,
      workflowId,
      args: [
        {
          technique: 'text-to-image',
          inputs: { prompt: 'fox' },
          options: { ...FAST, activityTaskQueue: activityQueue },
        },
      ],
    });
    assert.equal(result.status, 'completed');
    assert.equal(result.outputs.length, 1);
    const seen = await activitiesAndMarkers(workflowId);
    assertAllOnActivityQueue(workflowId, seen);
    for (const name of ['flora.getTechnique', 'flora.createRun', 'flora.pollRunOnce']) {
      assert.ok(seen.activities.includes(`${name}@${activityQueue}`), `${name} ran on the activity queue`);
    }
    assert.equal(
      seen.activities.filter((a) => a.startsWith('flora.pollRunOnce@')).length,
      result.polls,
      'every poll is a regular activity',
    );
    assert.equal(h.sim.stats().runsCreated, 1);
  });

  test('a pipeline and its children on a workflow-only worker complete, every FLORA request on the activity queue', async () => {
    const workflowId = `aq-pipeline-${process.pid}-${++seq}`;
    const input: RunPipelineInput = {
      spec: {
        name: 'activity-queue',
        options: { ...FAST, activityTaskQueue: activityQueue },
        steps: [
          { id: 'still', technique: 'text-to-image', inputs: { prompt: 'fox' } },
          { id: 'clip', technique: 'image-to-video', inputs: { input_image: { fromStep: 'still' } } },
        ],
      },
    };
    const result = await h.env.client.workflow.execute(runPipeline, {
      taskQueue: workflowQueue,
      workflowId,
      args: [input],
    });
    assert.equal(result.status, 'completed');
    assert.equal(result.steps.clip?.outputs.length, 1);
    const pipeline = await activitiesAndMarkers(workflowId);
    assertAllOnActivityQueue(workflowId, pipeline);
    assert.ok(pipeline.activities.includes(`flora.getTechnique@${activityQueue}`), 'schemas read there');
    for (const child of [`${workflowId}/still/0`, `${workflowId}/clip/0`]) {
      const seen = await activitiesAndMarkers(child);
      assertAllOnActivityQueue(child, seen);
      assert.ok(
        seen.activities.includes(`flora.createRun@${activityQueue}`),
        `${child} created its run there`,
      );
      assert.ok(seen.activities.includes(`flora.pollRunOnce@${activityQueue}`), `${child} polled there`);
    }
  });
});
