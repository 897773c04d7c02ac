/**
 * Resume instead of re-pay (issue 9), on a real dev server against the simulator: a pipeline that failed
 * at its last step is resumed with the input fixed, and FLORA sees creates for that step only; an output
 * URL that answers "gone" is reported and its run created again; and the same through the CLI.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { startPipeline } from '../src/client/pipelines';
import type { PipelineSpecInput } from '../src/pipelines/spec';
import type { PipelineResult } from '../src/pipelines/types';
import type { RunPipelineWireInput } from '../src/pipelines/wire';
import { runPipeline } from '../src/workflows';
import { runCli } from './helpers/cli';
import { FAST, type Harness, type RunningWorker, useHarness } from './helpers/env';
import { createsPerStep as createsOf } from './helpers/creates';

let h: Harness;
let worker: RunningWorker;
let seq = 0;

useHarness({ runDurationMs: 300 }, (harness, w) => {
  h = harness;
  worker = w;
});

const chain = (motion: string): PipelineSpecInput => ({
  name: 'resume-me',
  options: FAST,
  steps: [
    { id: 'poster', technique: 'text-to-image', inputs: { prompt: 'fox' } },
    { id: 'styled', technique: 'restyle-image', inputs: { image: { fromStep: 'poster' }, style: 'ink' } },
    {
      id: 'clip',
      technique: 'image-to-video',
      inputs: { input_image: { fromStep: 'styled' }, prompt: motion },
    },
  ],
});
const BROKEN = chain('slow zoom [sim:fail=safety_blocked]');
const FIXED = chain('slow zoom');

const createsPerStep = (firstExecutionRunId: string) => createsOf(h.sim, firstExecutionRunId);

/** The execution's run id: a pipeline never continues as new here, so it is its first execution's. */
async function runIdOf(handle: { describe(): Promise<{ runId: string }> }): Promise<string> {
  return (await handle.describe()).runId;
}

async function failedAtClip(workflowId: string) {
  const first = await startPipeline(h.env.client, BROKEN, {
    workflowId,
    taskQueue: worker.taskQueue,
    allowFastPolling: true,
  });
  await assert.rejects(first.result(), WorkflowFailedError);
  const runId = await runIdOf(first);
  assert.deepEqual(createsPerStep(runId), { poster: 1, styled: 1, clip: 1 });
  return runId;
}

describe('a failed pipeline is resumed, not re-paid', () => {
  test('fixed last step: steps 1–2 create nothing, step 3 once; the ledger shows what was reused', async () => {
    const workflowId = `resume-${process.pid}-${++seq}`;
    const firstRunId = await failedAtClip(workflowId);
    const before = h.sim.stats().runsCreated;

    const resumed = await startPipeline(h.env.client, FIXED, {
      workflowId,
      taskQueue: worker.taskQueue,
      resume: true,
      allowFastPolling: true,
    });
    assert.equal(resumed.start.action, 'resumed');
    assert.deepEqual(
      resumed.start.resumed?.reused.map((r) => r.step),
      ['poster', 'styled'],
    );
    assert.deepEqual(resumed.start.resumed?.rerun, [
      { step: 'clip', why: 'its technique, inputs or forEach changed' },
    ]);
    const result = await resumed.result();
    assert.equal(result.status, 'completed');
    const resumedRunId = await runIdOf(resumed);
    assert.notEqual(resumedRunId, firstRunId);
    assert.deepEqual(createsPerStep(resumedRunId), { clip: 1 });
    assert.equal(h.sim.stats().runsCreated - before, 1, 'one new FLORA run in all');
    const poster = result.steps.poster?.runs[0];
    assert.equal(poster?.reused?.workflowId, workflowId);
    assert.equal(poster?.reused?.chargedUsd, 0.04);
    assert.equal(poster?.chargedUsd, 0);
    assert.equal(result.ledger.reusedUsd, 0.07, 'poster $0.04 + styled $0.03, shown');
    assert.equal(result.ledger.chargedUsd, 0.25, 'only the clip is charged here');
    assert.equal(result.steps.clip?.runs[0]?.reused, undefined);
  });

  test('the same spec resumed re-runs only the failed step; a running pipeline is refused', async () => {
    const workflowId = `resume-${process.pid}-${++seq}`;
    await failedAtClip(workflowId);
    h.sim.setRunDuration(3_000);
    const again = await startPipeline(h.env.client, BROKEN, {
      workflowId,
      taskQueue: worker.taskQueue,
      resume: true,
      allowFastPolling: true,
    });
    assert.deepEqual(again.start.resumed?.rerun, [{ step: 'clip', why: 'no run of it completed' }]);
    await assert.rejects(
      startPipeline(h.env.client, FIXED, {
        workflowId,
        taskQueue: worker.taskQueue,
        resume: true,
        allowFastPolling: true,
      }),
      { name: 'ResumeError', message: /still running/ },
    );
    await assert.rejects(again.result(), WorkflowFailedError);
    assert.deepEqual(createsPerStep(await runIdOf(again)), { clip: 1 });
  });
});

