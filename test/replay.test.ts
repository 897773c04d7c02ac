/**
 * Replays the recorded histories of shipped workflow versions (test/fixtures/histories, written by
 * scripts/record-histories.ts) against the current workflow code. A change that is not deterministic
 * with respect to them fails here: put it behind `patched()` instead of re-recording.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { bundleWorkflowCode, Worker, type ReplayResult } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { loadFloraHistories } from '../src/testing/replay';
import { Patches } from '../src/workflows/patches';
import { installQuietRuntime, workflowBundle } from './helpers/env';

installQuietRuntime();

const DIR = join(__dirname, 'fixtures', 'histories');

async function fixtureFiles(): Promise<string[]> {
  return (await readdir(DIR)).filter((f) => f.endsWith('.json')).sort();
}

interface HistoryJson {
  events?: {
    markerRecordedEventAttributes?: {
      markerName?: string;
      details?: Record<string, { payloads?: { data?: string }[] }>;
    };
  }[];
}

/** The patch ids a recorded history carries: the SDK's `core_patch` markers hold `{ "id": … }` as JSON. */
function patchIdsIn(history: HistoryJson): string[] {
  const ids: string[] = [];
  for (const event of history.events ?? []) {
    const marker = event.markerRecordedEventAttributes;
    if (marker?.markerName !== 'core_patch') continue;
    for (const payload of Object.values(marker.details ?? {}).flatMap((d) => d.payloads ?? [])) {
      const decoded: unknown = JSON.parse(Buffer.from(payload.data ?? '', 'base64').toString('utf8'));
      if (
        typeof decoded === 'object' &&
        decoded !== null &&
        'id' in decoded &&
        typeof decoded.id === 'string'
      )
        ids.push(decoded.id);
    }
  }
  return ids;
}

async function loadHistories() {
  // The shipped helper's loader, so this test and `replayFloraHistories` (what users run on their own
  // bundles) read the fixtures, and derive each one's workflow id, by one rule.
  return (await loadFloraHistories(DIR)).map(({ workflowId, history }) => ({ workflowId, history }));
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
    assert.ok(results.length >= 25, `expected the recorded scenarios, found ${results.length}`);
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

  test('every patch id has a history on its new path and one that straddles it', async () => {
    const missing: string[] = [];
    const byPatch = new Map<string, string[]>();
    for (const file of await fixtureFiles()) {
      const history = JSON.parse(await readFile(join(DIR, file), 'utf8')) as HistoryJson;
      for (const id of patchIdsIn(history)) byPatch.set(id, [...(byPatch.get(id) ?? []), file]);
    }
    for (const id of Object.values(Patches)) {
      const files = byPatch.get(id) ?? [];
      if (files.length === 0) missing.push(`${id}: no recorded history takes the patched path`);
      if (!files.some((file) => file.startsWith('straddle-')))
        missing.push(`${id}: no straddle-* history (started before the patch, finished after it)`);
    }
    const unknown = [...byPatch.keys()].filter((id) => !(Object.values(Patches) as string[]).includes(id));
    assert.deepEqual(unknown, [], 'histories carry patch ids that src/workflows/patches.ts no longer lists');
    assert.deepEqual(missing, [], 'record them with scripts/record-histories.ts');
  });

  test('every patched() call names a Patches constant', async () => {
    const dir = join(__dirname, '..', 'src', 'workflows');
    const offenders: string[] = [];
    for (const file of (await readdir(dir)).filter((f) => f.endsWith('.ts') && f !== 'patches.ts')) {
      const source = await readFile(join(dir, file), 'utf8');
      for (const match of source.matchAll(/\b(?:patched|deprecatePatch)\(([^)]*)\)/g)) {
        if (!/^Patches\.\w+$/.test(match[1]?.trim() ?? '')) offenders.push(`${file}: ${match[0]}`);
      }
    }
    assert.deepEqual(offenders, [], 'use an id from src/workflows/patches.ts');
  });
});
