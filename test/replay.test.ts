/**
 * Replays the recorded histories of shipped workflow versions (test/fixtures/histories, written by
 * scripts/record-histories.ts) against the current workflow code. A change that is not deterministic
 * with respect to them fails here: put it behind `patched()` instead of re-recording.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { bundleWorkflowCode, Worker, type ReplayResult } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { installQuietRuntime, workflowBundle } from './helpers/env';

installQuietRuntime();

const DIR = join(__dirname, 'fixtures', 'histories');

async function loadHistories() {
  const files = (await readdir(DIR)).filter((f) => f.endsWith('.json')).sort();
  return Promise.all(
    files.map(async (file) => ({
      // Recorded as `fixture-<name>`; pipelines derive their children's ids from it, so replay needs it too.
      workflowId: `fixture-${file.replace(/\.json$/, '')}`,
      history: historyFromJSON(JSON.parse(await readFile(join(DIR, file), 'utf8'))),
    })),
  );
}

async function replayAll(bundle: { code: string }): Promise<ReplayResult[]> {
  const results: ReplayResult[] = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle: bundle }, await loadHistories())) {
    results.push(result);
  }
  return results;
}

describe('replay of recorded histories', () => {
  test('every recorded history replays on the current workflow code', async () => {
    const results = await replayAll(await workflowBundle());
    assert.ok(results.length >= 8, `expected the recorded scenarios, found ${results.length}`);
    for (const r of results) assert.equal(r.error, undefined, `${r.workflowId}: ${String(r.error)}`);
  });

  test('a non-deterministic change is caught (the check has teeth)', async () => {
    const changed = await bundleWorkflowCode({
      workflowsPath: require.resolve('./fixtures/changed-workflow'),
      logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
    });
    const results = await replayAll(changed);
    const completed = results.find((r) => r.workflowId === 'fixture-completed-nested');
    assert.ok(
      completed?.error instanceof DeterminismViolationError,
      `expected a determinism violation, got ${String(completed?.error)}`,
    );
  });
});
