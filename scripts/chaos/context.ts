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

export class ChaosContext {
  /** Text the secrets row searches: CLI output, error messages, anything a row printed. */
  readonly transcripts: string[] = [];
  /** Every fleet started, so their output can be searched after the run. */
  readonly fleets: Fleet[] = [];
  private queueSeq = 0;
  /** Servers started by a row (PostgreSQL row), whose output the secrets row searches too. */
  readonly extraServers: TemporalServer[] = [];
  /** Where every worker exports its traces (OTLP/HTTP). */
  traces: TraceCollector | undefined;

  constructor(
    readonly options: ChaosOptions,
    readonly rng: Rng,
    readonly temporal: TemporalServer,
    readonly sim: SimProcess,
    readonly apiKey: string,
    readonly bundlePath: string,
    readonly log: (line: string) => void,
  ) {}

  /** A fleet on a fresh task queue, talking to the shared server (or `temporalAddress`). */
  async fleet(env: Record<string, string> = {}, temporalAddress?: () => string): Promise<Fleet> {
    this.queueSeq += 1;
    const config: FleetConfig = {
      temporalAddress: temporalAddress ?? (() => this.temporal.address),
      taskQueue: `chaos-${this.options.seed}-${this.queueSeq}`,
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
