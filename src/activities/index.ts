import { Context } from '@temporalio/activity';
import type { Created, FloraClient } from '../flora/client';
import { FloraError } from '../flora/errors';
import { FailureType } from '../domain/failures';
import type { Run, Slot, Technique, TechniqueRunItem } from '../flora/schemas';
import { createDownloadActivities } from './downloads';
import { createOutputCheckActivities } from './output-check';
import { visibilityString } from '../temporal/search-attributes';
import { FloraRunIdKey } from '../domain/search-attribute-keys';
import { UNKNOWN_CREATE_RETRY_DELAY_MS } from '../domain/retry-delays';
import { toApplicationFailure as mapFailure } from './failures';
import type { RequestRateLimiter } from './rate-limit';
import { prefixedActivityName, type FLORA_ACTIVITY_PREFIX } from '../domain/activity-names';
import type {
  CreateRunRequest,
  CreateRunResult,
  FindRunsRequest,
  FindRunsResult,
  PollRunRequest,
  RunSnapshot,
} from './types';
import type { SlotInfo, TechniqueInfo } from '../domain/technique';

export * from './types';

export interface ActivityDependencies {
  /** One long-lived FLORA client per worker process. */
  flora: FloraClient;
  /** Where `options.downloadTo` directories live on this worker (FLORA_DOWNLOAD_ROOT). @default downloads disabled */
  downloadRoot?: string | undefined;
  /**
   * Wait before retrying a create whose outcome is unknown. Only a test against a simulator whose
   * processing time it controls should shorten it. @default UNKNOWN_CREATE_RETRY_DELAY_MS (2 min)
   */
  unknownCreateRetryDelayMs?: number | undefined;
  /**
   * This worker's share of the fleet's FLORA request rate (FLORA_MAX_REQUESTS_PER_SECOND ÷ FLORA_WORKERS),
   * taken by every request, local activities included. @default no limit
   */
  limiter?: RequestRateLimiter | undefined;
}

/** Page size for the idempotency look-up in `/technique-runs`. */
const FIND_RUNS_PAGE_SIZE = 50;

/**
 * Builds the FLORA activities around one injected client. Each activity makes exactly one HTTP call and
 * maps any failure through `toApplicationFailure`, so retries are Temporal's alone (at the delay each
 * failure names).
 */
function floraActivityFunctions(deps: ActivityDependencies) {
  const call = callContext(deps);
  return {
    ...createDownloadActivities({ root: deps.downloadRoot }),
    ...createOutputCheckActivities({ root: deps.downloadRoot }),
    getTechnique: getTechniqueActivity(call),
    createRun: createRunActivity(call),
    pollRunOnce: pollRunOnceActivity(call),
    findRecentRuns: findRecentRunsActivity(call),
  };
}

/** What every FLORA call of an activity shares: the client, the rate limiter's slot and its 429 feedback. */
interface CallContext {
  flora: FloraClient;
  /** Taken before each request: a refused slot is already the retryable failure to throw. */
  slot: () => Promise<void>;
  /** Tells the limiter about a 429 before the error goes on to Temporal's retry. */
  feedback: (err: unknown) => void;
  unknownCreateRetryDelayMs: number;
}

function callContext({
  flora,
  unknownCreateRetryDelayMs = UNKNOWN_CREATE_RETRY_DELAY_MS,
  limiter,
}: ActivityDependencies): CallContext {
  return {
    flora,
    unknownCreateRetryDelayMs,
    // Outside the try blocks: a refused slot is already the retryable failure to throw (nothing was sent).
    slot: async (): Promise<void> => limiter?.take(),
    // A 429 tells this worker's limiter that the fleet is over FLORA's limit (more workers than
    // FLORA_WORKERS): it slows down and honours retry-after before the error goes on to Temporal's retry.
    feedback: (err: unknown): void => {
      if (limiter && err instanceof FloraError && err.status === 429) limiter.rateLimited(err.retryAfterMs);
    },
  };
}

