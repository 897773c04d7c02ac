/**
 * The chaos harness at smoke load (`npm run chaos -- --smoke`): every row runs with tiny loads, a few
 * kills and one fault of each family, so CI keeps the harness working. A second run plants two bugs in
 * the harness's worker entry, a money bug (a new idempotency key per create attempt) and a secrets bug
 * (the worker prints its API key), and both must be caught. (With key-per-attempt the full smoke fails
 * worker-crashes too: a killed create retried under a new key bills twice.)
 *
 * The two runs go side by side (each with its own Temporal server, simulator and workers): both spend
 * most of their time waiting (activity timeouts, restarts, runs), so together they take little more
 * than the longer one.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runScript } from './helpers/run-script';

const chaos = (args: string[]) => runScript('scripts/chaos/main.ts', args);

describe('chaos smoke', { concurrency: 2 }, () => {
  test('chaos smoke: every row runs and meets its goals', { timeout: 15 * 60_000 }, async () => {
    const { code, stdout, stderr } = await chaos(['--smoke', '--seed', '1', '--no-write']);
    assert.equal(code, 0, `${stdout}\n${stderr.slice(-3000)}`);
    for (const row of [
      'Worker crashes',
      'Deploys',
      'Temporal server crash \\(dev server',
      'FLORA faults',
      'Rate limit',
      'Bad input',
      'Secrets',
    ]) {
      assert.match(
        stdout,
        new RegExp(`(PASS|WAITING|SKIPPED) +${row}`),
        `row ${row} missing or failing:\n${stdout}`,
      );
    }
    // The PostgreSQL row is never run here, but it says whether (and why not) the full run can.
    assert.match(
      stdout,
      /SKIPPED +Temporal server crash \(PostgreSQL\).*\n.*\n.*\n +note: +not part of the smoke version.*(Go, PostgreSQL and the server are here|the full run will skip it too: \S)/,
    );
    // Worker crashes: a restarted worker's start to its first FLORA poll is measured.
    assert.match(
      stdout,
      /ok +new worker's start to its first FLORA poll, p50 \/ p95: \S+ m?s \/ \S+ m?s \(\d+ restarts\)/,
    );
    assert.match(stdout, /every goal met/);
  });

  test('chaos smoke: planted money and secrets bugs are caught', { timeout: 10 * 60_000 }, async () => {
    const { code, stdout } = await chaos([
      '--smoke',
      '--seed',
      '1',
      '--no-write',
      '--only',
      'flora-faults,secrets',
      '--plant-bug',
      'key-per-attempt,leak-key',
    ]);
    assert.equal(code, 1, stdout);
    assert.match(stdout, /NO +malformed JSON: survived: .*2 creates for 1 runs/, stdout);
    assert.match(stdout, /NO +logs and output containing the API key: worker logs/, stdout);
    // Only the planted leak: the histories and traces stay clean.
    assert.match(stdout, /ok +workflow histories containing the API key: 0 of/, stdout);
  });
});
