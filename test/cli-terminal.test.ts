/**
 * Live progress on a real terminal: the CLI runs in a pseudo-terminal (util-linux `script`) of 60, 80 and
 * 160 columns, and what it wrote is replayed on a screen model of that width. Every redraw must leave
 * exactly one block behind (no stale wrapped lines), fitted to the width, polls and cost kept; after a
 * resize the block follows the new width.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Harness, type RunningWorker, useHarness } from './helpers/env';
import { replayScreen, runInPty } from './helpers/terminal';

let h: Harness;
let worker: RunningWorker;
let env: Record<string, string>;
let dir: string;
let file: string;

useHarness({}, (harness, w) => {
  h = harness;
  worker = w;
  // A loopback FLORA_BASE_URL is what lets the CLI accept the fast test cadence (pollMinMs < 1 s).
  env = {
    TEMPORAL_ADDRESS: h.env.address,
    FLORA_TASK_QUEUE: worker.taskQueue,
    FLORA_BASE_URL: h.sim.baseUrl,
    FLORA_API_KEY: h.sim.apiKey,
  };
});

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flora-terminal-'));
  file = join(dir, 'fit.json');
  await writeFile(
    file,
    JSON.stringify({
      name: 'fit',
      options: { pollMinMs: 100, pollMaxMs: 200 },
      steps: [
        { id: 'poster', technique: 'text-to-image', inputs: { prompt: 'a fox' } },
        {
          id: 'styles',
          technique: 'restyle-image',
          forEach: ['ink', 'oil'],
          inputs: { image: { fromStep: 'poster' }, style: { item: true } },
        },
      ],
    }),
  );
});
after(() => rm(dir, { recursive: true, force: true }));

/** The progress rows on the final screen: the pipeline's line and one per step. */
function progressRows(screen: string[]): string[] {
  return screen.filter((row) => /^(fit| {2}poster| {2}styles) /.test(row) && /\d+%/.test(row));
}

describe('progress on a terminal', () => {
  for (const cols of [60, 80, 160]) {
    test(`${cols} columns: one block, every line fits, polls and cost kept`, async () => {
      h.sim.setRunDuration(1_500);
      const r = await runInPty(['pipeline', 'run', file, '--wait'], env, { cols });
      assert.equal(r.code, 0, r.output);
      assert.ok(r.output.includes('\x1b['), 'redrawn in place on a terminal');
      const rows = progressRows(replayScreen(r.output, cols));
      assert.equal(
        rows.length,
        3,
        `one block left on the screen:\n${replayScreen(r.output, cols).join('\n')}`,
      );
      for (const row of rows) assert.ok(row.length < cols, `fits ${cols} columns: "${row}"`);
      assert.match(rows[0] ?? '', /100% completed · charged \$\d+\.\d{2}/);
      for (const row of rows.slice(1)) assert.match(row, /completed.* · \d+ polls? · \$\d+\.\d{2}/);
      if (cols >= 160) assert.match(rows[1] ?? '', /\[#{12}\] 100% completed run_\w+/, 'room for bar and id');
    });
  }

  test('a resize from 160 to 60 columns: the block follows the new width, nothing stale', async () => {
    h.sim.setRunDuration(4_000);
    const flag = join(dir, 'resize-now');
    const r = await runInPty(['pipeline', 'run', file, '--wait'], env, {
      cols: 160,
      // Resize once the progress block is up (the test touches `flag` when it sees it): the CLI reads
      // the width again at its next redraw.
      shell: (command) =>
        `${command} & pid=$!; while [ ! -e '${flag}' ]; do sleep 0.1; done; ` +
        `printf '\\033]999;60\\007'; stty cols 60; kill -WINCH $pid; wait $pid`,
      timeoutMs: 120_000,
      onOutput: (output) => {
        if (/\[#*\.+\] +\d+% running/.test(output)) void writeFile(flag, '');
      },
    });
    assert.equal(r.code, 0, r.output);
    const screen = replayScreen(r.output, 160);
    const rows = progressRows(screen);
    assert.equal(rows.length, 3, `one block left on the screen:\n${screen.join('\n')}`);
    for (const row of rows) assert.ok(row.length < 60, `fits 60 columns: "${row}"`);
    const before = r.output.slice(0, r.output.indexOf('\x1b]999;'));
    assert.match(before, /\[#*\.*\]/, 'the bar was drawn at 160 columns, before the resize');
  });
});
