/**
 * Simulator options: one schema (documented with defaults), the type derived from it, and the
 * defaults applied in one place.
 */
import { randomInt } from 'node:crypto';
import { z } from 'zod';
import { DEFAULT_CATALOG } from './catalog';
import type { ProgressModel } from './progress';
import {
  IdempotencyModeSchema,
  SimTechniqueSchema,
  type IdempotencyMode,
  type SimTechnique,
} from './schemas';
import { isHttpsUrl } from './validation';
import { DEFAULT_WEBHOOK_SECRET } from './webhooks';

const Infinite = z.custom<number>((v) => v === Number.POSITIVE_INFINITY, 'must be a number or Infinity');

export type RunDurationFor = (run: {
  slug: string;
  inputs: Readonly<Record<string, string>>;
}) => number | undefined;

export const SimulatorOptionsSchema = z.strictObject({
  /** TCP port; default 0 (a random free port). */
  port: z.number().int().min(0).max(65535).optional(),
  /** Interface to bind; default '127.0.0.1'. */
  host: z.string().min(1).optional(),
  /** Accepted bearer tokens; default ['sk_test_simulator']. Other tokens get 401 invalid_api_key. */
  apiKeys: z.array(z.string().min(1)).min(1).readonly().optional(),
  /** Time from create to the terminal state, in ms; default 1500. */
  runDurationMs: z.number().nonnegative().optional(),
  /**
   * Per-run length, in ms, from the create's technique slug and inputs (a benchmark's mix of short and
   * long runs); undefined falls back to `runDurationMs` and per-technique overrides. Default: none.
   */
  runDurationFor: z.custom<RunDurationFor>((v) => typeof v === 'function', 'must be a function').optional(),
  /**
   * How `progress` grows while running: 'linear' (default) with time, or 'noisy': a random curve per
   * run (front- or back-loaded, stalls, bursts) and an `estimated_seconds` off by -40 %..+60 %, as real
   * models behave, so a cadence predictor is tested honestly. Reproducible from `seed`.
   */
  progress: z.enum(['linear', 'noisy']).optional(),
  /** Time spent `pending` before `running`, in ms; default 20% of runDurationMs (capped at it). */
  pendingMs: z.number().nonnegative().optional(),
  /** What a reused idempotency key with the same body gets; default 'replay'. */
  idempotency: IdempotencyModeSchema.optional(),
  /**
   * How long FLORA takes to process a create, in ms, between its idempotency check and the run being
   * made (and the key cached); default 0. With `idempotency: 'non-atomic'` this is the window in which
   * a second create with the same key makes a second run.
   */
  createLatencyMs: z.number().nonnegative().optional(),
  /** How long an idempotency key is remembered, in ms; default 24 h. */
  idempotencyTtlMs: z.number().positive().optional(),
  /**
   * PRNG seed for fault rates (default 1). When given, generated ids (run_, req_) are reproducible
   * too; when omitted, ids are unique per simulator instance so parallel test files never share one.
   */
  seed: z.number().int().optional(),
  /** The technique catalog; default DEFAULT_CATALOG. */
  techniques: z.array(SimTechniqueSchema).min(1).readonly().optional(),
  /** The one workspace this simulator serves; default 'ws_simulator'. */
  workspaceId: z
    .string()
    .regex(/^ws_\S+$/, 'must match ^ws_\\S+$')
    .optional(),
  /** USD balance; a create that would take the balance below 0 gets 402. Default Infinity. */
  credits: z.number().nonnegative().or(Infinite).optional(),
  /**
   * Base for output file URLs (must be https); default 'https://files.flora-sim.test', or with
   * `serveFiles` the simulator's own `http://<host>:<port>/files`.
   */
  outputBaseUrl: z.string().refine(isHttpsUrl, 'must be an https:// URL').optional(),
  /**
   * Serve each completed run's output files at `GET /files/runs/{run_id}/{output_id}.{ext}` (no auth,
   * like signed CDN URLs), with deterministic bytes, so a downloader can be tested end to end. Without
   * an `outputBaseUrl`, output URLs then point at the simulator itself. Default false: `/files` is an
   * unknown path, as before.
   */
  serveFiles: z.boolean().optional(),
  /**
   * With `serveFiles` and no `outputBaseUrl`: serve `/files` over https too, on a second port of the same
   * host, with this key and certificate (e.g. SIMULATOR_TLS_KEY/CERT from ./tls), and point output URLs
   * there. FLORA accepts only https inputs, so chained pipeline steps need https output URLs. Default:
   * output URLs point at the plain http port.
   */
  filesTls: z.object({ key: z.string().min(1), cert: z.string().min(1) }).optional(),
  /**
   * Serve the `/_sim` control plane (faults, stats, the request log), to callers on loopback only.
   * Default false: `/_sim` is an unknown path, as it must be anywhere but a test machine.
   */
  control: z.boolean().optional(),
  /** API requests per second per workspace; more get 429 with `retry-after`. Default: no limit. */
  rateLimitPerSecond: z.number().positive().optional(),
  /** The workspace's webhook secret, which signs run callbacks; default 'whsec_simulator'. */
  webhookSecret: z.string().min(1).optional(),
  /** Receives one line per request; default: no logging. */
  log: z.custom<(line: string) => void>((v) => typeof v === 'function', 'must be a function').optional(),
  /** Clock in epoch ms, for tests that want to control run lifecycles; default Date.now. */
  now: z.custom<() => number>((v) => typeof v === 'function', 'must be a function').optional(),
});
export type SimulatorOptions = z.input<typeof SimulatorOptionsSchema>;

