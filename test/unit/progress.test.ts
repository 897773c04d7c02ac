import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { usd } from '../../src/cli/format';
import { bar, fitLine, followProgress, renderRunStatus } from '../../src/cli/progress';
import type { RunTechniqueStatus } from '../../src/workflows/types';

const status = (progress: number, polls: number): RunTechniqueStatus => ({
  phase: 'polling',
  technique: { slug: 'cctv-cam', techniqueId: 'tech_x', name: 'CCTV Cam' },
  runId: 'run_1',
  runIds: ['run_1'],
  attempt: 1,
  progress,
  polls,
  lastPollAt: undefined,
  runCost: 0.05,
  chargedCost: 0,
  note: undefined,
  error: undefined,
});

async function collect(isTTY: boolean, frames: string[][], columns?: () => number): Promise<string> {
  let out = '';
  let i = 0;
  const stop = followProgress(
    () => Promise.resolve(frames[Math.min(i++, frames.length - 1)] ?? []),
    { write: (t) => (out += t), isTTY, ...(columns ? { columns } : {}) },
    5,
  );
  // Wait until every frame has been rendered, not for a fixed time: a loaded machine can delay the
  // timers well past any small constant.
  for (let waited = 0; i < frames.length && waited < 10_000; waited += 10) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await stop();
  return out;
}

describe('progress rendering', () => {
  test('bar is clamped and proportional', () => {
    assert.equal(bar(0, 10), '[..........]');
    assert.equal(bar(50, 10), '[#####.....]');
    assert.equal(bar(250, 10), '[##########]');
    assert.equal(bar(Number.NaN, 4), '[....]');
  });

  test('a run line carries the bar, phase, run id, polls and cost', () => {
    assert.deepEqual(renderRunStatus(status(42, 7)), [
      'cctv-cam [########............]  42% polling run_1 · 7 polls · $0.00',
    ]);
  });

  test('on a terminal the block is redrawn in place (cursor up, clear)', async () => {
    const out = await collect(true, [
      ['a 1', 'b 1'],
      ['a 2', 'b 1'],
    ]);
    assert.equal(out, 'a 1\nb 1\n\u001b[2F\u001b[Ja 2\nb 1\n');
  });

  test('elsewhere only the lines that changed are printed, without escape codes', async () => {
    const out = await collect(false, [
      ['a 1', 'b 1'],
      ['a 2', 'b 1'],
    ]);
    assert.equal(out, 'a 1\nb 1\na 2\n');
  });

  test('money has two or more decimals; one poll is singular', () => {
    assert.equal(usd(0.1), '$0.10');
    assert.equal(usd(0), '$0.00');
    assert.equal(usd(3), '$3.00');
    assert.equal(usd(0.0125), '$0.0125');
    assert.equal(usd(0.123456), '$0.1235');
    assert.match(renderRunStatus(status(10, 1))[0] ?? '', / · 1 poll · /);
  });

  test('fitLine drops the bar, then the run id, then details, keeping polls and cost', () => {
    const line =
      'text-to-image [####################] 100% completed run_abcdefghijklmnopqrst · 12 polls · $0.05';
    assert.equal(fitLine(line, 200), line);
    assert.equal(
      fitLine(line, 80),
      'text-to-image 100% completed run_abcdefghijklmnopqrst · 12 polls · $0.05',
    );
    assert.equal(fitLine(line, 50), 'text-to-image 100% completed · 12 polls · $0.05');
    const failed = `${line} · model_timeout: the model did not answer within the time limit`;
    assert.equal(
      fitLine(failed, 70),
      'text-to-image 100% completed · 12 polls · $0.05 · model_timeout: the…',
    );
    const narrow = fitLine(failed, 30);
    assert.ok(narrow.length <= 29, narrow);
    assert.match(narrow, /…/);
    for (const width of [20, 40, 60, 80, 160]) assert.ok(fitLine(failed, width).length < width);
  });

  test('on a terminal lines are fitted to its width; a resize redraws over the re-wrapped block', async () => {
    let width = 40;
    const long = 'x'.repeat(30) + ' [####] 50% running · 3 polls · $0.10';
    let out = '';
    let renders = 0;
    const stop = followProgress(
      () => {
        renders += 1;
        return Promise.resolve([long, long]);
      },
      { write: (t) => (out += t), isTTY: true, columns: () => width },
      5,
    );
    // Count renders rather than wait a fixed time, which a loaded machine can stretch.
    const rendersAfter = async (n: number) => {
      for (let waited = 0; renders < n && waited < 10_000; waited += 10) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await new Promise((resolve) => setImmediate(resolve));
    };
    await rendersAfter(3);
    const firstFrame = out;
    assert.ok(!firstFrame.includes('\u001b'), 'the same lines at the same width are drawn once');
    for (const line of firstFrame.split('\n').filter(Boolean)) assert.ok(line.length < 40, line);
    width = 20;
    await rendersAfter(renders + 2);
    await stop();
    // The 39-column lines drawn at 40 take two rows each at 20 columns: four rows up.
    assert.ok(out.slice(firstFrame.length).startsWith('\u001b[4F\u001b[J'), JSON.stringify(out));
  });
});
