/** The README's first command, `flora-temporal demo`, runs to completion from nothing configured. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { once } from 'node:events';
import { connect } from 'node:net';
import { runCli, spawnCli } from './helpers/cli';
import { waitFor } from './helpers/failures';

test('flora-temporal demo: embedded Temporal + simulator + worker, outputs and summary, exit 0', async () => {
  const env: Record<string, string> = {};
  if (process.env.TEMPORAL_CLI_PATH) env.TEMPORAL_CLI_PATH = process.env.TEMPORAL_CLI_PATH;
  const r = await runCli(['demo'], env, 180_000);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Outputs:\n/);
  assert.match(r.stdout, /^ {2}poster\[0\]: image \(imageUrl\) https:\/\//m);
  assert.match(r.stdout, /^ {2}styles\[1\] \(neon\): image \(imageUrl\) https:\/\//m);
  assert.match(r.stdout, /^ {2}clips\[2\]: video \(videoUrl\) https:\/\//m);
  assert.match(
    r.stdout,
    /Summary: 7 FLORA runs, \d+ FLORA requests, \$0\.88 charged, [\d.]+ s wall time, \d+ history events/,
  );
  assert.match(r.stderr, /Temporal: embedded dev server/);
  assert.match(r.stderr, /^fox-teaser \[#{20}\] 100% completed/m, 'live progress on stderr');
  assert.doesNotMatch(r.stdout, /Server:|Metrics:/, 'the dev server banner stays off stdout');
  // Quiet by default (issue 12 item 10): no dev-server banner or start-up health noise on stderr either.
  assert.doesNotMatch(r.stderr, /^(Server|Metrics|UI): |^CLI \d|not healthy|\bERROR\b/m, r.stderr);
});

test('flora-temporal demo --json: one JSON object on stdout with the pipeline result and the summary', async () => {
  const env: Record<string, string> = {};
  if (process.env.TEMPORAL_CLI_PATH) env.TEMPORAL_CLI_PATH = process.env.TEMPORAL_CLI_PATH;
  const r = await runCli(['demo', '--json'], env, 180_000);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout) as {
    result: { status: string; name: string };
    floraRuns: number;
    costUsd: number;
    historyEvents: number;
  };
  assert.equal(summary.result.status, 'completed');
  assert.equal(summary.result.name, 'fox-teaser');
  assert.equal(summary.floraRuns, 7);
  assert.equal(summary.costUsd, 0.88);
  assert.ok(summary.historyEvents > 0);
});

test('Ctrl-C stops the demo cleanly: exit 130, and the embedded Temporal server is gone', async () => {
  const env: Record<string, string> = {};
  if (process.env.TEMPORAL_CLI_PATH) env.TEMPORAL_CLI_PATH = process.env.TEMPORAL_CLI_PATH;
  const child = spawnCli(['demo'], env);
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  await waitFor(
    'the pipeline to start',
    () => Promise.resolve(/Pipeline fox-teaser: workflow/.test(stderr) ? true : undefined),
    120_000,
  );
  const address = /embedded dev server at ([\d.]+):(\d+)/.exec(stderr);
  assert.ok(address, stderr);
  child.kill('SIGINT');
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 130, stderr);
  assert.match(stderr, /SIGINT: shutting the demo down/);
  const refused = await new Promise<boolean>((resolve) => {
    const socket = connect(Number(address[2]), address[1]);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
  assert.ok(refused, 'the embedded Temporal server was shut down with the demo');
});
