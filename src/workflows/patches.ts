/**
 * Every `patched()` id our workflows use, in one place. A shipped workflow changes its command sequence
 * only behind one of these; test/replay.test.ts checks that each id has a recorded history that takes the
 * new path and a `straddle-*` history that started on the code before the patch and finished on the code
 * after it. Never rename or remove an id while histories that carry it may still run.
 *
 * Pure constants: safe in workflow code.
 */
export const Patches = {
  /** runTechnique and runPipeline write the memo (technique, price, charge) and the FloraRunId search attribute. */
  MemoAndSearchAttributes: 'flora-memo-and-search-attributes-v1',
} as const;
export type PatchId = (typeof Patches)[keyof typeof Patches];
