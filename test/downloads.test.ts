import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { access, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Agent } from 'undici';
import {
  DownloadError,
  DownloadErrorCode,
  checkDownloadUrl,
  downloadOutputs,
  extensionFor,
  fetchToFile,
  readManifest,
  redactUrl,
  sanitizeFileName,
  type DownloadableOutput,
} from '../src/downloads';
import { FloraClient, type NestedInput } from '../src/flora/client';
import { DEFAULT_CATALOG, startSimulator, type FloraSimulator, type SimTechnique } from '../src/simulator';
import { startHttpStub, type HttpStub } from './helpers/http-stub';

/** One output of every file type, and a text one. */
const MEDIA_KIT: SimTechnique = {
  technique_id: 'tech_mediakit01',
  slug: 'media-kit',
  name: 'Media Kit',
  run_cost: 0.01,
  inputs: [{ id: 'prompt', name: 'Prompt', type: 'text' }],
  outputs: [
    { id: 'poster', name: 'Poster', type: 'imageUrl' },
    { id: 'clip', name: 'Clip', type: 'videoUrl' },
    { id: 'jingle', name: 'Jingle', type: 'audioUrl' },
    { id: 'brief', name: 'Brief', type: 'documentUrl' },
    { id: 'tagline', name: 'Tagline', type: 'text' },
  ],
};

/** Output ids a hostile or careless server could send. */
const ODD_NAMES: SimTechnique = {
  technique_id: 'tech_oddnames01',
  slug: 'odd-names',
  name: 'Odd Names',
  run_cost: 0.01,
  inputs: [{ id: 'prompt', name: 'Prompt', type: 'text' }],
  outputs: [
    { id: '../../escape', name: 'Escape', type: 'imageUrl' },
    { id: 'a b/c?d', name: 'Spaces', type: 'imageUrl' },
  ],
};

const PROMPT: NestedInput[] = [{ id: 'prompt', type: 'text', value: 'a red fox at dawn' }];
const PHOTO: NestedInput[] = [{ id: 'input_image', type: 'imageUrl', value: 'https://example.com/p.png' }];

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function catchError(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  assert.fail('expected a rejection');
}

async function catchDownloadError(promise: Promise<unknown>): Promise<DownloadError> {
  const err = await catchError(promise);
  assert.ok(err instanceof DownloadError, `expected a DownloadError, got ${String(err)}`);
  return err;
}

