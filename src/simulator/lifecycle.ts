/**
 * A run's state is a pure function of the time since it was created, computed on every read. No
 * timers: a simulator with thousands of runs in flight costs nothing while idle, and every reader
 * (poll, list, stats) agrees on the state at a given instant.
 */
import { curveAt } from './progress';
import type { RunErrorCode } from './schemas';

export type RunStatus = 'pending' | 'running' | 'completed' | 'failed';

export type RunOutcome = { kind: 'completed' } | { kind: 'failed'; code: RunErrorCode; message: string };

export interface RunTiming {
  createdAtMs: number;
  pendingMs: number;
  durationMs: number;
  outcome: RunOutcome;
  /** Progress knots (see progress.ts); absent: progress grows linearly with time. */
  progressCurve?: readonly number[];
}

export interface RunState {
  status: RunStatus;
  /** Integer 0..100, never decreasing, below 100 until the run completes. */
  progress: number;
  startedAtMs?: number;
  endedAtMs?: number;
}

export const DEFAULT_FAILURE_MESSAGES: Record<RunErrorCode, string> = {
  model_timeout: 'The model did not finish in time. Retrying the run may succeed.',
  internal_error: 'The run failed because of an internal error. Retrying the run may succeed.',
  safety_blocked: 'The inputs or the generated output were blocked by the safety filter.',
  input_unreachable: 'An input URL could not be fetched. Check that it is public and reachable over HTTPS.',
};

function runningProgress(timing: RunTiming, elapsedMs: number): number {
  const runningMs = timing.durationMs - timing.pendingMs;
  if (runningMs <= 0) return 0;
  const fraction = Math.min(1, Math.max(0, (elapsedMs - timing.pendingMs) / runningMs));
  const shaped = timing.progressCurve ? curveAt(timing.progressCurve, fraction) : fraction;
  return Math.min(99, Math.max(0, Math.floor(shaped * 100)));
}

export function runStateAt(timing: RunTiming, nowMs: number): RunState {
  const elapsedMs = Math.max(0, nowMs - timing.createdAtMs);
  const startedAtMs = timing.createdAtMs + timing.pendingMs;
  if (elapsedMs < timing.pendingMs) return { status: 'pending', progress: 0 };
  if (elapsedMs < timing.durationMs) {
    return { status: 'running', progress: runningProgress(timing, elapsedMs), startedAtMs };
  }
  const endedAtMs = timing.createdAtMs + timing.durationMs;
  if (timing.outcome.kind === 'completed')
    return { status: 'completed', progress: 100, startedAtMs, endedAtMs };
  // A failed run keeps the progress it had reached; it never shows 100.
  const progress = timing.durationMs > 0 ? runningProgress(timing, timing.durationMs - 1) : 0;
  return { status: 'failed', progress, startedAtMs, endedAtMs };
}

export function isTerminal(status: RunStatus): boolean {
  return status === 'completed' || status === 'failed';
}
