/**
 * What every row shares: the Temporal server, the simulator process, the workflow bundle, the seed,
 * the FLORA API key the secrets row looks for, and everything printed or thrown along the way.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TraceCollector } from './collector';
import { Fleet, type FleetConfig } from './fleet';
import type { Rng } from './rng';
import type { SimProcess } from './sim';
import type { TemporalServer } from './temporal';

export interface Figure {
  name: string;
  value: string;
  goal: string;
  /** undefined: informational, no goal to meet. */
  ok: boolean | undefined;
}

export interface RowResult {
  id: string;
  title: string;
  fault: string;
  load: string;
  status: 'pass' | 'fail' | 'waiting' | 'skipped';
  figures: Figure[];
  note?: string;
  seconds: number;
}

export interface ChaosOptions {
  seed: number;
  smoke: boolean;
  /** CHAOS_PLANT_BUG value handed to every worker (e.g. 'key-per-attempt' or 'key-per-attempt,leak-key'). */
  plantBug: string | undefined;
}

/** What every row searches or counts after the fact, shared by the contexts of rows running side by side. */
interface Shared {
  transcripts: string[];
  fleets: Fleet[];
  extraServers: TemporalServer[];
  sims: SimProcess[];
  queueSeq: number;
  traces: TraceCollector | undefined;
  /** Fleets started ahead of their rows (prestart), by key, until the row takes its own. */
  prestarted: Map<string, Promise<Fleet>>;
  /** Keys a row has taken its fleet for: a prestart that comes later must not start a second one. */
  claimed: Set<string>;
}

export class ChaosContext {
  private readonly shared: Shared;
  private firstReady: () => void = () => undefined;
  /** Resolves once the first fleet a row of this context (lane) took has every worker ready or gone. */
  readonly firstFleetReady = new Promise<void>((resolve) => (this.firstReady = resolve));

  constructor(
    readonly options: ChaosOptions,
    readonly rng: Rng,
    readonly temporal: TemporalServer,
    readonly sim: SimProcess,
    readonly apiKey: string,
    readonly bundlePath: string,
    readonly log: (line: string) => void,
    shared?: Shared,
  ) {
    this.shared = shared ?? {
      transcripts: [],
      fleets: [],
      extraServers: [],
      sims: [sim],
      queueSeq: 0,
      traces: undefined,
      prestarted: new Map(),
      claimed: new Set(),
    };
  }

  /**
   * A context for rows that run beside the others (the smoke version's lanes): its own simulator, whose
   * faults, limits and counters no other row touches; the same server, key, bundle and shared records.
   */
  lane(sim: SimProcess): ChaosContext {
    if (!this.shared.sims.includes(sim)) this.shared.sims.push(sim);
    return new ChaosContext(
      this.options,
      this.rng,
      this.temporal,
      sim,
      this.apiKey,
      this.bundlePath,
      this.log,
      this.shared,
    );
  }

  /** Text the secrets row searches: CLI output, error messages, anything a row printed. */
  get transcripts(): string[] {
    return this.shared.transcripts;
  }

  /** Every fleet started, so their output can be searched after the run. */
  get fleets(): Fleet[] {
    return this.shared.fleets;
  }

  /**
   * Servers started by a row (PostgreSQL row, a crash row's own dev server), whose output the secrets row
   * searches too, and whose histories it searches while they still run.
   */
  get extraServers(): TemporalServer[] {
    return this.shared.extraServers;
  }

  /** Every simulator of the run (one per lane), whose output the secrets row searches. */
  get sims(): readonly SimProcess[] {
    return this.shared.sims;
  }

  /** Where every worker exports its traces (OTLP/HTTP). */
  get traces(): TraceCollector | undefined {
    return this.shared.traces;
  }

  set traces(collector: TraceCollector | undefined) {
    this.shared.traces = collector;
  }

  /** True when rows run side by side (the smoke version's lanes), so no row may stop the shared server. */
  get parallel(): boolean {
    return this.shared.sims.length > 1;
  }

  /** Runs `fn` and logs how long it took (`label: N s`), so a slow phase of a row shows in the log. */
  async timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
    const t0 = Date.now();
    try {
      return await fn();
    } finally {
      this.log(`${label}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
  }

  /**
   * Starts the fleet a later row of a smoke lane will take with `startedFleet(key, …)` (same arguments),
   * so its workers boot while the rows before it wait on theirs. A worker start is seconds of CPU; the
   * rows are mostly waiting. Does nothing once the row has taken its fleet.
   */
  prestart(key: string, workers: number, env: Record<string, string> = {}): void {
    if (this.shared.claimed.has(key) || this.shared.prestarted.has(key)) return;
    this.log(`${key}: ${workers} worker(s) started ahead of the row`);
    const started = this.fleet(env).then((fleet) => {
      for (let i = 0; i < workers; i++) fleet.start();
      return fleet;
    });
    // A failure surfaces when the row takes the fleet.
    started.catch(() => undefined);
    this.shared.prestarted.set(key, started);
  }

  /**
   * A row's fleet of `workers` workers on a fresh task queue, started (not necessarily ready yet): the
   * one prestart() began for `key`, or a new one.
   */
  async startedFleet(
    key: string,
    workers: number,
    env: Record<string, string> = {},
    temporalAddress?: () => string,
  ): Promise<Fleet> {
    this.shared.claimed.add(key);
    const ahead = this.shared.prestarted.get(key);
    this.shared.prestarted.delete(key);
    let fleet: Fleet;
    if (ahead) fleet = await ahead;
    else {
      fleet = await this.fleet(env, temporalAddress);
      for (let i = 0; i < workers; i++) fleet.start();
    }
    void Promise.allSettled(fleet.all.map((w) => w.ready)).then(() => this.firstReady());
    return fleet;
  }

  /** A fleet on a fresh task queue, talking to the shared server (or `temporalAddress`). */
  async fleet(env: Record<string, string> = {}, temporalAddress?: () => string): Promise<Fleet> {
    this.shared.queueSeq += 1;
    const config: FleetConfig = {
      temporalAddress: temporalAddress ?? (() => this.temporal.address),
      taskQueue: `chaos-${this.options.seed}-${this.shared.queueSeq}`,
      floraBaseUrl: this.sim.baseUrl,
      apiKey: this.apiKey,
      bundlePath: this.bundlePath,
      downloadRoot: await mkdtemp(join(tmpdir(), 'flora-chaos-downloads-')),
      env: {
        ...(this.options.plantBug ? { CHAOS_PLANT_BUG: this.options.plantBug } : {}),
        // A lost create answer (the crash row's dropped answers, or an HTTP timeout on a starved machine)
        // is retried after 10 s, not 2 min: one such create in a row of five runs held the whole smoke
        // for two more minutes. The 2 minutes give FLORA time to finish the first create; the smoke's
        // simulator makes the run and records its key before any delay it injects (no createLatencyMs,
        // no 'latency' fault), so the retry finds that run just the same.
        ...(this.options.smoke ? { CHAOS_UNKNOWN_CREATE_RETRY_MS: '10000' } : {}),
        ...(this.traces ? { OTEL_EXPORTER_OTLP_ENDPOINT: this.traces.endpoint } : {}),
        ...env,
      },
    };
    const fleet = new Fleet(config);
    this.fleets.push(fleet);
    return fleet;
  }
}

export function figure(name: string, value: string | number, goal: string, ok: boolean | undefined): Figure {
  return { name, value: String(value), goal, ok };
}

export function fmtMs(ms: number | undefined): string {
  return ms === undefined ? 'n/a' : ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}