describe('downloadOutputs against the simulator', () => {
  let sim: FloraSimulator;
  let flora: FloraClient;
  let stub: HttpStub;
  let root: string;
  let dirs = 0;

  const freshDir = (): string => join(root, `d${(dirs += 1)}`);
  const fileRequests = (): number => sim.stats().requests.getFile;

  /** Creates a run with the real client and polls it until its outputs exist. */
  async function completedOutputs(slug: string, inputs: NestedInput[]): Promise<DownloadableOutput[]> {
    const created = await flora.createRunNested({ slug, inputs });
    for (let i = 0; i < 100; i += 1) {
      const run = await flora.getRun({ technique: slug, runId: created.data.run_id });
      if (run.status === 'completed') {
        return (run.outputs ?? []).map((o) => ({ outputId: o.output_id, type: o.type, url: o.url }));
      }
      assert.notEqual(run.status, 'failed');
      await sleep(20);
    }
    throw new Error(`run ${created.data.run_id} never completed`);
  }

  async function served(url: string): Promise<{ bytes: Buffer; contentType: string | null }> {
    const res = await fetch(url);
    assert.equal(res.status, 200);
    return { bytes: Buffer.from(await res.arrayBuffer()), contentType: res.headers.get('content-type') };
  }

  before(async () => {
    sim = await startSimulator({
      serveFiles: true,
      runDurationMs: 100,
      techniques: [...DEFAULT_CATALOG, MEDIA_KIT, ODD_NAMES],
    });
    flora = new FloraClient({ baseUrl: sim.baseUrl, apiKey: sim.apiKey });
    // Shapes the simulator does not produce: redirects, and a body without a content-length.
    stub = await startHttpStub((req, res) => {
      if (req.url.startsWith('/redirect?to=')) {
        res.writeHead(302, { location: decodeURIComponent(req.url.slice('/redirect?to='.length)) });
        res.end();
      } else if (req.url === '/chunked.png') {
        res.writeHead(200, { 'content-type': 'image/png' });
        for (let i = 0; i < 16; i += 1) res.write(Buffer.alloc(1024, i));
        res.end();
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    root = await mkdtemp(join(tmpdir(), 'flora-downloads-'));
  });
  after(async () => {
    await flora.close();
    await sim.close();
    await stub.close();
    await rm(root, { recursive: true, force: true });
  });

  test('saves every output type with the sha256 of the served bytes; text as .txt', async () => {
    const outputs = await completedOutputs('media-kit', PROMPT);
    assert.match(outputs[0]?.url ?? '', /^http:\/\/127\.0\.0\.1:\d+\/files\/runs\/run_\w+\/poster\.png$/);
    const dir = freshDir();
    const manifest = await downloadOutputs(outputs, dir, { concurrency: 2 });

    assert.equal(manifest.version, 1);
    assert.deepEqual(
      manifest.files.map((f) => [f.outputId, f.file, f.contentType]),
      [
        ['poster', 'poster.png', 'image/png'],
        ['clip', 'clip.mp4', 'video/mp4'],
        ['jingle', 'jingle.mp3', 'audio/mpeg'],
        ['brief', 'brief.pdf', 'application/pdf'],
        ['tagline', 'tagline.txt', 'text/plain; charset=utf-8'],
      ],
    );
    for (const entry of manifest.files) {
      const onDisk = await readFile(join(dir, entry.file));
      assert.equal(entry.sha256, sha256(onDisk), entry.file);
      assert.equal(entry.bytes, onDisk.length, entry.file);
      assert.ok(!Number.isNaN(Date.parse(entry.downloadedAt)));
      if (entry.type === 'text') {
        assert.equal(onDisk.toString('utf8'), entry.url);
        continue;
      }
      const { bytes, contentType } = await served(entry.url);
      assert.equal(sha256(bytes), entry.sha256, `${entry.file} matches what the simulator serves`);
      assert.equal(contentType, entry.contentType);
      assert.ok(bytes.length > 500, `${entry.file} is a few KB`);
    }
    const png = await readFile(join(dir, 'poster.png'));
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.match((await readFile(join(dir, 'brief.pdf'), 'latin1')).slice(0, 8), /^%PDF-1\./);

    assert.deepEqual(await readManifest(dir), manifest);
    assert.deepEqual((await readdir(dir)).sort(), [
      'brief.pdf',
      'clip.mp4',
      'jingle.mp3',
      'manifest.json',
      'poster.png',
      'tagline.txt',
    ]);
  });

  test('merges the manifest across calls, replacing entries for the same file', async () => {
    const [first, frames, second] = await Promise.all([
      completedOutputs('cctv-cam', PHOTO),
      completedOutputs('storyboard', PROMPT),
      completedOutputs('cctv-cam', PHOTO),
    ]);
    const dir = freshDir();
    await downloadOutputs(first, dir, { prefix: 'step-0-' });
    const added = await downloadOutputs(frames, dir, { prefix: 'step-1-' });
    assert.deepEqual(
      added.files.map((f) => f.file),
      ['step-1-frame_1.png', 'step-1-frame_2.png', 'step-1-frame_3.png'],
    );
    let manifest = await readManifest(dir);
    assert.deepEqual(
      manifest?.files.map((f) => f.file),
      ['step-0-image.png', 'step-1-frame_1.png', 'step-1-frame_2.png', 'step-1-frame_3.png'],
    );

    // Same prefix, another run: the file is replaced and so is its entry, in place.
    await downloadOutputs(second, dir, { prefix: 'step-0-' });
    manifest = await readManifest(dir);
    assert.equal(manifest?.files.length, 4);
    assert.equal(manifest?.files[0]?.url, second[0]?.url);
    assert.notEqual(second[0]?.url, first[0]?.url);
    assert.equal(manifest?.files[0]?.sha256, sha256(await readFile(join(dir, 'step-0-image.png'))));

    // Concurrent calls into one directory (pipeline steps) do not lose each other's entries.
    const shared = freshDir();
    await Promise.all([
      downloadOutputs(first, shared, { prefix: 'a-' }),
      downloadOutputs(frames, shared, { prefix: 'b-' }),
      downloadOutputs(second, shared, { prefix: 'c-' }),
    ]);
    assert.equal((await readManifest(shared))?.files.length, 5);
  });

  test('a repeated call makes no request; a file changed on disk is fetched again', async () => {
    const outputs = await completedOutputs('storyboard', PROMPT);
    const dir = freshDir();
    const first = await downloadOutputs(outputs, dir);
    const requests = fileRequests();
    const manifestBefore = await readFile(join(dir, 'manifest.json'), 'utf8');

    const second = await downloadOutputs(outputs, dir);
    assert.deepEqual(second, first);
    assert.equal(fileRequests(), requests, 'no file request on the second call');
    assert.equal(await readFile(join(dir, 'manifest.json'), 'utf8'), manifestBefore);

    await writeFile(join(dir, 'frame_2.png'), 'not the file we downloaded');
    const third = await downloadOutputs(outputs, dir);
    assert.equal(fileRequests(), requests + 1, 'only the damaged file is fetched again');
    assert.equal(third.files[1]?.sha256, first.files[1]?.sha256);
    assert.equal(sha256(await readFile(join(dir, 'frame_2.png'))), first.files[1]?.sha256);
  });

  test('an expired URL fails with http_error 410, not retryable, saying to re-run; a new run recovers', async () => {
    const [output] = await completedOutputs('cctv-cam', PHOTO);
    assert.ok(output);
    sim.expireFiles();
    const dir = freshDir();
    const signed = { ...output, url: `${output.url}?token=s3cr3t-signature` };
    const err = await catchDownloadError(downloadOutputs([signed], dir));
    assert.equal(err.code, DownloadErrorCode.HttpError);
    assert.equal(err.status, 410);
    assert.equal(err.retryable, false);
    assert.equal(err.outputId, 'image');
    assert.match(err.message, /expired/);
    assert.match(err.message, /re-run/i);
    assert.equal(err.url, output.url, 'the URL without its query string');
    assert.doesNotMatch(`${err.message} ${err.url} ${err.stack ?? ''}`, /s3cr3t/);
    assert.deepEqual(await readdir(dir), [], 'no partial file, no manifest');

    const fresh = await completedOutputs('cctv-cam', PHOTO);
    const saved = await downloadOutputs(fresh, dir);
    assert.equal(saved.files.length, 1);
  });

  test('a 5xx is retryable and the next attempt succeeds', async () => {
    const outputs = await completedOutputs('cctv-cam', PHOTO);
    const dir = freshDir();
    sim.addFault('getFile', { kind: 'status5xx' });
    const err = await catchDownloadError(downloadOutputs(outputs, dir));
    assert.equal(err.code, 'http_error');
    assert.equal(err.status, 503);
    assert.equal(err.retryable, true);
    assert.match(err.message, /retry later/);
    assert.deepEqual(await readdir(dir), []);
    assert.equal((await downloadOutputs(outputs, dir)).files.length, 1);
  });

  test('refuses plain http to other hosts and other schemes before any request', async () => {
    const [good] = await completedOutputs('cctv-cam', PHOTO);
    assert.ok(good);
    const requests = fileRequests();
    const dir = freshDir();
    const refused = async (url: string, options = {}): Promise<DownloadError> => {
      const err = await catchDownloadError(
        downloadOutputs([good, { outputId: 'x', type: 'imageUrl', url }], dir, options),
      );
      assert.equal(err.code, DownloadErrorCode.RefusedUrl, url);
      assert.equal(err.retryable, false);
      return err;
    };
    const http = await refused('http://files.example.com/x.png?sig=secret');
    assert.match(http.message, /loopback/);
    assert.equal(http.url, 'http://files.example.com/x.png');
    assert.match((await refused('file:///etc/passwd')).message, /file scheme/);
    await refused('ftp://files.example.com/x.png');
    await refused('not a url');
    const strict = await catchDownloadError(downloadOutputs([good], dir, { allowHttpLoopback: false }));
    assert.equal(strict.code, 'refused_url');
    assert.equal(fileRequests(), requests, 'nothing was fetched, not even the good URL');
    assert.equal(await exists(dir), false, 'the directory was not even created');
  });

  test('maxBytes: a declared length over the limit fails too_large before writing', async () => {
    const outputs = await completedOutputs('image-to-video', PHOTO);
    const dir = freshDir();
    const err = await catchDownloadError(downloadOutputs(outputs, dir, { maxBytes: 1000 }));
    assert.equal(err.code, DownloadErrorCode.TooLarge);
    assert.equal(err.retryable, false);
    assert.match(err.message, /maxBytes \(1000 bytes\)/);
    assert.deepEqual(await readdir(dir), []);
  });

  test('maxBytes: a body without a length is cut off mid-stream and its partial file removed', async () => {
    const dir = freshDir();
    const output = { outputId: 'big', type: 'imageUrl', url: `${stub.origin}/chunked.png` };
    const err = await catchDownloadError(downloadOutputs([output], dir, { maxBytes: 4096 }));
    assert.equal(err.code, 'too_large');
    assert.deepEqual(await readdir(dir), []);
    // Under the limit, the same body is saved whole.
    const saved = await downloadOutputs([output], dir, { maxBytes: 16 * 1024 });
    assert.equal(saved.files[0]?.bytes, 16 * 1024);
    assert.equal(saved.files[0]?.file, 'big.png');
  });

  test('a file that does not arrive within timeoutMs fails with a retryable timeout', async () => {
    const outputs = await completedOutputs('cctv-cam', PHOTO);
    const dir = freshDir();
    sim.addFault('getFile', { kind: 'latency', latencyMs: 3000 });
    const started = Date.now();
    const err = await catchDownloadError(downloadOutputs(outputs, dir, { timeoutMs: 150 }));
    assert.ok(Date.now() - started < 1500, 'gave up at the timeout, not at the answer');
    assert.equal(err.code, DownloadErrorCode.Timeout);
    assert.equal(err.retryable, true);
    assert.match(err.message, /within 150 ms/);
    assert.deepEqual(await readdir(dir), []);
  });

  test('a reset connection and a body cut short are retryable network errors, leaving nothing behind', async () => {
    const outputs = await completedOutputs('cctv-cam', PHOTO);
    const dir = freshDir();
    sim.addFault('getFile', { kind: 'reset' });
    const reset = await catchDownloadError(downloadOutputs(outputs, dir));
    assert.equal(reset.code, DownloadErrorCode.NetworkError);
    assert.equal(reset.retryable, true);

    sim.addFault('getFile', { kind: 'malformedJson' });
    const truncated = await catchDownloadError(downloadOutputs(outputs, dir));
    assert.equal(truncated.code, 'network_error');
    assert.equal(truncated.status, 200);
    assert.equal(sim.stats().responses['getFile truncated'], 1);
    assert.deepEqual(await readdir(dir), []);
  });

  test('output ids cannot name a path outside the directory', async () => {
    const outputs = await completedOutputs('odd-names', PROMPT);
    const parent = freshDir();
    const dir = join(parent, 'inner');
    const manifest = await downloadOutputs(outputs, dir);
    assert.deepEqual(
      manifest.files.map((f) => f.file),
      ['___.._escape.png', 'a_b_c_d.png'],
    );
    for (const entry of manifest.files) {
      assert.match(entry.file, /^[A-Za-z0-9._-]+$/);
      assert.equal(resolve(dir, entry.file), join(resolve(dir), entry.file));
    }
    assert.deepEqual(await readdir(parent), ['inner']);

    const clash = await catchError(
      downloadOutputs(
        [
          { outputId: 'a/b', type: 'text', url: 'one' },
          { outputId: 'a_b', type: 'text', url: 'two' },
        ],
        dir,
      ),
    );
    assert.ok(clash instanceof TypeError);
    assert.match(clash.message, /"a\/b", "a_b" → a_b/);
  });

  test('follows redirects, but only to URLs it would have accepted', async () => {
    const [output] = await completedOutputs('cctv-cam', PHOTO);
    assert.ok(output);
    const dir = freshDir();
    const via = `${stub.origin}/redirect?to=${encodeURIComponent(output.url)}`;
    const saved = await downloadOutputs([{ ...output, url: via }], dir);
    assert.equal(saved.files[0]?.file, 'image.png');
    assert.equal(saved.files[0]?.sha256, sha256((await served(output.url)).bytes));

    const evil = `${stub.origin}/redirect?to=${encodeURIComponent('http://internal.example/secret.png')}`;
    const err = await catchDownloadError(downloadOutputs([{ ...output, outputId: 'evil', url: evil }], dir));
    assert.equal(err.code, 'refused_url');
    assert.equal(err.url, 'http://internal.example/secret.png');
  });

  test('an aborted signal rejects with its reason and leaves no partial file', async () => {
    const outputs = await completedOutputs('cctv-cam', PHOTO);
    const dir = freshDir();
    sim.addFault('getFile', { kind: 'latency', latencyMs: 3000 });
    const controller = new AbortController();
    const reason = new Error('activity cancelled');
    setTimeout(() => controller.abort(reason), 50);
    const err = await catchError(downloadOutputs(outputs, dir, { signal: controller.signal }));
    assert.equal(err, reason);
    assert.deepEqual(await readdir(dir), []);
  });

  test('a local disk error surfaces as itself, not as a retryable network error', async () => {
    const [output] = await completedOutputs('cctv-cam', PHOTO);
    assert.ok(output);
    const dispatcher = new Agent();
    try {
      const err = await catchError(
        fetchToFile(new URL(output.url), join(freshDir(), 'missing', 'x.partial'), {
          dispatcher,
          timeoutMs: 5000,
          maxBytes: 1e6,
          allowHttpLoopback: true,
        }),
      );
      assert.ok(!(err instanceof DownloadError), String(err));
      assert.equal((err as NodeJS.ErrnoException).code, 'ENOENT');
    } finally {
      await dispatcher.close();
    }
  });

  test('malformed options and outputs are reported all at once, naming each field', async () => {
    const err = await catchError(
      downloadOutputs([{ outputId: '', type: 'imageUrl', url: 'https://x.test/a.png' }], freshDir(), {
        timeoutMs: 0,
        concurrency: 1.5,
        manifestName: '../manifest.json',
      }),
    );
    assert.ok(err instanceof TypeError);
    assert.match(err.message, /options\.timeoutMs/);
    assert.match(err.message, /options\.concurrency/);
    assert.match(err.message, /options\.manifestName/);
    const outputsErr = await catchError(
      downloadOutputs([{ outputId: '', type: 'imageUrl', url: 'https://x.test/a.png' }], freshDir()),
    );
    assert.ok(outputsErr instanceof TypeError);
    assert.match(outputsErr.message, /outputs\.0\.outputId: must be a non-empty string/);
  });
});

describe('download naming and URL policy', () => {
  test('extensions come from the content-type, else the URL path, else .bin', () => {
    const cases: Array<[string | undefined, string, string]> = [
      ['image/png', 'https://x.test/a', '.png'],
      ['IMAGE/JPEG; charset=binary', 'https://x.test/a.png', '.jpg'],
      ['image/webp', 'https://x.test/a', '.webp'],
      ['video/mp4', 'https://x.test/a', '.mp4'],
      ['audio/mpeg', 'https://x.test/a', '.mp3'],
      ['audio/wav', 'https://x.test/a', '.wav'],
      ['application/pdf', 'https://x.test/a', '.pdf'],
      ['text/plain; charset=utf-8', 'https://x.test/a', '.txt'],
      ['application/octet-stream', 'https://x.test/dir.v2/clip.MOV?sig=a.b', '.mov'],
      [undefined, 'https://x.test/a.tar.gz', '.gz'],
      [undefined, 'https://x.test/dir.d/file', '.bin'],
      ['application/x-unknown', 'https://x.test/', '.bin'],
    ];
    for (const [contentType, url, ext] of cases) assert.equal(extensionFor(contentType, url), ext, url);
  });

  test('file names keep only [A-Za-z0-9._-] and never start with a dot', () => {
    assert.equal(sanitizeFileName('poster-0-image_1.v2'), 'poster-0-image_1.v2');
    assert.equal(sanitizeFileName('../../etc/passwd'), '___.._etc_passwd');
    assert.equal(sanitizeFileName('..'), '__');
    assert.equal(sanitizeFileName('C:\\Windows\\x'), 'C__Windows_x');
    assert.equal(sanitizeFileName('日本'), '__');
    assert.equal(sanitizeFileName('x'.repeat(300)).length, 200);
  });

  test('plain http only to loopback hosts', () => {
    for (const url of ['https://cdn.example/a.png', 'http://127.0.0.1:8080/a', 'http://127.9.8.7/a']) {
      assert.equal(checkDownloadUrl(url, true).href, new URL(url).href);
    }
    for (const url of ['http://localhost:3000/a', 'http://[::1]:3000/a', 'http://127.1/a']) {
      assert.ok(checkDownloadUrl(url, true));
    }
    for (const url of [
      'http://128.0.0.1/a',
      'http://localhost.evil.example/a',
      'http://127.0.0.1.nip.io/a',
      'http://10.0.0.1/a',
      'data:text/plain,hi',
      'javascript:alert(1)',
    ]) {
      assert.throws(
        () => checkDownloadUrl(url, true),
        (err: unknown) => err instanceof DownloadError && err.code === 'refused_url',
        url,
      );
    }
    assert.throws(() => checkDownloadUrl('http://127.0.0.1/a', false), /allowHttpLoopback is off/);
  });

  test('retryable: 5xx, 408, 429, timeouts and network errors; other 4xx never', () => {
    const url = 'https://cdn.example/a.png';
    for (const status of [500, 502, 503, 408, 429])
      assert.equal(DownloadError.http(url, status).retryable, true);
    for (const status of [400, 401, 403, 404, 410])
      assert.equal(DownloadError.http(url, status).retryable, false);
    for (const status of [403, 404, 410]) assert.match(DownloadError.http(url, status).message, /expired/);
    assert.equal(DownloadError.timeout(url, 10).retryable, true);
    assert.equal(DownloadError.network(url, 'ECONNRESET').retryable, true);
    assert.equal(DownloadError.tooLarge(url, 10).retryable, false);
  });

  test('redactUrl drops the query string, fragment and credentials', () => {
    assert.equal(
      redactUrl('https://user:pw@cdn.example/runs/a.png?X-Amz-Signature=abc#frag'),
      'https://cdn.example/runs/a.png',
    );
    assert.equal(redactUrl('not a url?token=abc'), 'not a url');
    const err = DownloadError.network('https://cdn.example/a?token=abc', 'socket hang up at /a?token=abc');
    assert.doesNotMatch(err.message, /abc/);
  });
});
