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
import { LEAN_RUN_IMPLIES, LEAN_RUN_V2_IMPLIES, Patches } from '../src/workflows/patches';
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
      for (const match of source.matchAll(
        /(?<!function )\b(?:patched|deprecatePatch|patchedInRun)\(([^)]*)\)/g,
      )) {
        const arg = match[1]?.trim() ?? '';
        // The one call that passes an id through: runTechnique's helper, called with constants only.
        if (file === 'run-patches.ts' && match[0] === 'patched(id)') continue;
        if (!/^Patches\.\w+$/.test(arg)) offenders.push(`${file}: ${match[0]}`);
      }
    }
    assert.deepEqual(offenders, [], 'use an id from src/workflows/patches.ts');
  });

  test("runTechnique's modules ask patches only through patchedInRun (so flora-lean-run-v1 can stand for them)", async () => {
    const dir = join(__dirname, '..', 'src', 'workflows');
    // runPipeline's own modules ask their patches directly: flora-lean-run-v1 is runTechnique's alone.
    const pipelineOwn = ['run-pipeline.ts', 'pipeline-handlers.ts', 'patches.ts', 'run-patches.ts'];
    const offenders: string[] = [];
    for (const file of (await readdir(dir)).filter((f) => f.endsWith('.ts') && !pipelineOwn.includes(f))) {
      const source = await readFile(join(dir, file), 'utf8');
      for (const match of source.matchAll(/\b(?:patched|deprecatePatch)\(/g))
        offenders.push(`${file}: ${match[0]}`);
    }
    assert.deepEqual(offenders, [], 'call patchedInRun (src/workflows/run-patches.ts) instead');
  });

  test("flora-lean-run-v1's implied ids never change, and only patches older than it are implied", () => {
    // A copy, on purpose: once shipped, a history with the lean marker means exactly these were taken.
    assert.deepEqual(
      [...LEAN_RUN_IMPLIES],
      [
        'flora-memo-and-search-attributes-v1',
        'transient-recreate-backoff-v1',
        'poll-not-found-grace-v1',
        'poll-auth-retry-v1',
        'adoption-bounded-window-v1',
        'cancel-reports-run-id-v1',
        'download-error-keeps-result-v1',
        'flora-prefixed-activity-names-v1',
        'pipeline-child-progress-coalesced-v1',
        'flora-webhook-wake-v1',
        'flora-poll-local-activity-v1',
        'flora-predictive-cadence-v1',
        'flora-polls-on-activity-task-queue-v1',
        'flora-webhook-fallback-cadence-v1',
        'flora-webhook-end-in-next-task-v1',
        'flora-webhook-sparse-fallback-v1',
        'flora-cadence-corrects-overhead-v1',
      ],
      'LEAN_RUN_IMPLIES is frozen: a later patch is asked on its own',
    );
    const order = Object.values(Patches) as string[];
    for (const id of LEAN_RUN_IMPLIES) {
      assert.ok(order.indexOf(id) < order.indexOf(Patches.LeanRun), `${id} is declared before LeanRun`);
    }
  });

  test("flora-lean-run-v2's implied ids never change: v1's, then those added before v2", () => {
    // A copy, on purpose, as for v1: a history with the v2 marker means exactly these were taken.
    assert.deepEqual(
      [...LEAN_RUN_V2_IMPLIES],
      [...LEAN_RUN_IMPLIES, 'flora-cadence-caps-overhead-v1'],
      'LEAN_RUN_V2_IMPLIES is frozen: a later patch is asked on its own',
    );
    const order = Object.values(Patches) as string[];
    for (const id of LEAN_RUN_V2_IMPLIES) {
      assert.ok(order.indexOf(id) < order.indexOf(Patches.LeanRunV2), `${id} is declared before LeanRunV2`);
    }
  });

  test('a history that took flora-lean-run-v2 asked it first and carries no other lean marker nor one it implies', async () => {
    let lean = 0;
    for (const file of await fixtureFiles()) {
      const history = JSON.parse(await readFile(join(DIR, file), 'utf8')) as HistoryJson;
      const ids = patchIdsIn(history);
      if (!ids.includes(Patches.LeanRunV2)) continue;
      lean += 1;
      assert.equal(ids[0], Patches.LeanRunV2, `${file}: the v2 lean patch is the first asked`);
      const implied = ids.filter(
        (id) => id === Patches.LeanRun || (LEAN_RUN_V2_IMPLIES as readonly string[]).includes(id),
      );
      assert.deepEqual(implied, [], `${file}: markers of ids the v2 lean patch implies`);
    }
    assert.ok(lean >= 2, `expected the lean-v2 histories, found ${lean}`);
  });

  test('a history that took flora-lean-run-v1 asked it first and carries no marker of an id it implies', async () => {
    let lean = 0;
    for (const file of await fixtureFiles()) {
      const history = JSON.parse(await readFile(join(DIR, file), 'utf8')) as HistoryJson;
      const ids = patchIdsIn(history);
      if (!ids.includes(Patches.LeanRun)) continue;
      lean += 1;
      assert.equal(ids[0], Patches.LeanRun, `${file}: the lean patch is the first asked`);
      const implied = ids.filter((id) => (LEAN_RUN_IMPLIES as readonly string[]).includes(id));
      assert.deepEqual(implied, [], `${file}: markers of ids the lean patch implies`);
    }
    assert.ok(lean >= 5, `expected the lean-* histories, found ${lean}`);
  });
});
