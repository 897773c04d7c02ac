import { LEAN_RUN_IMPLIES, LEAN_RUN_V2_IMPLIES, Patches, type PatchId } from '../../src/workflows/patches';

/**
 * Whether a runTechnique history (as text) took patch `id`: its own marker, or, for an execution that
 * began on code with `flora-lean-run-v1` or `flora-lean-run-v2`, the lean marker standing for it (then `id`
 * has no marker).
 */
export function tookPatch(historyText: string, id: PatchId): boolean {
  if (historyText.includes(id)) return true;
  if (LEAN_RUN_V2_IMPLIES.includes(id) && historyText.includes(Patches.LeanRunV2)) return true;
  return LEAN_RUN_IMPLIES.includes(id) && historyText.includes(Patches.LeanRun);
}
