import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createOutputCheckActivities } from '../../src/activities/output-check';
import { isExpiredAnswer } from '../../src/pipelines/reuse-check';

/** A file server on a real socket: the path is the status it answers with. */
let server: Server;
let base: string;

before(async () => {
  server = createServer((req, res) => {
    const status = Number(req.url?.slice(1));
    res.writeHead(Number.isInteger(status) && status >= 200 ? status : 500);
    res.end(status === 206 ? 'x' : '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('checkOutputs: what a resumed pipeline counts as an expired output', () => {
  const activities = createOutputCheckActivities({ root: undefined });

  test('gone (400, 401, 403, 404, 410) is expired; throttled or timed out (408, 425, 429) and 5xx are not; 2xx answers', async () => {
    const statuses = [206, 400, 401, 403, 404, 410, 408, 425, 429, 500, 503];
    const { urls } = await activities.checkOutputs({ urls: statuses.map((s) => `${base}/${s}`), files: [] });
    const verdict = urls.map((problem, i) => [
      statuses[i],
      problem === null ? 'answers' : isExpiredAnswer(problem) ? 'expired' : 'unchecked',
    ]);
    assert.deepEqual(verdict, [
      [206, 'answers'],
      [400, 'expired'],
      [401, 'expired'],
      [403, 'expired'],
      [404, 'expired'],
      [410, 'expired'],
      [408, 'unchecked'],
      [425, 'unchecked'],
      [429, 'unchecked'],
      [500, 'unchecked'],
      [503, 'unchecked'],
    ]);
    // The reason keeps the status, for the note the pipeline writes.
    assert.match(urls[8] ?? '', /^no answer: HTTP 429/);
  });

  test('a URL that does not answer, and one that is not http(s), are unchecked; files without a root are missing', async () => {
    const { urls, files } = await activities.checkOutputs({
      urls: ['http://127.0.0.1:1/nothing-listens', 'javascript:alert(1)'],
      files: ['a.png'],
    });
    assert.match(urls[0] ?? '', /^no answer: /);
    assert.equal(isExpiredAnswer(urls[0] ?? ''), false);
    assert.match(urls[1] ?? '', /javascript: scheme is not fetched/);
    assert.equal(isExpiredAnswer(urls[1] ?? ''), false);
    assert.deepEqual(files, [false]);
  });
});