/** `GET /techniques/{slug or id}`: the schema and price. */
function getTechniqueActivity({ flora, slot, feedback }: CallContext) {
  return async function getTechnique(slugOrId: string): Promise<TechniqueInfo> {
    await slot();
    try {
      const technique = await flora.getTechnique(slugOrId, { signal: cancellationSignal() });
      return toTechniqueInfo(technique, slugOrId);
    } catch (err) {
      feedback(err);
      throw toApplicationFailure(err);
    }
  };
}

/**
 * Creates a run (nested or top-level route) with the idempotency key as header and body field.
 * A 200 replay returns the original run; a 409 `idempotency_duplicate` is reported back, not thrown,
 * so the workflow can find the paid run instead of losing it.
 */
function createRunActivity({ flora, slot, feedback, unknownCreateRetryDelayMs }: CallContext) {
  return async function createRun(req: CreateRunRequest): Promise<CreateRunResult> {
    // No cancellation signal: aborting a create that FLORA may already be processing cannot unbill
    // it, and leaves its retry (same key) free to overlap it. The HTTP timeout still bounds it, and
    // the worker's shutdown grace time outlasts that timeout, so a deploy lets it finish.
    await slot();
    try {
      if (req.route === 'nested') {
        const res = await flora.createRunNested({
          slug: req.slug,
          inputs: req.inputs,
          idempotencyKey: req.idempotencyKey,
          callbackUrl: req.callbackUrl,
        });
        return created(res, undefined);
      }
      const res = await flora.createRunTopLevel({
        techniqueId: req.techniqueId,
        workspaceId: req.workspaceId,
        inputs: req.inputs,
        idempotencyKey: req.idempotencyKey,
      });
      return created(res, res.data.estimated_seconds ?? undefined);
    } catch (err) {
      feedback(err);
      // FLORA documents 409 as "a replay of an earlier request" (idempotency_duplicate or conflict):
      // whatever its code, an earlier attempt with this key may have made a paid run, so look for it.
      if (err instanceof FloraError && err.status === 409) return duplicate(err);
      // The attempt number tells the workflow whether an earlier attempt of this create may have
      // reached FLORA (and been billed) before this one was refused.
      throw toApplicationFailure(err, { unknownCreateRetryDelayMs, recordAttempt: true });
    }
  };
}

/** A create FLORA answered 409: when this create was first scheduled, so the workflow can look for its run. */
function duplicate(err: FloraError): CreateRunResult {
  logCall('create answered 409', { code: err.code, requestId: err.requestId });
  const info = Context.current().info;
  return {
    kind: 'duplicate',
    firstAttemptAtMs: info.scheduledTimestampMs,
    attempt: info.attempt,
    answeredAtMs: Date.now(),
    requestId: err.requestId,
  };
}

/** One `GET` of the run. "Not finished yet" is a normal answer, not an error. */
function pollRunOnceActivity({ flora, slot, feedback }: CallContext) {
  return async function pollRunOnce(req: PollRunRequest): Promise<RunSnapshot> {
    await slot();
    try {
      const run = await flora.getRun(
        { technique: req.technique, runId: req.runId, pollUrl: req.pollUrl },
        { signal: cancellationSignal() },
      );
      if (run.run_id !== req.runId) {
        throw new FloraError({
          code: FailureType.ProtocolError,
          message: `FLORA answered a poll for ${req.runId} with run ${run.run_id}`,
          route: 'GET /techniques/{id}/runs/{run_id}',
        });
      }
      return toSnapshot(run, req.pollUrl);
    } catch (err) {
      feedback(err);
      throw toApplicationFailure(err);
    }
  };
}

/**
 * One page of `/technique-runs` for the technique, newest first, keeping the runs created since the
 * given instant: the candidates for a create whose response was lost.
 */
function findRecentRunsActivity({ flora, slot, feedback }: CallContext) {
  return async function findRecentRuns(req: FindRunsRequest): Promise<FindRunsResult> {
    await slot();
    try {
      const page = await flora.listRuns(
        { techniqueId: req.techniqueId, cursor: req.cursor, limit: FIND_RUNS_PAGE_SIZE },
        { signal: cancellationSignal() },
      );
      const { candidates, reachedOlder } = candidatesSince(page.technique_runs, req);
      const next = page.meta?.next_cursor ?? undefined;
      const claimed = await markClaimed(candidates);
      return {
        candidates: claimed.candidates,
        ownershipChecked: claimed.checked,
        nextCursor: reachedOlder ? undefined : next,
      };
    } catch (err) {
      feedback(err);
      throw toApplicationFailure(err);
    }
  };
}

