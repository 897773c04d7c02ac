/**
 * How flora's workflow bundle is built, wherever it is built (`npm run build`, a worker bundling at start,
 * the bench, the tests), so every one of them runs the same sandbox layout.
 */
import { join } from 'node:path';

/**
 * Modules the workflow sandbox evaluates once per worker and shares between every cached workflow,
 * instead of once per workflow. In the SDK's reusable V8 context each workflow otherwise gets its own
 * instance of every module it imports, and zod's (its classes, checks, locale and regexes) are most of a
 * cached run's memory (docs/SCALING.md, "Memory per cached run").
 *
 * zod is preloaded through src/domain/zod-preload.ts rather than by name: zod is marked free of side
 * effects, so the bundler drops a bare `require('zod')`. Only modules that never import
 * `@temporalio/workflow` and hold no per-workflow state may go here: their module scope runs before any
 * workflow exists, and the SDK freezes them.
 *
 * Then every module of src/domain and src/pipelines that the workflows import (with what they import):
 * pure functions and constants, about 45 KB of heap per cached workflow and 0.7 ms of each start
 * otherwise. Their zod schemas are built on first use (pipelines/spec.ts, domain/run-options.ts), after
 * the freeze, so the first workflow to need one builds it, unfrozen, for all: a schema is pure, the same
 * for every workflow. (A bundle built without these preloads keeps one run-option schema per cached
 * runTechnique, ~100 KB, built at its start.)
 *
 * A path without an extension resolves to the .ts source under tsx and to the compiled .js in dist/;
 * paths are relative to the library root (src/ or dist/).
 */
export const PRELOADED_WORKFLOW_MODULES: readonly string[] = [
  'domain/zod-preload',
  'domain/activity-names',
  'domain/failure-chain',
  'domain/failures',
  'domain/request-check',
  'domain/retry-delays',
  'domain/run-options',
  'domain/search-attribute-keys',
  'pipelines/batches',
  'pipelines/billing',
  'pipelines/fetch-plan',
  'pipelines/plan',
  'pipelines/reuse-check',
  'pipelines/reuse',
  'pipelines/scheduler',
  'pipelines/spec',
  'pipelines/state',
];

/**
 * The bundler options flora's bundle is built with (spread into `bundleWorkflowCode`'s options).
 * `libraryRoot` is the directory holding flora's modules: src/ under tsx (the default, next to this file),
 * or dist/ when `npm run build` bundles the compiled code.
 */
export function floraBundlerOptions(libraryRoot: string = join(__dirname, '..')): {
  preloadModules: string[];
} {
  return { preloadModules: PRELOADED_WORKFLOW_MODULES.map((module) => join(libraryRoot, module)) };
}
