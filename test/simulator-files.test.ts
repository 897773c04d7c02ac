/** The FLORA simulator's output files (serveFiles) over a real socket. Helpers: test/helpers/simulator-http.ts. */
import assert from 'node:assert/strict';

import { after, before, beforeEach, describe, test } from 'node:test';
import { startSimulator, type FloraSimulator, type RunObject } from '../src/simulator';

import { call, cctvBody, waitForTerminal, type ErrorBody } from './helpers/simulator-http';

describe('FLORA simulator output files (serveFiles)', () => {
  let sim: FloraSimulator;

  before(async () => {
    sim = await startSimulator({ serveFiles: true, runDurationMs: 60, control: true });
  });
  after(async () => {
    await sim.close();
  });
  beforeEach(() => {
    sim.reset();
  });

  const origin = (): string => new URL(sim.baseUrl).origin;

  async function completed(slug: string, inputs: unknown[]): Promise<RunObject> {
    const created = await call<RunObject>(sim, `/techniques/${slug}/runs`, {
      body: { inputs, mode: 'async' },
    });
    assert.equal(created.status, 200);
    const seen = await waitForTerminal(sim, created.body.poll_url);
    const last = seen[seen.length - 1];
    assert.equal(last?.status, 'completed');
    return last;
  }

  async function getFile(url: string, init: RequestInit = {}): Promise<{ res: Response; bytes: Buffer }> {
    const res = await fetch(url, init);
    return { res, bytes: Buffer.from(await res.arrayBuffer()) };
  }

  const PROMPT = [{ id: 'prompt', type: 'text', value: 'three frames of a fox' }];

  test('serves deterministic bytes of completed runs, without auth, with content-type and length', async () => {
    const run = await completed('storyboard', PROMPT);
    const urls = (run.outputs ?? []).map((o) => o.url);
    assert.equal(urls.length, 3);
    for (const url of urls)
      assert.ok(url.startsWith(`http://127.0.0.1:${sim.port}/files/runs/${run.run_id}/`));

    const first = await getFile(urls[0] ?? '');
    assert.equal(first.res.status, 200);
    assert.equal(first.res.headers.get('content-type'), 'image/png');
    assert.equal(first.res.headers.get('content-length'), String(first.bytes.length));
    assert.ok(first.bytes.length > 1000 && first.bytes.length < 10_000, `${first.bytes.length} bytes`);
    assert.equal(first.bytes.subarray(1, 4).toString('latin1'), 'PNG');
    const again = await getFile(urls[0] ?? '');
    assert.ok(again.bytes.equals(first.bytes), 'the same URL always serves the same bytes');
    const other = await getFile(urls[1] ?? '');
    assert.ok(!other.bytes.equals(first.bytes), 'each output has its own bytes');

    const head = await getFile(urls[0] ?? '', { method: 'HEAD' });
    assert.equal(head.res.status, 200);
    assert.equal(head.res.headers.get('content-length'), String(first.bytes.length));
    assert.equal(head.bytes.length, 0);

    const stats = sim.stats();
    assert.equal(stats.requests.getFile, 4);
    assert.equal(stats.responses['getFile 200'], 4);
  });

  test('video, audio and documents look like their formats', async () => {
    const video = await completed('image-to-video', [
      { id: 'input_image', type: 'imageUrl', value: 'https://example.com/photo.png' },
    ]);
    const mp4 = await getFile(video.outputs?.[0]?.url ?? '');
    assert.equal(mp4.res.headers.get('content-type'), 'video/mp4');
    assert.equal(mp4.bytes.subarray(4, 8).toString('latin1'), 'ftyp');
    const speech = await completed('text-to-speech', [{ id: 'text', type: 'text', value: 'hello' }]);
    const mp3 = await getFile(speech.outputs?.[0]?.url ?? '');
    assert.equal(mp3.res.headers.get('content-type'), 'audio/mpeg');
    assert.equal(mp3.bytes.subarray(0, 3).toString('latin1'), 'ID3');
  });

  test('404 for unknown runs and outputs, text outputs and unfinished runs; 405 for other methods', async () => {
    // A run that cannot finish during the check, however slow the machine.
    sim.setRunDuration(3_600_000, 'cctv-cam');
    const pending = await call<RunObject>(sim, '/techniques/cctv-cam/runs', { body: cctvBody() });
    sim.setRunDuration(60, 'cctv-cam');
    const early = await getFile(`${origin()}/files/runs/${pending.body.run_id}/image.png`);
    assert.equal(early.res.status, 404, 'no file before the run completes');
    const created = await call<RunObject>(sim, '/techniques/cctv-cam/runs', { body: cctvBody() });
    await waitForTerminal(sim, created.body.poll_url);
    assert.equal((await getFile(`${origin()}/files/runs/${created.body.run_id}/image.png`)).res.status, 200);
    for (const path of [
      `/files/runs/run_nope/image.png`,
      `/files/runs/${created.body.run_id}/image.jpg`,
      `/files/runs/${created.body.run_id}/other.png`,
      `/files/runs/${created.body.run_id}`,
    ]) {
      assert.equal((await getFile(`${origin()}${path}`)).res.status, 404, path);
    }
    const caption = await completed('caption-image', [
      { id: 'image', type: 'imageUrl', value: 'https://example.com/photo.png' },
    ]);
    assert.equal(caption.outputs?.[0]?.type, 'text');
    assert.equal((await getFile(`${origin()}/files/runs/${caption.run_id}/caption.txt`)).res.status, 404);
    const post = await getFile(`${origin()}/files/runs/${created.body.run_id}/image.png`, { method: 'POST' });
    assert.equal(post.res.status, 405);
  });

  test('expireFiles: 410 for the runs made so far; later runs and reset() get working URLs', async () => {
    const before = await completed('cctv-cam', cctvBody().inputs as unknown[]);
    const url = before.outputs?.[0]?.url ?? '';
    sim.expireFiles();
    const gone = await getFile(url);
    assert.equal(gone.res.status, 410);
    assert.match((JSON.parse(gone.bytes.toString('utf8')) as ErrorBody).error.message, /expired/);
    const later = await completed('cctv-cam', cctvBody().inputs as unknown[]);
    assert.equal((await getFile(later.outputs?.[0]?.url ?? '')).res.status, 200);

    const viaControl = await call(sim, '/_sim/expire-files', { method: 'POST', key: null });
    assert.equal(viaControl.status, 200);
    assert.equal((await getFile(later.outputs?.[0]?.url ?? '')).res.status, 410);
  });

  test('faults aim at getFile: a 5xx, and a body cut off after half its bytes', async () => {
    const run = await completed('cctv-cam', cctvBody().inputs as unknown[]);
    const url = run.outputs?.[0]?.url ?? '';
    sim.addFault('getFile', { kind: 'status5xx' });
    assert.equal((await getFile(url)).res.status, 503);
    sim.addFault('getFile', { kind: 'malformedJson' });
    await assert.rejects(getFile(url));
    assert.equal((await getFile(url)).res.status, 200);
    const stats = sim.stats();
    assert.equal(stats.requests.getFile, 3);
    assert.equal(stats.responses['getFile 503'], 1);
    assert.equal(stats.responses['getFile truncated'], 1);
  });

  test('without serveFiles /files is an unknown path; an explicit outputBaseUrl wins', async () => {
    const plain = await startSimulator({ runDurationMs: 0 });
    const proxied = await startSimulator({
      runDurationMs: 0,
      serveFiles: true,
      outputBaseUrl: 'https://cdn.example/flora/',
    });
    try {
      const run = await call<RunObject>(plain, '/techniques/cctv-cam/runs', { body: cctvBody() });
      const polled = await call<RunObject>(plain, run.body.poll_url);
      assert.match(
        polled.body.outputs?.[0]?.url ?? '',
        /^https:\/\/files\.flora-sim\.test\/runs\/run_\w+\/image\.png$/,
      );
      const path = new URL(polled.body.outputs?.[0]?.url ?? '').pathname;
      assert.equal((await getFile(`${new URL(plain.baseUrl).origin}/files${path}`)).res.status, 404);
      assert.equal(plain.stats().requests.getFile, 0);
      assert.equal(plain.stats().responses['unmatched 404'], 1);

      const other = await call<RunObject>(proxied, '/techniques/cctv-cam/runs', { body: cctvBody() });
      const done = await call<RunObject>(proxied, other.body.poll_url);
      const url = done.body.outputs?.[0]?.url ?? '';
      assert.match(url, /^https:\/\/cdn\.example\/flora\/runs\/run_\w+\/image\.png$/);
      const local = `${new URL(proxied.baseUrl).origin}/files${new URL(url).pathname.slice('/flora'.length)}`;
      assert.equal((await getFile(local)).res.status, 200, 'files are still served, behind the proxy');
    } finally {
      await plain.close();
      await proxied.close();
    }
  });
});
