/**
 * `demo --real` spends money, so it asks first (issue 12, item 12): y/N on a terminal (anything but y is
 * a no, and nothing is created), `--yes` for scripts, and without a terminal it refuses rather than wait
 * for an answer nobody can give. The simulator stands in for FLORA; the question comes before Temporal.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { startSimulator, type FloraSimulator } from '../src/simulator';
import { runCli } from './helpers/cli';
import { runInPty } from './helpers/terminal';

let sim: FloraSimulator;
let env: Record<string, string>;

before(async () => {
  sim = await startSimulator({});
  env = { FLORA_BASE_URL: sim.baseUrl, FLORA_API_KEY: sim.apiKey };
});
after(() => sim.close());
beforeEach(() => sim.reset());

describe('demo --real asks before spending', () => {
  test('on a terminal: the price, then y/N; "n" spends nothing', async () => {
    let answered = false;
    const r = await runInPty(['demo', '--real'], env, {
      cols: 80,
      onOutput: (output, type) => {
        if (!answered && output.includes('Spend it? [y/N]')) {
          answered = true;
          type('n\r');
        }
      },
    });
    assert.ok(answered, r.output);
    assert.equal(r.code, 1, r.output);
    assert.match(r.output, /This demo creates about 7 FLORA runs costing about \$\d+\.\d{2}/);
    assert.match(r.output, /not confirmed; nothing was spent/);
    assert.equal(sim.stats().runsCreated, 0);
  });

  test('without a terminal it refuses, naming --yes', async () => {
    const r = await runCli(['demo', '--real'], env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /demo --real spends money: pass --yes to confirm/);
    assert.equal(sim.stats().runsCreated, 0);
  });
});
