/**
 * Saving outputs before FLORA's URLs expire: as a workflow option (an activity on the worker, under its
 * download root) and with the CLI's --download, every file checked against its manifest's sha256.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { ManifestEntry } from '../src/downloads';
import { runPipeline, runTechnique } from '../src/workflows';
import { runCli } from './helpers/cli';
import { FAST, useDownloadHarness, type Harness, type RunningWorker } from './helpers/env';
import { expectWorkflowFailure } from './helpers/failures';

let h: Harness;
let worker: RunningWorker;
let root: string;
let seq = 0;

useDownloadHarness('flora-downloads-', { runDurationMs: 300, serveFiles: true }, (harness, w, dir) => {
  h = harness;
  worker = w;
  root = dir;
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Every manifest entry's file exists in dir with that sha256, and manifest.json on disk lists it. */
async function verify(dir: string, entries: ManifestEntry[]): Promise<void> {
  assert.ok(entries.length > 0);
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as {
    files: ManifestEntry[];
  };
  for (const entry of entries) {
    const bytes = await readFile(join(dir, entry.file));
    assert.equal(sha256(bytes), entry.sha256, `${entry.file} matches its checksum`);
    assert.equal(bytes.length, entry.bytes);
    assert.ok(manifest.files.some((f) => f.file === entry.file && f.sha256 === entry.sha256));
  }
}

describe('downloads', () => {
  test('options.downloadTo: the worker saves the outputs under its root, with a manifest', async () => {
    const handle = await h.env.client.workflow.start(runTechnique, {
      taskQueue: worker.taskQueue,
      workflowId: `dl-${process.pid}-${++seq}`,
      args: [
        {
          technique: 'storyboard',
          inputs: { prompt: 'a fox' },
          options: { ...FAST, downloadTo: 'jobs/fox' },
        },
      ],
    });
    const result = await handle.result();
    assert.equal(result.downloads?.length, 3);
    assert.deepEqual(
      result.downloads?.map((d) => d.contentType.split(';')[0]),
      ['image/png', 'image/png', 'image/png'],
    );
    await verify(join(root, 'jobs/fox'), result.downloads ?? []);
    const served = await (await fetch(result.outputs[0]?.url ?? '')).arrayBuffer();
    assert.equal(sha256(Buffer.from(served)), result.downloads?.[0]?.sha256, 'same bytes as FLORA serves');
  });

  test('a failed download keeps the paid result: completed, with its outputs and a downloadError', async () => {
    h.sim.addFault('getFile', { kind: 'status4xx', status: 404, count: 20 });
    const handle = await h.env.client.workflow.start(runTechnique, {
      taskQueue: worker.taskQueue,
      workflowId: `dl-${process.pid}-${++seq}`,
      args: [
        {
          technique: 'text-to-image',
          inputs: { prompt: 'a fox' },
          options: { ...FAST, downloadTo: 'jobs/lost' },
        },
      ],
    });
    const result = await handle.result();
    assert.equal(result.status, 'completed');
    assert.equal(result.outputs.length, 1, 'the outputs are returned');
    assert.match(result.runId, /^run_/);
    assert.equal(result.downloads, undefined);
    assert.equal(result.downloadError?.type, 'download_http_error');
    assert.match(result.downloadError?.message ?? '', /404/);
    assert.equal(h.sim.stats().runsCreated, 1);
  });

  test('options.downloadTo outside the root is refused before anything is created', async () => {
    const handle = await h.env.client.workflow.start(runTechnique, {
      taskQueue: worker.taskQueue,
      workflowId: `dl-${process.pid}-${++seq}`,
      args: [
        { technique: 'text-to-image', inputs: { prompt: 'x' }, options: { ...FAST, downloadTo: '../etc' } },
      ],
    });
    const { app } = await expectWorkflowFailure(handle);
    assert.equal(app.type, 'invalid_request');
    assert.match(app.message, /options\.downloadTo: expected a relative directory/);
    assert.equal(h.sim.stats().runsCreated, 0);
  });

  test('a pipeline saves each step run in its own directory', async () => {
    const handle = await h.env.client.workflow.start(runPipeline, {
      taskQueue: worker.taskQueue,
      workflowId: `dl-pipeline-${process.pid}-${++seq}`,
      args: [
        {
          spec: {
            name: 'dl',
            options: { ...FAST, downloadTo: 'pipe' },
            steps: [
              {
                id: 'looks',
                technique: 'restyle-image',
                forEach: ['ink', 'oil'],
                inputs: { image: 'https://x.test/a.png', style: { item: true } },
              },
              { id: 'voice', technique: 'text-to-speech', inputs: { text: 'hello' } },
            ],
          },
        },
      ],
    });
    const result = await handle.result();
    assert.equal(result.status, 'completed');
    for (const [dir, technique] of [
      ['looks-0', 'image'],
      ['looks-1', 'image'],
      ['voice-0', 'audio'],
    ] as const) {
      const manifest = JSON.parse(await readFile(join(root, 'pipe', dir, 'manifest.json'), 'utf8')) as {
        files: ManifestEntry[];
      };
      assert.equal(manifest.files.length, 1);
      assert.match(manifest.files[0]?.contentType ?? '', new RegExp(`^${technique}/`));
      await verify(join(root, 'pipe', dir), manifest.files);
    }
  });

  test('CLI run --wait --download DIR --json: the result carries the downloads; files match their checksums', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flora-cli-dl-'));
    try {
      const env = { TEMPORAL_ADDRESS: h.env.address, FLORA_TASK_QUEUE: worker.taskQueue };
      const r = await runCli(
        ['run', 'caption-image', '-i', 'image=https://x.test/a.png', '--wait', '--download', dir, '--json'],
        env,
      );
      assert.equal(r.code, 0, r.stderr);
      const result = JSON.parse(r.stdout) as { status: string; downloads: ManifestEntry[] };
      assert.equal(result.status, 'completed');
      assert.equal(result.downloads[0]?.type, 'text', 'a text output is saved as a .txt file');
      await verify(dir, result.downloads);
      assert.match(r.stderr, /saved 1 file\(s\)/);
      const noWait = await runCli(
        ['run', 'caption-image', '-i', 'image=https://x.test/a.png', '--download', dir],
        env,
      );
      assert.equal(noWait.code, 1);
      assert.match(noWait.stderr, /--download needs --wait/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('CLI pipeline --wait --download DIR: every step’s outputs, prefixed by step and run', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flora-cli-dl-'));
    const spec = join(dir, 'spec.json');
    try {
      await import('node:fs/promises').then((fs) =>
        fs.writeFile(
          spec,
          JSON.stringify({
            name: 'cli-dl',
            steps: [
              { id: 'board', technique: 'storyboard', inputs: { prompt: 'fox' } },
              { id: 'voice', technique: 'text-to-speech', inputs: { text: 'hi' } },
            ],
          }),
        ),
      );
      const out = join(dir, 'out');
      const env = { TEMPORAL_ADDRESS: h.env.address, FLORA_TASK_QUEUE: worker.taskQueue };
      const r = await runCli(['pipeline', spec, '--wait', '--download', out, '--json'], env, 120_000);
      assert.equal(r.code, 0, r.stderr);
      const result = JSON.parse(r.stdout) as { downloads: ManifestEntry[] };
      assert.deepEqual(result.downloads.map((d) => d.file.replace(/\.\w+$/, '')).sort(), [
        'board-0-frame_1',
        'board-0-frame_2',
        'board-0-frame_3',
        'voice-0-audio',
      ]);
      await verify(out, result.downloads);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
