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
 * Module state is per workflow execution (the SDK gives each execution its own module instances), and only
 * runTechnique decides: in a runPipeline execution (which shares flora-activities.ts) nothing is decided,
 * and each id is asked as before.
 */
import { patched } from '@temporalio/workflow';
import { LEAN_RUN_IMPLIES, Patches, type PatchId } from './patches';

/** Undefined until decided: a pipeline, or a runTechnique refused before it began. */
let lean: boolean | undefined;

/** Asks `Patches.LeanRun`, once per execution: call it first thing, in the first workflow task. */
export function decideLeanRun(): boolean {
  lean ??= patched(Patches.LeanRun);
  return lean;
}

/** Whether this execution took `Patches.LeanRun` (false when undecided). */
export function isLeanRun(): boolean {
  return lean === true;
}

/** `patched(id)`, or true without asking when the execution took LeanRun and `id` is one it implies. */
export function patchedInRun(id: PatchId): boolean {
  if (lean === true && LEAN_RUN_IMPLIES.includes(id)) return true;
  return patched(id);
}
