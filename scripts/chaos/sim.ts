/**
 * The harness's handle on the simulator process: every figure about FLORA is read here, from the
 * simulator's `/_sim` control plane, never from a worker's view of itself.
 */
import type { FaultSpec, RequestLogEntry, SimActivity, SimRoute, SimStats } from '../../src/simulator';
import { entryArgs } from './entry';
import { spawnProc, stopProc, type Proc } from './procs';

export type Activity = SimActivity;

export class SimProcess {
  private logSeq = 0;
  private readonly log: RequestLogEntry[] = [];

  private constructor(
    readonly proc: Proc,
    /** e.g. http://127.0.0.1:PORT/api/v1 */
    readonly baseUrl: string,
    private readonly controlUrl: string,
  ) {}

  static async start(apiKey: string, seed: number, runDurationMs: number): Promise<SimProcess> {
    const proc = spawnProc('simulator', process.execPath, entryArgs('sim-entry'), {
      env: {
        ...process.env,
        CHAOS_FLORA_API_KEY: apiKey,
        CHAOS_SEED: String(seed),
        CHAOS_SIM_RUN_MS: String(runDurationMs),
      },
    });
    const m = await proc.waitFor(/CHAOS sim (\S+)/, 60_000);
    const baseUrl = m[1] ?? '';
    return new SimProcess(proc, baseUrl, baseUrl.replace(/\/api\/v1$/, '/_sim'));
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(this.controlUrl + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`simulator ${method} /_sim${path}: HTTP ${res.status}: ${text}`);
    return JSON.parse(text) as T;
  }

  stats(): Promise<SimStats> {
    return this.call('GET', '/stats');
  }

  activity(): Promise<Activity> {
    return this.call('GET', '/activity');
  }

  async addFault(route: SimRoute | '*', fault: FaultSpec): Promise<void> {
    await this.call('POST', '/faults', { route, fault });
  }

  async clearFaults(): Promise<void> {
    await this.call('DELETE', '/faults');
  }

  async queueRunFailure(technique: string, code: string): Promise<void> {
    await this.call('POST', '/run-failures', { technique, code });
  }

  async setRunDuration(ms: number): Promise<void> {
    await this.call('POST', '/run-duration', { ms });
  }

  async setRateLimit(perSecond: number | null): Promise<void> {
    await this.call('POST', '/rate-limit', { perSecond });
  }

  /** Sets an idempotency mode; false when this simulator does not know the mode. */
  async trySetIdempotencyMode(mode: string): Promise<boolean> {
    const res = await fetch(`${this.controlUrl}/idempotency`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ mode }),
    });
    await res.arrayBuffer();
    return res.ok;
  }

  async reset(): Promise<void> {
    await this.call('POST', '/reset', {});
    this.logSeq = 0;
    this.log.length = 0;
  }

  /** The whole request log since the last reset, fetched page by page. */
  async requests(): Promise<RequestLogEntry[]> {
    for (;;) {
      const page = await this.call<{ entries: RequestLogEntry[]; last: number }>(
        'GET',
        `/requests?after=${this.logSeq}`,
      );
      this.log.push(...page.entries);
      this.logSeq = page.last;
      if (page.entries.length < 10_000) return [...this.log];
    }
  }

  stop(): Promise<void> {
    return stopProc(this.proc, 5_000);
  }
}