export interface ResolvedOptions {
  port: number;
  host: string;
  apiKeys: string[];
  runDurationMs: number;
  runDurationFor: RunDurationFor | undefined;
  progress: ProgressModel;
  pendingMs: number | undefined;
  idempotency: IdempotencyMode;
  createLatencyMs: number;
  idempotencyTtlMs: number;
  seed: number;
  idSeed: number;
  techniques: SimTechnique[];
  workspaceId: string;
  credits: number;
  /** Undefined when serveFiles is on without an outputBaseUrl: the simulator's own origin, known once listening. */
  outputBaseUrl: string | undefined;
  serveFiles: boolean;
  filesTls: { key: string; cert: string } | undefined;
  control: boolean;
  rateLimitPerSecond: number | undefined;
  webhookSecret: string;
  log: ((line: string) => void) | undefined;
  now: () => number;
}

export const DEFAULT_API_KEY = 'sk_test_simulator';
export const DEFAULT_WORKSPACE_ID = 'ws_simulator';
export const SIMULATOR_PROJECT_ID = 'proj_simulator';

function assertUniqueCatalog(techniques: readonly SimTechnique[]): void {
  const seen = new Set<string>();
  for (const t of techniques) {
    for (const key of [t.technique_id, t.slug]) {
      if (seen.has(key)) throw new Error(`Simulator catalog: "${key}" is used by more than one technique`);
      seen.add(key);
    }
    const slotIds = new Set<string>();
    for (const s of t.inputs) {
      if (slotIds.has(s.id)) throw new Error(`Simulator catalog: ${t.slug} has two inputs with id "${s.id}"`);
      slotIds.add(s.id);
    }
  }
}

export function resolveOptions(raw: SimulatorOptions = {}): ResolvedOptions {
  const result = SimulatorOptionsSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`);
    throw new TypeError(`Invalid simulator options: ${problems.join('; ')}`);
  }
  const {
    port = 0,
    host = '127.0.0.1',
    apiKeys = [DEFAULT_API_KEY],
    runDurationMs = 1500,
    runDurationFor,
    progress = 'linear',
    pendingMs,
    idempotency = 'replay',
    createLatencyMs = 0,
    idempotencyTtlMs = 24 * 60 * 60 * 1000,
    seed,
    techniques = DEFAULT_CATALOG,
    workspaceId = DEFAULT_WORKSPACE_ID,
    credits = Number.POSITIVE_INFINITY,
    serveFiles = false,
    filesTls,
    control = false,
    rateLimitPerSecond,
    webhookSecret = DEFAULT_WEBHOOK_SECRET,
    outputBaseUrl = serveFiles ? undefined : 'https://files.flora-sim.test',
    log,
    now = Date.now,
  } = result.data;
  assertUniqueCatalog(techniques);
  return {
    port,
    host,
    apiKeys: [...apiKeys],
    runDurationMs,
    runDurationFor,
    progress,
    pendingMs,
    idempotency,
    createLatencyMs,
    idempotencyTtlMs,
    seed: seed ?? 1,
    idSeed: seed === undefined ? randomInt(2 ** 32) : seed ^ 0x5eed1d5,
    // Deep copies: a caller mutating its catalog array afterwards must not change a running simulator.
    techniques: techniques.map((t) => structuredClone(t)),
    workspaceId,
    credits,
    outputBaseUrl: outputBaseUrl?.replace(/\/+$/, ''),
    serveFiles,
    filesTls,
    control,
    rateLimitPerSecond,
    webhookSecret,
    log,
    now,
  };
}
