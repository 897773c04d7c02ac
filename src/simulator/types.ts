/**
 * The simulator's public handle.
 */
import type { RunErrorCode, FaultSpec, IdempotencyMode, SimRoute } from './schemas';
import type { RequestLogEntry, SimActivity } from './observe';
import type { SimRunView } from './runs';
import type { SimStats } from './stats';
import type { CallbackSettings, DeliveryRecord } from './webhooks';

export interface FloraSimulator {
  /** e.g. 'http://127.0.0.1:PORT/api/v1'. */
  readonly baseUrl: string;
  readonly port: number;
  /** The first accepted API key. */
  readonly apiKey: string;
  /** The workspace's webhook secret (`whsec_…`), which signs run callbacks. */
  readonly webhookSecret: string;
  /**
   * How run callbacks go out from now on (runs already created keep theirs): where to (a stand-in for the
   * TLS proxy in front of a receiver), and what goes wrong (drop, delay, duplicate, forge, stale).
   * reset() restores the defaults.
   */
  setCallbacks(settings: Partial<CallbackSettings>): void;
  /** Every callback delivery attempt so far, oldest first. */
  deliveries(): DeliveryRecord[];
  stats(): SimStats;
  /** Throws when the route or spec is malformed. `'getFile'` aims at the `/files` route (with `serveFiles`). */
  addFault(route: SimRoute | '*', fault: FaultSpec): void;
  clearFaults(): void;
  /** The next created run of that technique ends `failed` with this code. Throws for an unknown technique. */
  queueRunFailure(slugOrTechniqueId: string, code: RunErrorCode, message?: string): void;
  setIdempotencyMode(mode: IdempotencyMode): void;
  /**
   * Applies to runs created from now on; runs in flight keep their schedule. With a technique, only
   * that technique's runs (until reset).
   */
  setRunDuration(ms: number, slugOrTechniqueId?: string): void;
  /**
   * Expires the output file URLs of every run created so far: requests for them get 410 from now on,
   * as FLORA's URLs do with time. Runs created afterwards get working URLs; reset() un-expires all.
   */
  expireFiles(): void;
  /** The run as a poll would see it now, plus simulator-only details; undefined when unknown. */
  getRun(runId: string): SimRunView | undefined;
  /**
   * Clears runs, stats, faults, queued failures, expired files and the idempotency cache, and restores the
   * idempotency mode, run duration and fault PRNG to their configured starting values.
   */
  reset(): void;
  /** Per-workspace API requests per second from now on (undefined: no limit); reset() restores the option. */
  setRateLimit(perSecond: number | undefined): void;
  /** The request log after entry `afterSeq` (at most 10,000 entries; page with `last`). */
  requests(afterSeq: number): { entries: RequestLogEntry[]; last: number };
  /** Requests in flight by route, and every run with its key, outcome and number of polls, oldest first. */
  activity(): SimActivity;
  /** Closes the server and every socket, keep-alive ones included. Safe to call twice. */
  close(): Promise<void>;
}
