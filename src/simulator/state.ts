/**
 * Everything the simulator remembers between requests, and the one place a billable run is created
 * (credit check, failure planning, id, stats), so both create routes charge the same way.
 */
import { ApiError } from './errors';
import { FaultPlan } from './faults';
import { IdempotencyStore } from './idempotency';
import { DEFAULT_FAILURE_MESSAGES, type RunOutcome } from './lifecycle';
import { SIMULATOR_PROJECT_ID, type ResolvedOptions } from './options';
import { noisyCurve, noisyEstimateMs } from './progress';
import { Prng } from './random';
import { FILES_PREFIX } from './routes';
import { RunStore, roundUsd, type CreateRoute, type RunRecord } from './runs';
import { RunErrorCodeSchema, type IdempotencyMode, type RunErrorCode, type SimTechnique } from './schemas';
import { StatsRecorder, type SimStats } from './stats';
import { CallbackSender } from './webhooks';

export interface CreateRunParams {
  technique: SimTechnique;
  apiKey: string;
  route: CreateRoute;
  idempotencyKey?: string;
  inputs: Record<string, string>;
  triggeredFailure?: RunErrorCode;
  /** `http://host:port` as the client addressed us, so poll_url works from wherever it called. */
  origin: string;
  /** The create's `callback_url`. */
  callbackUrl?: string | undefined;
}

export class SimulatorState {
  readonly runs = new RunStore();
  readonly idempotency: IdempotencyStore;
  readonly faults = new FaultPlan();
  readonly stats = new StatsRecorder();
  /** Signed end-of-run callbacks to the runs' `callback_url`. */
  readonly callbacks: CallbackSender;
  readonly techniques: readonly SimTechnique[];
  idempotencyMode: IdempotencyMode;
  runDurationMs: number;
  faultPrng: Prng;
  /** Where output URLs point: the configured base, or this simulator's own `/files`. */
  readonly outputBaseUrl: string;
  /** Runs up to this creation sequence number have expired file URLs (410); 0 = none. */
  private filesExpiredThroughSeq = 0;
  /** Separate from faultPrng so the fault sequence for a seed does not depend on how many ids were made. */
  private readonly idPrng: Prng;
  /** Its own stream too, so turning the noisy progress model on changes neither ids nor faults. */
  private progressPrng: Prng;
  private readonly failureQueues = new Map<string, RunOutcome[]>();
  /** Per-technique run durations (by technique_id), over `runDurationMs`. */
  private readonly durationOverrides = new Map<string, number>();
  private readonly bySlug = new Map<string, SimTechnique>();
  private readonly byId = new Map<string, SimTechnique>();

  /** `selfOrigin`: `http://host:port` of the listening server, for output URLs served by the simulator. */
  constructor(
    readonly options: ResolvedOptions,
    selfOrigin: string,
  ) {
    this.outputBaseUrl = options.outputBaseUrl ?? `${selfOrigin}${FILES_PREFIX}`;
    // A technique owned by another workspace is invisible to this simulator's one workspace.
    this.techniques = options.techniques.filter(
      (t) => t.workspace_id === undefined || t.workspace_id === options.workspaceId,
    );
    for (const t of this.techniques) {
      this.bySlug.set(t.slug, t);
      this.byId.set(t.technique_id, t);
    }
    this.idempotency = new IdempotencyStore(options.idempotencyTtlMs);
    this.idempotencyMode = options.idempotency;
    this.runDurationMs = options.runDurationMs;
    this.faultPrng = new Prng(options.seed);
    this.idPrng = new Prng(options.idSeed);
    this.progressPrng = new Prng(options.seed ^ 0x9e3779b9);
    this.callbacks = new CallbackSender(options.webhookSecret, () => this.now(), Math.random);
  }

  now(): number {
    return this.options.now();
  }

  techniqueBySlug(slug: string): SimTechnique | undefined {
    return this.bySlug.get(slug);
  }

  techniqueById(id: string): SimTechnique | undefined {
    return this.byId.get(id);
  }

  findTechnique(slugOrId: string): SimTechnique | undefined {
    return this.byId.get(slugOrId) ?? this.bySlug.get(slugOrId);
  }

  newRequestId(): string {
    return `req_${this.idPrng.token(20)}`;
  }

  setRunDuration(ms: number, slugOrTechniqueId?: string): void {
    if (!Number.isFinite(ms) || ms < 0)
      throw new RangeError(`runDurationMs must be a finite number >= 0; got ${ms}`);
    if (slugOrTechniqueId === undefined) {
      this.runDurationMs = ms;
      return;
    }
    const technique = this.findTechnique(slugOrTechniqueId);
    if (!technique) throw new Error(`setRunDuration: no technique with slug or id "${slugOrTechniqueId}"`);
    this.durationOverrides.set(technique.technique_id, ms);
  }

