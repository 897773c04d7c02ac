/**
 * What the bench process and its worker processes share: system names, the config handed to a worker
 * process and the IPC messages. Kept apart from worker-process.ts, which starts a worker when loaded.
 */
export type SystemName = 'flora' | 'flora-activity' | 'frequent' | 'infrequent' | 'loop';

/** Systems that are flora-temporal's own worker (they differ only in the options runs are started with). */
export function isFlora(system: SystemName): boolean {
  return system === 'flora' || system === 'flora-activity';
}

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
}

/** Parent → loop worker: runs to drive. */
export interface LoopJob {
  type: 'runs';
  runs: { slug: string; prompt: string; intervalMs: number }[];
}

/** Child → parent. */
export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'done'; prompt: string; runId: string; seenAtMs: number; polls: number }
  | { type: 'error'; message: string };
