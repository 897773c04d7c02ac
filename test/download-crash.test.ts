/**
 * A worker process killed with SIGKILL in the middle of saving a completed run's outputs: the download
 * heartbeats, so the server notices within the preset's heartbeatTimeout and another worker process
 * retries it (not after the 30-minute startToCloseTimeout); the run is not created again.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runTechnique, statusQuery } from '../src/workflows';
import { spawnCli } from './helpers/cli';
import { FAST, startHarness, taskQueue, type Harness } from './helpers/env';
import { waitFor } from './helpers/failures';

let h: Harness;
let root: string;
const children: ChildProcess[] = [];

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'flora-download-crash-'));
  h = await startHarness({ runDurationMs: 300, serveFiles: true });
});
after(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await h?.close();
  await rm(root, { recursive: true, force: true });
});

function startWorkerProcess(queue: string): { child: ChildProcess; log: () => string } {
  const child = spawnCli(['worker'], {
    TEMPORAL_ADDRESS: h.env.address,
    FLORA_TASK_QUEUE: queue,
    FLORA_BASE_URL: h.sim.baseUrl,
    FLORA_API_KEY: h.sim.apiKey,
    FLORA_DOWNLOAD_ROOT: root,
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  return { child, log: () => output };
}

test(
  'SIGKILL the worker process mid-download, start another: the download is retried and saved, one create',
  { timeout: 180_000 },
  async () => {
    const queue = taskQueue();
    const first = startWorkerProcess(queue);
    // The file server stalls on the first request long enough to kill the worker while it waits.
    h.sim.addFault('getFile', { kind: 'latency', latencyMs: 60_000, count: 1 });
    const handle = await h.env.client.workflow.start(runTechnique, {
      taskQueue: queue,
      workflowId: `download-crash-${process.pid}`,
      args: [
        {
          technique: 'text-to-image',
          inputs: { prompt: 'a red fox' },
          options: { ...FAST, downloadTo: 'crash' },
        },
      ],
    });
    await waitFor(
      'the first worker to be downloading',
      async () =>
        (await handle.query(statusQuery)).phase === 'downloading' &&
        (h.sim.stats().requests.getFile ?? 0) >= 1
          ? true
          : undefined,
      60_000,
    );
    first.child.kill('SIGKILL');
    await once(first.child, 'exit');

    const second = startWorkerProcess(queue);
    const result = await handle.result();
    assert.equal(result.status, 'completed', second.log());
    assert.equal(result.downloadError, undefined);
    assert.equal(result.downloads?.length, 1);
    const saved = await readFile(join(root, 'crash', result.downloads?.[0]?.file ?? 'missing'));
    assert.equal(saved.length, result.downloads?.[0]?.bytes);
    assert.equal(h.sim.stats().runsCreated, 1, 'the run was not created again');
    assert.equal(h.sim.stats().requests.getFile, 2, 'the stalled request, then the retry on the new worker');

    second.child.kill('SIGTERM');
    await once(second.child, 'exit');
  },
);
