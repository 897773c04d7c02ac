/**
 * The recorded histories of every shipped flora-temporal workflow version, replayed against a workflow
 * bundle: yours, when you serve flora's workflows from your own worker. Run it in your CI after
 * upgrading flora-temporal (or changing your bundle): a failure means running workflows would break.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker, type ReplayWorkerOptions } from '@temporalio/worker';

/** Shipped in the package (dist/replay-histories), or the repository's fixtures when run from source. */
export function floraHistoriesDir(): string {
  const candidates = [
    join(__dirname, '..', 'replay-histories'),
    join(__dirname, '..', '..', 'test', 'fixtures', 'histories'),
  ];
  const found = candidates.find((dir) => existsSync(dir));
  if (!found)
    throw new Error(`flora-temporal's replay histories are missing (looked in ${candidates.join(', ')})`);
  return found;
}

export interface FloraHistory {
  /** The fixture's name (its file name without `.json`). */
  name: string;
  /**
   * The workflow id it was recorded under (`fixture-<name>`, without a `~<execution>` suffix): pipelines
   * derive their children's ids from it.
   */
  workflowId: string;
  /** The history as Temporal's JSON (what `temporal workflow show --output json` prints). */
  history: unknown;
}

/** Every shipped history, sorted by name. */
export async function loadFloraHistories(dir = floraHistoriesDir()): Promise<FloraHistory[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
  return Promise.all(
    files.map(async (file) => {
      const name = file.replace(/\.json$/, '');
      return {
        name,
        // `<name>~<execution>` is one execution of a workflow that continued as new (`~first`, `~last`):
        // every execution of it was recorded under the one workflow id.
        workflowId: `fixture-${name.replace(/~[^~]*$/, '')}`,
        history: JSON.parse(await readFile(join(dir, file), 'utf8')) as unknown,
      };
    }),
  );
}

export interface FloraReplayResult {
  name: string;
  workflowId: string;
  /** Undefined when the history replayed; a `DeterminismViolationError` (or other) otherwise. */
  error: Error | undefined;
}

export interface ReplayFloraHistoriesOptions {
  /** Throw one error listing every failing history. @default true */
  throwOnFailure?: boolean;
  /** Where the histories are. @default the ones shipped with this package */
  historiesDir?: string;
}

/**
 * Replays every shipped history on a replay worker built from `worker` (e.g. `{ workflowsPath }` or
 * `{ workflowBundle }` of your own bundle, which must register `runTechnique` and `runPipeline`).
 */
export async function replayFloraHistories(
  worker: ReplayWorkerOptions,
  options: ReplayFloraHistoriesOptions = {},
): Promise<FloraReplayResult[]> {
  const { throwOnFailure = true, historiesDir } = options;
  const histories = await loadFloraHistories(historiesDir);
  const results: FloraReplayResult[] = [];
  // Temporal's replayer takes JSON histories as they are (it converts them itself). It replays them one
  // at a time and yields in input order, so the i-th result is the i-th history: names cannot be looked
  // up by workflow id, which the executions of a continued-as-new workflow share.
  const input = histories.map((h) => ({ workflowId: h.workflowId, history: h.history }));
  for await (const result of Worker.runReplayHistories(worker, input)) {
    results.push({
      name: histories[results.length]?.name ?? result.workflowId,
      workflowId: result.workflowId,
      error: result.error,
    });
  }
  const failed = results.filter((r) => r.error !== undefined);
  if (throwOnFailure && failed.length > 0) {
    throw new Error(
      `${failed.length} of ${results.length} flora-temporal histories failed to replay:\n` +
        failed.map((r) => `  ${r.name}: ${r.error?.message ?? ''}`).join('\n'),
    );
  }
  return results;
}
