import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bar, followProgress, renderRunStatus } from '../../src/cli/progress';
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

async function collect(isTTY: boolean, frames: string[][]): Promise<string> {
  let out = '';
  let i = 0;
  const stop = followProgress(
    () => Promise.resolve(frames[Math.min(i++, frames.length - 1)] ?? []),
    { write: (t) => (out += t), isTTY },
    5,
  );
  await new Promise((resolve) => setTimeout(resolve, 120));
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
      'cctv-cam [########............]  42% polling run_1 · 7 polls · $0',
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
});
