/**
 * The CLI's downloads as a user meets them (issue 12, item 6): the target directory is checked before
 * anything is started or paid for, a directory in use is refused without --overwrite, `download` and
 * `watch --download` save a completed workflow's outputs, and the docs' example pipeline runs end to end
 * with downloads against `simulator --serve-files` (https output URLs, so chained steps are accepted).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FloraWorkflows } from '../src/client';
import type { ManifestEntry } from '../src/downloads';
import { FloraClient } from '../src/flora/client';
import { runCli, spawnCli } from './helpers/cli';
import { FAST, startWorker, taskQueue, type Harness, type RunningWorker, useHarness } from './helpers/env';
import { waitFor } from './helpers/failures';

let h: Harness;
let worker: RunningWorker;
let flora: FloraWorkflows;
let env: Record<string, string>;
let root: string;
let seq = 0;

useHarness({ serveFiles: true, runDurationMs: 300 }, (harness, w) => {
  h = harness;
  worker = w;
  flora = new FloraWorkflows(h.env.client, { taskQueue: worker.taskQueue, allowFastPolling: true });
  env = { TEMPORAL_ADDRESS: h.env.address, FLORA_TASK_QUEUE: worker.taskQueue };
});
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'flora-cli-downloads-'));
});
after(() => rm(root, { recursive: true, force: true }));

const id = (name: string) => `cli-dl-${name}-${process.pid}-${++seq}`;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function verify(dir: string, entries: ManifestEntry[]): Promise<void> {
  assert.ok(entries.length > 0, 'something was saved');
  for (const entry of entries) {
    const bytes = await readFile(join(dir, entry.file));
    assert.equal(sha256(bytes), entry.sha256, `${entry.file} matches its checksum`);
  }
}

describe('CLI downloads', () => {
  test('a file as --download fails before anything is created (run and pipeline)', async () => {
    const spec = join(root, 'one.json');
    await writeFile(
      spec,
      JSON.stringify({
        name: 'one',
        steps: [{ id: 'a', technique: 'text-to-image', inputs: { prompt: 'x' } }],
      }),
    );
    for (const args of [
      ['run', 'text-to-image', '-i', 'prompt=fox', '--wait', '--download', '/etc/passwd'],
      ['pipeline', 'run', spec, '--wait', '--download', '/etc/passwd'],
      ['run', 'text-to-image', '-i', 'prompt=fox', '--wait', '--download', '/etc/passwd/sub', '--json'],
    ]) {
      const r = await runCli(args, env);
      assert.equal(r.code, 1, args.join(' '));
      assert.match(
        r.stderr,
        /--download \/etc\/passwd(\/sub)?: (it is a file|cannot create it \(\/etc\/passwd is a file\))/,
      );
      assert.doesNotMatch(r.stderr, /started/);
    }
    assert.equal(h.sim.stats().runsCreated, 0, 'nothing was created, nothing billed');
  });

  test('a directory that is not empty is refused unless --overwrite', async () => {
    const dir = await mkdtemp(join(root, 'used-'));
    await writeFile(join(dir, 'notes.txt'), 'mine');
    const refused = await runCli(
      ['run', 'caption-image', '-i', 'image=https://x.test/a.png', '--wait', '--download', dir],
      env,
    );
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /the directory is not empty \(1 entry\).*--overwrite/);
    assert.equal(h.sim.stats().runsCreated, 0);
    const r = await runCli(
      [
        'run',
        'caption-image',
        '-i',
        'image=https://x.test/a.png',
        '--wait',
        '--download',
        dir,
        '--overwrite',
        '--json',
      ],
      env,
    );
    assert.equal(r.code, 0, r.stderr);
    await verify(dir, (JSON.parse(r.stdout) as { downloads: ManifestEntry[] }).downloads);
    assert.equal(await readFile(join(dir, 'notes.txt'), 'utf8'), 'mine', 'other files are left alone');
  });

  test('download <id> DIR saves a completed run; watch <id> --download DIR a pipeline', async () => {
    const run = await flora.startRun(
      { technique: 'storyboard', inputs: { prompt: 'fox' }, options: FAST },
      { workflowId: id('run') },
    );
    await run.result();
    const dir = join(root, 'later');
    const r = await runCli(['download', run.workflowId, dir, '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    const saved = JSON.parse(r.stdout) as { workflowId: string; downloads: ManifestEntry[] };
    assert.equal(saved.workflowId, run.workflowId);
    assert.equal(saved.downloads.length, 3);
    await verify(dir, saved.downloads);
    const again = await runCli(['download', run.workflowId, dir], env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /not empty/);
    const overwrite = await runCli(['download', run.workflowId, dir, '--overwrite'], env);
    assert.equal(overwrite.code, 0, overwrite.stderr);
    assert.match(overwrite.stdout, /frame_1\.png +image\/png +\d+ bytes/);

    h.sim.setRunDuration(1_500);
    const pipeline = await flora.startPipeline(
      {
        name: 'watched-dl',
        options: FAST,
        steps: [
          { id: 'poster', technique: 'text-to-image', inputs: { prompt: 'fox' } },
          { id: 'voice', technique: 'text-to-speech', inputs: { text: 'hi' } },
        ],
      },
      { workflowId: id('pipeline') },
    );
    const out = join(root, 'watched');
    const watched = await runCli(['watch', pipeline.workflowId, '--download', out, '--json'], env);
    assert.equal(watched.code, 0, watched.stderr);
    const result = JSON.parse(watched.stdout) as { status: string; downloads: ManifestEntry[] };
    assert.equal(result.status, 'completed');
    assert.deepEqual(result.downloads.map((d) => d.file.replace(/\.\w+$/, '')).sort(), [
      'poster-0-image',
      'voice-0-audio',
    ]);
    await verify(out, result.downloads);

    const missing = await runCli(['download', 'no-such-workflow', join(root, 'none')], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no workflow with id no-such-workflow/);
  });

  test('the example pipeline runs end to end with downloads against `simulator --serve-files`', async () => {
    const sim = spawnCli(
      ['simulator', '--port', '0', '--serve-files', '--run-duration-ms', '300', '--json'],
      {},
    );
    let stdout = '';
    sim.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    let simWorker: RunningWorker | undefined;
    let simFlora: FloraClient | undefined;
    try {
      await waitFor('the settings line', () => Promise.resolve(stdout.includes('\n') ? true : undefined));
      const settings = JSON.parse(stdout) as { env: Record<string, string> };
      assert.match(settings.env.NODE_EXTRA_CA_CERTS ?? '', /flora-temporal-simulator-ca-\w+\.pem$/);
      simFlora = new FloraClient({
        baseUrl: settings.env.FLORA_BASE_URL ?? '',
        apiKey: settings.env.FLORA_API_KEY ?? '',
      });
      simWorker = await startWorker(h, taskQueue(), simFlora);
      const out = join(root, 'fox-teaser');
      const r = await runCli(
        [
          'pipeline',
          'run',
          join(__dirname, '..', 'examples', 'fox-teaser.json'),
          '--wait',
          '--download',
          out,
          '--json',
        ],
        { ...settings.env, TEMPORAL_ADDRESS: h.env.address, FLORA_TASK_QUEUE: simWorker.taskQueue },
        180_000,
      );
      assert.equal(r.code, 0, r.stderr);
      const result = JSON.parse(r.stdout) as {
        status: string;
        steps: Record<string, { outputs: { url: string }[] }>;
        downloads: ManifestEntry[];
      };
      assert.equal(result.status, 'completed');
      for (const step of Object.values(result.steps))
        for (const o of step.outputs) assert.match(o.url, /^https:\/\/127\.0\.0\.1:\d+\/files\//);
      assert.equal(result.downloads.length, 7, 'poster, three styles, three clips');
      await verify(out, result.downloads);
    } finally {
      await simWorker?.stop();
      await simFlora?.close();
      sim.kill('SIGTERM');
      if (sim.exitCode === null) await once(sim, 'close');
    }
  });
});
