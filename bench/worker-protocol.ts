/**
 * What the bench process and its worker processes share: system names, the config handed to a worker
 * process and the IPC messages. Kept apart from worker-process.ts, which starts a worker when loaded.
 */
import type { FloraWorkerTuning } from '../src/worker/tuning';

export type SystemName =
  'flora' | 'flora-activity' | 'flora-webhook' | 'flora-tuned' | 'frequent' | 'infrequent' | 'loop';

/**
 * Systems that are flora-temporal's own worker: they differ in the options runs are started with
 * (poll mode, callback URL) or in the worker's tuning.
 */
export function isFlora(system: SystemName): boolean {
  return system.startsWith('flora');
}

/** Runs of `flora-webhook` name this base URL; the simulator delivers to the worker's receiver instead. */
export const BENCH_CALLBACK_URL = 'https://hooks.flora-bench.test/flora/webhook';

export interface WorkerProcessConfig {
  system: SystemName;
  temporalAddress: string;
  taskQueue: string;
  /** A prebuilt workflow bundle (flora's, or the baselines'). */
  bundlePath: string;
  floraBaseUrl: string;
  apiKey: string;
  /** Activity slots for the frequent pattern: one per run in flight is the pattern's cost. */
  maxConcurrentActivities?: number;
  /** Flora systems: the worker's tuning (createFloraWorker's `tuning`). @default flora's defaults */
  tuning?: FloraWorkerTuning;
  /** Set: run the webhook receiver in the worker process, checking callbacks with this secret. */
  webhookSecret?: string;
}

/** Parent → loop worker: runs to drive. */
export interface LoopJob {
  type: 'runs';
  runs: { slug: string; prompt: string; intervalMs: number }[];
}

/** Child → parent. */
export type WorkerMessage =
  | { type: 'ready'; webhookUrl?: string }
  | { type: 'done'; prompt: string; runId: string; seenAtMs: number; polls: number }
  | { type: 'error'; message: string }
  | { type: 'memory'; usage: NodeJS.MemoryUsage; afterGc: NodeJS.MemoryUsage | undefined };

/** Parent → any worker: report `process.memoryUsage()` (and again after a full GC when `--expose-gc`). */
export interface MemoryRequest {
  type: 'memory';
}
