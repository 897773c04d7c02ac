/**
 * Fault injection: an ordered list of faults, each aimed at one route or all of them. Latency is
 * the only fault that lets the request go on, so it can be stacked in front of any other.
 */
import {
  FaultSpecSchema,
  FaultTargetSchema,
  type FaultSpec,
  type FaultTarget,
  type SimRoute,
} from './schemas';
import type { Prng } from './random';

interface FaultEntry {
  target: FaultTarget;
  spec: FaultSpec;
  remaining: number;
}

/** What to do with one request: wait `latencyMs`, then apply `terminal` (if any) instead of or around handling. */
export interface FaultDecision {
  latencyMs: number;
  terminal?: FaultSpec;
}

export const DEFAULT_FAULT_LATENCY_MS = 1000;

export class FaultPlan {
  private entries: FaultEntry[] = [];

  /** Throws a ZodError when the target or spec is malformed, so a typo fails loudly instead of never firing. */
  add(target: FaultTarget, spec: FaultSpec): void {
    const parsedTarget = FaultTargetSchema.parse(target);
    const parsedSpec = FaultSpecSchema.parse(spec);
    // A count-less, rate-less fault firing forever would wedge a test; one shot is the safer reading.
    const remaining = parsedSpec.count ?? (parsedSpec.rate === undefined ? 1 : Number.POSITIVE_INFINITY);
    this.entries.push({ target: parsedTarget, spec: parsedSpec, remaining });
  }

  clear(): void {
    this.entries = [];
  }

  get size(): number {
    return this.entries.length;
  }

  /** Consumes the faults that fire for this request, in insertion order, up to the first terminal one. */
  decide(route: SimRoute, prng: Prng): FaultDecision {
    const decision: FaultDecision = { latencyMs: 0 };
    for (const entry of [...this.entries]) {
      if (entry.target !== '*' && entry.target !== route) continue;
      if (entry.spec.rate !== undefined && prng.next() >= entry.spec.rate) continue;
      entry.remaining -= 1;
      if (entry.remaining <= 0) this.entries = this.entries.filter((e) => e !== entry);
      if (entry.spec.kind === 'latency') {
        decision.latencyMs += entry.spec.latencyMs ?? DEFAULT_FAULT_LATENCY_MS;
        continue;
      }
      decision.terminal = entry.spec;
      break;
    }
    return decision;
  }
}