/**
 * The page's runs of the requested technique created since `createdSinceMs`; `reachedOlder` says the
 * page went past that instant, so there is no need to read the next one.
 */
function candidatesSince(
  runs: readonly TechniqueRunItem[],
  req: FindRunsRequest,
): { candidates: FindRunsResult['candidates']; reachedOlder: boolean } {
  const candidates: FindRunsResult['candidates'] = [];
  let reachedOlder = false;
  for (const item of runs) {
    if (item.technique?.technique_id && item.technique.technique_id !== req.techniqueId) continue;
    const createdAtMs = epochToMs(item.created_at);
    // Without a creation time a run cannot be ruled out: keep it, and let ambiguity fail loudly.
    if (createdAtMs !== undefined && createdAtMs < req.createdSinceMs) {
      reachedOlder = true;
      continue;
    }
    candidates.push({
      runId: item.run_id,
      status: item.status,
      createdAtMs,
      techniqueId: item.technique?.technique_id ?? undefined,
    });
  }
  return { candidates, reachedOlder };
}

/** The FLORA activities by their short names (`createRun`), as workflow code calls them. */
export type FloraActivities = ReturnType<typeof floraActivityFunctions>;

/** The same activities under the names workflows schedule since the `PrefixedActivityNames` patch. */
export type PrefixedFloraActivities = {
  [K in keyof FloraActivities as `${typeof FLORA_ACTIVITY_PREFIX}${K & string}`]: FloraActivities[K];
};

/**
 * Activities added after the prefix: registered only as `flora.<name>`, since no workflow ever scheduled
 * them unprefixed (and an unprefixed name could collide with a team's own activity).
 */
const PREFIXED_ONLY = ['checkOutputs'] as const;

/** The activities under their old unprefixed names, for executions started before the prefix. */
export type LegacyFloraActivities = Omit<FloraActivities, (typeof PREFIXED_ONLY)[number]>;

export interface CreateActivitiesOptions extends ActivityDependencies {
  /**
   * Also register the unprefixed names (`createRun`, `getTechnique`, ...), which workflows started before
   * the `flora-prefixed-activity-names-v1` patch still schedule. Turn it off only on a namespace where no
   * such workflow can still be open (see CHANGELOG.md), e.g. to use one of these names for your own
   * activity. @default true
   */
  legacyActivityNames?: boolean;
}

/**
 * The FLORA activities to register on a worker: each under `flora.<name>` and, by default, under its old
 * unprefixed name too. Every activity makes exactly one FLORA call and maps failures through
 * `toApplicationFailure`, so retries are decided by Temporal alone.
 */
export function createActivities(
  options: CreateActivitiesOptions & { legacyActivityNames: false },
): PrefixedFloraActivities;
export function createActivities(
  options: CreateActivitiesOptions,
): LegacyFloraActivities & PrefixedFloraActivities;
export function createActivities(
  options: CreateActivitiesOptions,
): PrefixedFloraActivities | (LegacyFloraActivities & PrefixedFloraActivities) {
  const { legacyActivityNames = true, ...deps } = options;
  const activities = floraActivityFunctions(deps);
  const prefixed = Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => [prefixedActivityName(name), fn]),
  ) as PrefixedFloraActivities;
  if (!legacyActivityNames) return prefixed;
  const legacy: Partial<FloraActivities> = { ...activities };
  for (const name of PREFIXED_ONLY) delete legacy[name];
  return { ...(legacy as LegacyFloraActivities), ...prefixed };
}

/**
 * Marks candidates that another workflow already owns (its FloraRunId search attribute lists the run),
 * so a lost create is never "recovered" by adopting a sibling's run. `checked` says whether visibility
 * could be asked at all: without the search attributes (or on a visibility error, or outside a worker)
 * it is false, and the workflow refuses to adopt rather than guess.
 */
