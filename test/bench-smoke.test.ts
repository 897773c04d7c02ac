/**
 * The bench harness at smoke load (`npm run bench -- --smoke --no-write`): every system starts, drives a
 * few runs to the end and gets a row, so the lead's full run does not discover a broken system after
 * minutes of setup. It checks that the run completed and the rows exist, never a timing (those are the
 * bench's to report, and this machine is shared).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SYSTEMS } from '../bench/systems';
import { runScript } from './helpers/run-script';

const bench = (args: string[]) => runScript('bench/index.ts', args);

test(
  'bench smoke: every system completes its runs and has a row in each table, the capacity ladder included',
  { timeout: 15 * 60_000 },
  async () => {
    const { code, stdout, stderr } = await bench(['--smoke', '--no-write']);
    assert.equal(code, 0, `${stdout}\n${stderr.slice(-3000)}`);
    const matrix = stdout.slice(stdout.indexOf('## Per system and load'), stdout.indexOf('## Capacity'));
    const capacity = stdout.slice(stdout.indexOf('## Capacity'), stdout.indexOf('## Worker SIGKILL'));
    for (const system of SYSTEMS) {
      // "| N | system | done/N | creates per key |": all runs done, each created once.
      const row = new RegExp(`^\\| (\\d+) \\| ${system} \\| (\\d+)/(\\d+) \\| 1 \\|`, 'm').exec(matrix);
      assert.ok(row, `no matrix row for ${system}:\n${matrix}`);
      assert.equal(row[2], row[3], `${system}: not every run completed:\n${row[0]}`);
      assert.match(capacity, new RegExp(`^\\| ${system} \\|`, 'm'), `no capacity summary row for ${system}`);
    }
    // The capacity ladder (runs of one fixed length) ran for flora and flora-activity: all done, one create each.
    for (const system of ['flora', 'flora-activity']) {
      const row = new RegExp(`^\\| (\\d+) \\| ${system} \\| (\\d+)/(\\d+) \\| 1 \\|`, 'm').exec(capacity);
      assert.ok(row, `no fixed-length capacity row for ${system}:\n${capacity}`);
      assert.equal(row[2], row[3], `${system}: not every capacity run completed:\n${row[0]}`);
    }
    // flora-webhook's runs were woken by FLORA's callbacks, not only by their poll timers: every run's
    // callback was sent and taken (2xx), and every sampled history holds the receiver's signal.
    const hooks =
      /flora-webhook +N= *(\d+): .*, callbacks (\d+)\/(\d+) answered 2xx, (\d+)\/(\d+) sampled runs signalled/.exec(
        stderr,
      );
    assert.ok(hooks, `no callback counts for flora-webhook:\n${stderr.slice(-3000)}`);
    assert.deepEqual(hooks.slice(2), [hooks[1], hooks[1], hooks[1], hooks[1]], hooks[0]);
    // The plain loop ran at once with flora-webhook (each counts its own creates: test/unit/bench-figures).
    assert.match(stderr, /loop +N= *\d+: .*\(beside flora-webhook\)/, 'the loop beside flora-webhook');
    // The SIGKILL test (flora and the loop at once) and the compressed 6-hour run ran for flora and it finished.
    assert.match(stdout, /^\| flora \| \d+ \(\d+\) \| [\d.]+ \| .* \| (\d+)\/\1 \| 1 \|$/m, 'SIGKILL row');
    assert.match(stdout, /^\| flora \| 7200 \| .* \| yes \|$/m, '6-hour row');
  },
);
