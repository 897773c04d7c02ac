/**
 * The money figures, computed from the simulator's own records of every run it created: creates per
 * idempotency key, and creates per logical run (the same technique with the same inputs), where the
 * only extra creates allowed are the designed re-creates after a transient run failure.
 */
import type { SimRunSummary } from '../../src/simulator';
import { TRANSIENT_RUN_ERRORS } from '../../src/domain/failures';

export interface MoneyFigures {
  creates: number;
  keys: number;
  /** Largest number of runs created under one idempotency key (goal 1). */
  maxCreatesPerKey: number;
  /** Keys with more than one run. */
  keysBilledTwice: string[];
  logicalRuns: number;
  /** Logical runs with more creates than 1 + their transient failures (goal none). */
  logicalRunsOverCreated: string[];
  /** Creates beyond the first of a logical run that followed a transient failure (designed, allowed). */
  designedRecreates: number;
  /** Runs created without an idempotency key (goal 0). */
  createsWithoutKey: number;
}

function logicalKey(run: SimRunSummary): string {
  const inputs = Object.keys(run.inputs)
    .sort()
    .map((k) => `${k}=${run.inputs[k] ?? ''}`)
    .join('&');
  return `${run.technique_id}?${inputs}`;
}

export function moneyFigures(runs: readonly SimRunSummary[]): MoneyFigures {
  const byKey = new Map<string, number>();
  const byLogical = new Map<string, SimRunSummary[]>();
  let createsWithoutKey = 0;
  for (const run of runs) {
    if (run.idempotency_key === null) createsWithoutKey += 1;
    else byKey.set(run.idempotency_key, (byKey.get(run.idempotency_key) ?? 0) + 1);
    const k = logicalKey(run);
    byLogical.set(k, [...(byLogical.get(k) ?? []), run]);
  }
  const over: string[] = [];
  let designed = 0;
  for (const [key, group] of byLogical) {
    const sorted = [...group].sort((a, b) => a.created_at_ms - b.created_at_ms);
    // Every run but the newest must have failed transiently to justify the one created after it.
    const justified = sorted
      .slice(0, -1)
      .filter((r) => r.error_code !== null && TRANSIENT_RUN_ERRORS.includes(r.error_code)).length;
    designed += justified;
    if (group.length > 1 + justified)
      over.push(`${key} (${group.length} creates, ${justified} transient failures)`);
  }
  return {
    creates: runs.length,
    keys: byKey.size,
    maxCreatesPerKey: Math.max(0, ...byKey.values()),
    keysBilledTwice: [...byKey].filter(([, n]) => n > 1).map(([k, n]) => `${k} x${n}`),
    logicalRuns: byLogical.size,
    logicalRunsOverCreated: over,
    designedRecreates: designed,
    createsWithoutKey,
  };
}

export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}
