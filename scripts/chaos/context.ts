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
  /** CHAOS_PLANT_BUG value handed to every worker (e.g. 'key-per-attempt'). */
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
}

export class ChaosContext {
  private readonly shared: Shared;

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
