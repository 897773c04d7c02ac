/**
 * What an outside observer (the chaos harness) needs to judge a run from the simulator's side alone:
 * a bounded log of API requests with their timing and outcome, the requests in flight right now, how
 * often each run was polled, and the per-workspace request-rate limit FLORA enforces.
 */
import type { SimRunSummary } from './runs';
import type { SimRoute } from './schemas';

/** One API request as the simulator saw it. */
export interface RequestLogEntry {
  /** Increases by one per entry; `GET /_sim/requests?after=N` returns entries with a larger seq. */
  seq: number;
  /** When the request reached routing (epoch ms, the simulator's clock). */
  atMs: number;
  route: SimRoute;
  /**
   * HTTP status, or 'reset' / 'dropped' / 'truncated' when no complete answer went out, or 'aborted'
   * when the request was handled (a create billed) but the client had hung up before the answer.
   */
  outcome: number | 'reset' | 'dropped' | 'truncated' | 'aborted';
  /** The `retry-after` header sent with a 429 or 503, in seconds. */
  retryAfterS?: number;
  /** What the request is about: the idempotency key of a create, the run id of a poll, a file path. */
  subject?: string;
}

/** Keeps the newest `capacity` entries: enough for a long chaos run without growing forever. */
export class RequestLog {
  private entries: RequestLogEntry[] = [];
  private seq = 0;

  constructor(private readonly capacity = 200_000) {}

  add(entry: Omit<RequestLogEntry, 'seq'>): void {
    this.seq += 1;
    this.entries.push({ ...entry, seq: this.seq });
    if (this.entries.length > this.capacity) this.entries = this.entries.slice(-this.capacity / 2);
  }

  after(seq: number, limit = 10_000): { entries: RequestLogEntry[]; last: number } {
    const out: RequestLogEntry[] = [];
    for (const e of this.entries) {
      if (e.seq <= seq) continue;
      out.push(e);
      if (out.length >= limit) break;
    }
    return { entries: out, last: out.at(-1)?.seq ?? seq };
  }

  clear(): void {
    this.entries = [];
  }
}

/**
 * A token bucket per workspace: `perSecond` tokens a second, at most `perSecond` banked (one second of
 * burst). FLORA publishes no numbers, so the limit is whatever the caller configures.
 */
export class RateLimiter {
  private tokens: number;
  private lastMs: number | undefined;

  constructor(readonly perSecond: number) {
    this.tokens = perSecond;
  }

  /** Undefined when the request may go ahead, else the whole seconds to wait (at least 1). */
  take(nowMs: number): number | undefined {
    if (this.lastMs !== undefined) {
      this.tokens = Math.min(this.perSecond, this.tokens + ((nowMs - this.lastMs) / 1000) * this.perSecond);
    }
    this.lastMs = nowMs;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return undefined;
    }
    return Math.max(1, Math.ceil((1 - this.tokens) / this.perSecond));
  }
}

/** Requests being handled right now, by route (a slow or delayed response counts until it is written). */
export class InFlight {
  private readonly counts = new Map<SimRoute, number>();

  enter(route: SimRoute): () => void {
    this.counts.set(route, (this.counts.get(route) ?? 0) + 1);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.counts.set(route, (this.counts.get(route) ?? 1) - 1);
    };
  }

  snapshot(): Partial<Record<SimRoute, number>> {
    return Object.fromEntries([...this.counts].filter(([, n]) => n > 0));
  }
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

/** The control plane answers only callers on this machine, whatever address the simulator binds. */
export function isLoopbackPeer(address: string | undefined): boolean {
  return address !== undefined && LOOPBACK.test(address);
}

/** One answer held back by a `holdResponse` fault, in `GET /_sim/activity`. */
export interface HeldResponse {
  /** Increases by one per held answer. */
  id: number;
  route: SimRoute;
  /** As in the request log: a create's idempotency key, a file's path. */
  subject: string | null;
  /** The run a held create made (billed already), when the answer names one. */
  run_id: string | null;
  since_ms: number;
  /**
   * `holding` until the answer goes out (`answered`, after the hold time) or the client's connection
   * closes first (`client-gone`: a create's answer is lost, a download is cut off mid-body).
   */
  state: 'holding' | 'answered' | 'client-gone';
  ended_ms: number | null;
}

/** The held answers, newest kept: what the chaos harness reads to prove where a kill landed. */
export class HeldResponses {
  private entries: HeldResponse[] = [];
  private seq = 0;

  constructor(private readonly capacity = 1_000) {}

  open(route: SimRoute, subject: string | undefined, runId: string | undefined, nowMs: number): HeldResponse {
    this.seq += 1;
    const entry: HeldResponse = {
      id: this.seq,
      route,
      subject: subject ?? null,
      run_id: runId ?? null,
      since_ms: nowMs,
      state: 'holding',
      ended_ms: null,
    };
    this.entries.push(entry);
    if (this.entries.length > this.capacity) this.entries = this.entries.slice(-this.capacity / 2);
    return entry;
  }

  snapshot(): HeldResponse[] {
    return this.entries.map((e) => ({ ...e }));
  }

  clear(): void {
    this.entries = [];
  }
}

/** `GET /_sim/activity`: what is going on right now, as the simulator sees it. */
export interface SimActivity {
  inFlight: Partial<Record<SimRoute, number>>;
  runs: SimRunSummary[];
  held: HeldResponse[];
}