describe('reused outputs whose URL has expired', () => {
  test('an output URL answering 410 is reported, and that run is created again', async () => {
    const gone: Server = createServer((_req, res) => {
      res.statusCode = 410;
      res.end('expired');
    });
    await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(gone.address() as AddressInfo).port}/poster.png`;
    try {
      const workflowId = `resume-expired-${process.pid}-${++seq}`;
      const input: RunPipelineWireInput = {
        spec: {
          name: 'expired',
          options: FAST,
          steps: [
            { id: 'poster', technique: 'text-to-image', inputs: { prompt: 'fox' } },
            { id: 'voice', technique: 'text-to-speech', inputs: { text: 'hi' } },
          ],
        },
        reuse: {
          from: { workflowId, runId: 'earlier' },
          steps: {
            poster: [
              {
                index: 0,
                runId: 'run_old',
                outputs: [{ outputId: 'image', type: 'imageUrl', url }],
                chargedUsd: 0.04,
              },
            ],
            voice: [
              {
                index: 0,
                runId: 'run_voice',
                outputs: [{ outputId: 'audio', type: 'audioUrl', url: 'https://files.invalid/voice.mp3' }],
                chargedUsd: 0.02,
              },
            ],
          },
        },
      };
      const handle = await h.env.client.workflow.start(runPipeline, {
        taskQueue: worker.taskQueue,
        workflowId,
        args: [input],
      });
      const result = await handle.result();
      const poster = result.steps.poster?.runs[0];
      assert.equal(poster?.reused, undefined);
      assert.match(
        poster?.notReused ?? '',
        /output "image" \(http:\/\/127\.0\.0\.1:\d+\/poster\.png\) HTTP 410/,
      );
      assert.match(poster?.notReused ?? '', /runs again and is billed/);
      assert.notEqual(poster?.runId, 'run_old');
      // No answer at all (here: a host that does not resolve) may be the worker's network: taken, noted.
      const voice = result.steps.voice?.runs[0];
      assert.equal(voice?.runId, 'run_voice');
      assert.match(voice?.reused?.unchecked?.[0]?.problem ?? '', /no answer/);
      assert.deepEqual(createsPerStep(handle.firstExecutionRunId), { poster: 1 });
    } finally {
      gone.close();
    }
  });
});

describe('flora-temporal pipeline run --resume', () => {
  test('resumes a failed pipeline from the CLI, saying what it reused', async () => {
    const env = {
      TEMPORAL_ADDRESS: h.env.address,
      FLORA_TASK_QUEUE: worker.taskQueue,
      FLORA_BASE_URL: h.sim.baseUrl,
      FLORA_API_KEY: h.sim.apiKey,
    };
    const workflowId = `resume-cli-${process.pid}-${++seq}`;
    await failedAtClip(workflowId);
    const file = join(tmpdir(), `resume-${process.pid}-${seq}.json`);
    await writeFile(file, JSON.stringify(FIXED));
    const refused = await runCli(['pipeline', 'run', file, '--resume'], env);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /--resume needs --workflow-id/);
    const r = await runCli(
      ['pipeline', 'run', file, '--workflow-id', workflowId, '--resume', '--wait', '--json'],
      env,
      120_000,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /resumed after it ended failed: reused poster \(1 run\), styled \(1 run\), charged \$0\.07 before/,
    );
    assert.match(r.stderr, /runs \(billed\): clip \(its technique, inputs or forEach changed\)/);
    const result = JSON.parse(r.stdout) as PipelineResult;
    assert.equal(result.status, 'completed');
    assert.equal(result.ledger.reusedUsd, 0.07);
    assert.equal(result.ledger.chargedUsd, 0.25);
  });
});
