/**
 * FLORA creates as the simulator counted them, grouped the way a pipeline keys its children.
 */
import type { FloraSimulator } from '../../src/simulator';

/** FLORA creates per step, from the keys `<first execution run id>-<step>-<index>` of one pipeline. */
export function createsPerStep(sim: FloraSimulator, firstExecutionRunId: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, n] of Object.entries(sim.stats().createsByIdempotencyKey)) {
    if (!key.startsWith(`${firstExecutionRunId}-`)) continue;
    const step = key.slice(firstExecutionRunId.length + 1).replace(/-\d+$/, '');
    out[step] = (out[step] ?? 0) + n;
  }
  return out;
}