  queueRunFailure(slugOrTechniqueId: string, code: RunErrorCode, message?: string): void {
    const technique = this.findTechnique(slugOrTechniqueId);
    if (!technique) throw new Error(`queueRunFailure: no technique with slug or id "${slugOrTechniqueId}"`);
    const parsedCode = RunErrorCodeSchema.parse(code);
    const queue = this.failureQueues.get(technique.technique_id) ?? [];
    queue.push({
      kind: 'failed',
      code: parsedCode,
      message: message ?? DEFAULT_FAILURE_MESSAGES[parsedCode],
    });
    this.failureQueues.set(technique.technique_id, queue);
  }

  /** Throws 402 when the run would take the balance below zero; otherwise creates and counts it. */
  createRun(params: CreateRunParams): RunRecord {
    const nowMs = this.now();
    const cost = params.technique.run_cost;
    if (Number.isFinite(this.options.credits)) {
      const remaining = roundUsd(this.options.credits - this.runs.committedUsd(nowMs));
      if (cost > remaining + 1e-9) {
        throw ApiError.insufficientCredits(
          `Insufficient credits: ${params.technique.slug} costs $${cost} per run and the remaining balance is ` +
            `$${remaining} (in-flight runs hold their cost until they finish). Add credits before retrying.`,
        );
      }
    }
    const outcome: RunOutcome =
      params.triggeredFailure !== undefined
        ? {
            kind: 'failed',
            code: params.triggeredFailure,
            message: DEFAULT_FAILURE_MESSAGES[params.triggeredFailure],
          }
        : (this.failureQueues.get(params.technique.technique_id)?.shift() ?? { kind: 'completed' });
    let runId = `run_${this.idPrng.token(20)}`;
    while (this.runs.has(runId)) runId = `run_${this.idPrng.token(20)}`;
    // The top-level route knows the technique only by its tech_ id, so its poll_url uses that id.
    const pathId = params.route === 'nested' ? params.technique.slug : params.technique.technique_id;
    const durationMs =
      this.options.runDurationFor?.({ slug: params.technique.slug, inputs: params.inputs }) ??
      this.durationOverrides.get(params.technique.technique_id) ??
      this.runDurationMs;
    if (!Number.isFinite(durationMs) || durationMs < 0)
      throw new RangeError(`runDurationFor must return a finite number >= 0; got ${durationMs}`);
    const noisy = this.options.progress === 'noisy';
    const pendingMs = Math.min(this.options.pendingMs ?? durationMs * 0.2, durationMs);
    const record = this.runs.add(runId, {
      technique: params.technique,
      apiKey: params.apiKey,
      route: params.route,
      ...(params.idempotencyKey !== undefined ? { idempotencyKey: params.idempotencyKey } : {}),
      inputs: params.inputs,
      createdAtMs: nowMs,
      pendingMs,
      durationMs,
      outcome,
      ...(noisy
        ? {
            progressCurve: noisyCurve(this.progressPrng),
            estimatedMs: noisyEstimateMs(this.progressPrng, durationMs),
          }
        : {}),
      pollUrl: `${params.origin}/api/v1/techniques/${encodeURIComponent(pathId)}/runs/${runId}`,
      workspaceId: this.options.workspaceId,
      projectId: SIMULATOR_PROJECT_ID,
      ...(params.callbackUrl !== undefined ? { callbackUrl: params.callbackUrl } : {}),
    });
    this.stats.runCreated(params.idempotencyKey);
    this.callbacks.runCreated(record);
    return record;
  }

  /**
   * Expires the file URLs of every run created so far, as time does to FLORA's signed URLs. Runs
   * created afterwards get fresh, working URLs, so a test can expire, then re-run and recover.
   */
  expireFiles(): void {
    this.filesExpiredThroughSeq = this.runs.lastSeq;
  }

  filesExpired(run: RunRecord): boolean {
    return run.seq <= this.filesExpiredThroughSeq;
  }

  snapshotStats(): SimStats {
    return this.stats.snapshot(this.runs.billedUsd(this.now()));
  }

  /** Back to the state right after start, except that generated ids keep advancing (no id is reused). */
  reset(): void {
    this.runs.clear();
    this.idempotency.clear();
    this.faults.clear();
    this.stats.clear();
    this.failureQueues.clear();
    this.durationOverrides.clear();
    this.idempotencyMode = this.options.idempotency;
    this.runDurationMs = this.options.runDurationMs;
    this.faultPrng = new Prng(this.options.seed);
    this.progressPrng = new Prng(this.options.seed ^ 0x9e3779b9);
    this.filesExpiredThroughSeq = 0;
    this.callbacks.reset();
  }
}