async function markClaimed(
  candidates: FindRunsResult['candidates'],
): Promise<{ candidates: FindRunsResult['candidates']; checked: boolean }> {
  if (candidates.length === 0) return { candidates, checked: true };
  try {
    const client = Context.current().client;
    const ids = candidates.map((c) => visibilityString(c.runId)).join(', ');
    const owners = new Map<string, string>();
    for await (const info of client.workflow.list({ query: `${FloraRunIdKey.name} IN (${ids})` })) {
      for (const runId of info.typedSearchAttributes.get(FloraRunIdKey) ?? [])
        owners.set(runId, info.workflowId);
    }
    return { candidates: candidates.map((c) => ({ ...c, claimedBy: owners.get(c.runId) })), checked: true };
  } catch (err) {
    logCall('ownership of candidate runs could not be checked in visibility', {
      error: err instanceof Error ? err.message : String(err),
    });
    return { candidates, checked: false };
  }
}

function activityAttempt(): number | undefined {
  try {
    return Context.current().info.attempt;
  } catch {
    return undefined; // outside an activity
  }
}

/** A successful create (or replay), logged and reduced to what the workflow needs. */
function created(
  res: Created<{ run_id: string; poll_url?: string | null; charged_cost?: number | null }>,
  estimatedSeconds: number | undefined,
): CreateRunResult {
  logCall('created run', { runId: res.data.run_id, replayed: res.replayed, requestId: res.requestId });
  return {
    kind: 'created',
    runId: res.data.run_id,
    pollUrl: res.data.poll_url ?? undefined,
    replayed: res.replayed,
    chargedCost: res.data.charged_cost ?? undefined,
    estimatedSeconds,
    requestId: res.requestId,
  };
}

/** Maps a failure with the current attempt number (for the backoff) filled in. */
function toApplicationFailure(
  err: unknown,
  context: { unknownCreateRetryDelayMs?: number; recordAttempt?: boolean } = {},
) {
  return mapFailure(err, { ...context, attempt: activityAttempt() });
}

function cancellationSignal(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined; // called outside an activity (unit tests)
  }
}

function logCall(message: string, attrs: Record<string, unknown>): void {
  try {
    Context.current().log.info(message, attrs);
  } catch {
    // outside an activity context
  }
}

function toSlot(slot: Slot): SlotInfo {
  return {
    id: slot.id,
    name: slot.name ?? slot.id,
    type: slot.type,
    optional: slot.optional ?? false,
    description: slot.description ?? undefined,
  };
}

export function toTechniqueInfo(technique: Technique, requested: string): TechniqueInfo {
  return {
    techniqueId: technique.technique_id,
    slug: technique.slug ?? (requested.startsWith('tech_') ? undefined : requested),
    name: technique.name,
    description: technique.description ?? undefined,
    runCost: technique.run_cost,
    inputs: technique.inputs.map(toSlot),
    outputs: technique.outputs.map(toSlot),
  };
}

function toSnapshot(run: Run, previousPollUrl: string | undefined): RunSnapshot {
  return {
    runId: run.run_id,
    status: run.status,
    terminal: run.status === 'completed' || run.status === 'failed',
    progress: clampProgress(run.progress),
    chargedCost: run.charged_cost ?? undefined,
    outputs: (run.outputs ?? []).map((o) => ({ outputId: o.output_id, type: o.type, url: o.url })),
    errorCode: run.error_code ?? undefined,
    errorMessage: run.error_message ?? undefined,
    pollUrl: run.poll_url ?? previousPollUrl,
  };
}

function clampProgress(progress: number | null | undefined): number {
  if (progress === null || progress === undefined || !Number.isFinite(progress)) return 0;
  return Math.min(100, Math.max(0, progress));
}

/** FLORA's epoch numbers: seconds in the contract, but accept milliseconds too. */
export function epochToMs(value: number | null | undefined): number | undefined {
  if (value === null || value === undefined || !Number.isFinite(value)) return undefined;
  return value < 1e11 ? Math.round(value * 1000) : Math.round(value);
}
