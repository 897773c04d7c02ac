/**
 * Every patch check of a runTechnique execution goes through `patchedInRun` (test/replay.test.ts checks
 * that no runTechnique module calls `patched` itself), so one answer can stand for many.
 *
 * `decideLeanRun()` asks `Patches.LeanRun` once, in the execution's first workflow task, before any other
 * patch check. An execution that began on code with it gets true, and every id of LEAN_RUN_IMPLIES is then
 * taken without being asked: no marker and no `TemporalChangeVersion` upsert for each (2 history events an
 * id). An execution that began on older code replays its first task without the lean marker (a straddling
 * one included: its first task is always replayed), gets false, and asks each id as it always did, so its
 * history replays marker for marker. Asking later than the first task would be wrong: a straddling
 * execution would then get true after having answered some implied id false.
 *
 * `Patches.LeanRunV2` works the same way one version on: asked first, true stands for LEAN_RUN_V2_IMPLIES (all
 * that LeanRun stands for, and later ids) and LeanRun is then not asked; false (an execution that began
 * before it: its first task replays without the v2 marker, so `patched` answers false) asks LeanRun as
 * before. A fresh execution thus writes one lean marker either way.
 *
 * Module state is per workflow execution (the SDK gives each execution its own module instances), and only
 * runTechnique decides: in a runPipeline execution (which shares flora-activities.ts) nothing is decided,
 * and each id is asked as before.
 */
import { patched } from '@temporalio/workflow';
import { LEAN_RUN_IMPLIES, LEAN_RUN_V2_IMPLIES, Patches, type PatchId } from './patches';

/** Which lean patch the execution took: 0 for neither. Undefined until decided: a pipeline, or a runTechnique refused before it began. */
let lean: 0 | 1 | 2 | undefined;

/** Asks `Patches.LeanRunV2`, then (if not taken) `Patches.LeanRun`, once per execution: call it first thing, in the first workflow task. */
export function decideLeanRun(): boolean {
  lean ??= patched(Patches.LeanRunV2) ? 2 : patched(Patches.LeanRun) ? 1 : 0;
  return lean > 0;
}

/** Whether this execution took `Patches.LeanRun` or `Patches.LeanRunV2` (false when undecided). */
export function isLeanRun(): boolean {
  return lean === 1 || lean === 2;
}

/** `patched(id)`, or true without asking when the execution took a lean patch that implies `id`. */
export function patchedInRun(id: PatchId): boolean {
  if (lean === 2 && LEAN_RUN_V2_IMPLIES.includes(id)) return true;
  if (lean === 1 && LEAN_RUN_IMPLIES.includes(id)) return true;
  return patched(id);
}
