/** The README's first command, `flora-temporal demo`, runs to completion from nothing configured. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from './helpers/cli';

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
});
