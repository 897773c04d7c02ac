/**
 * What the client library tells an operator instead of hanging or failing bare, on a real dev server:
 * which workers poll a task queue, and which search attributes a filter needs.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Client } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { FloraWorkflows, SearchAttributesMissingError } from '../src/client';
import { findOrphanRuns } from '../src/client/orphans';
import { missingWorkerHint, taskQueuePollers } from '../src/client/workers';
import { FAST, type Harness, type RunningWorker, taskQueue, useHarness } from './helpers/env';
import { waitFor } from './helpers/failures';

let h: Harness;
let worker: RunningWorker;

useHarness({}, (harness, w) => {
  h = harness;
  worker = w;
});

describe('client diagnostics', () => {
  test('taskQueuePollers: none on an unused queue (with a hint naming it), both types on a served one', async () => {
    const unused = taskQueue();
    const none = await taskQueuePollers(h.env.client, unused);
    assert.deepEqual(none, {
      namespace: 'default',
      taskQueue: unused,
      workflowPollers: 0,
      activityPollers: 0,
    });
    assert.equal(
      missingWorkerHint(none),
      `no worker is polling task queue ${unused} on namespace default; start one with: ` +
        `FLORA_TASK_QUEUE=${unused} TEMPORAL_NAMESPACE=default flora-temporal worker ` +
        `(with FLORA_API_KEY set; same TEMPORAL_ADDRESS)`,
    );
    const served = await waitFor('both task types polled', async () => {
      const p = await taskQueuePollers(h.env.client, worker.taskQueue);
      return p.workflowPollers > 0 && p.activityPollers > 0 ? p : undefined;
    });
    assert.equal(missingWorkerHint(served), undefined);
    assert.match(
      missingWorkerHint({ ...served, activityPollers: 0 }) ?? '',
      /no worker is polling task queue .* for activity tasks/,
    );
  });

  test('listRuns with a search-attribute filter on a namespace without them names the attributes and the fix', async () => {
    const namespace = `no-attrs-${process.pid}`;
    await h.env.client.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
    const flora = new FloraWorkflows(new Client({ connection: h.env.connection, namespace }));
    await waitFor(
      'the namespace to be usable',
      async () => (await flora.listRuns()).length === 0 || undefined,
    );
    await assert.rejects(flora.listRuns({ technique: 'cctv-cam', floraRunId: 'run_1' }), (err) => {
      assert.ok(err instanceof SearchAttributesMissingError);
      assert.deepEqual(err.missing, ['FloraTechnique', 'FloraRunId']);
      assert.match(err.message, /Listing runs by technique and FLORA run id needs the search attributes/);
      assert.match(err.message, new RegExp(`not registered on namespace ${namespace}`));
      assert.match(
        err.message,
        new RegExp(`temporal operator search-attribute create --namespace ${namespace} `),
      );
      assert.match(err.message, /temporal server start-dev --search-attribute FloraTechnique=Keyword/);
      return true;
    });
  });
});

describe('orphans', () => {
  test('findOrphanRuns lists the FLORA runs in the window that no workflow records', async () => {
    const flora = new FloraWorkflows(h.env.client, { taskQueue: worker.taskQueue, allowFastPolling: true });
    const since = new Date(Date.now() - 1_000);
    const recorded = await flora.startRun({
      technique: 'text-to-speech',
      inputs: { text: 'kept' },
      options: FAST,
    });
    const recordedRunId = (await recorded.result()).runId;
    const lost = await h.flora.createRunNested({
      slug: 'text-to-speech',
      inputs: [{ id: 'text', type: 'text', value: 'lost' }],
    });
    const report = await waitFor('visibility to list the recorded run', async () => {
      const r = await findOrphanRuns(h.env.client, h.flora, { since });
      return r.orphans.some((o) => o.runId === recordedRunId) ? undefined : r;
    });
    assert.equal(report.ownership, 'search-attribute');
    assert.equal(report.caveat, undefined);
    assert.equal(report.scanned, 2);
    assert.deepEqual(
      report.orphans.map((o) => [o.runId, o.techniqueId, o.recent]),
      [[lost.data.run_id, 'tech_tts01', true]],
    );
    const before = await findOrphanRuns(h.env.client, h.flora, {
      since: new Date(since.getTime() - 60_000),
      until: since,
    });
    assert.equal(before.scanned, 0, 'nothing before the window');

    // Attaching it (what the CLI prints) makes it owned.
    await flora.attachRun(
      lost.data.run_id,
      { technique: 'text-to-speech' },
      { workflowId: `attach-${lost.data.run_id}` },
    );
    await waitFor(
      'the attached run to be owned',
      async () => (await findOrphanRuns(h.env.client, h.flora, { since })).orphans.length === 0 || undefined,
    );
  });
});
