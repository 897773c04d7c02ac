/**
 * Creating a run exactly once. A lost create response is recovered by the idempotency key: FLORA either
 * replays the original run (200) or answers 409, after which the run is looked up in `/technique-runs`
 * and adopted only when exactly one candidate fits and visibility could confirm nobody else owns it.
 * Anything else fails loudly (`idempotency_unresolved`) with the key and the candidates, never with a
 * second run.
 *
 * How long FLORA remembers a key: 24 h per its developer guide, 2 h per its OpenAPI spec (FLORA_API.md,
 * "Idempotency"). Plan for 2 h. Within that time a retried or re-run create with the same key gets the
 * original run back (or a 409); after it, the same key creates (and bills) a new run. So a workflow
 * reset to before its create, or a create retried, is safe only within 2 h of the first attempt (the
 * create preset stops retrying after 90 minutes for that reason), and a reset of an older workflow
 * creates a second run. Keep workflow histories (namespace retention) at least as long as you may want
 * to reset or inspect them; keys cannot be recovered from FLORA after it forgets them.
 */
import { ActivityFailure, ApplicationFailure, log, sleep, workflowInfo } from '@temporalio/workflow';
import type { CreateRunResult, FindRunsResult } from '../activities/types';
import { idempotencyUnresolved } from '../domain/failures';
import { ActivityPresets } from './activity-presets';
import { proxyFloraActivities } from './flora-activities';
import { refusedOnFirstAttempt } from './billing';
import { Patches } from './patches';
import { patchedInRun } from './run-patches';
import type { ExecutionContext } from './execution-context';
import type { CreateRequest } from './wire';

const { findRecentRuns } = proxyFloraActivities(ActivityPresets.floraRead);
const { createRun } = proxyFloraActivities(ActivityPresets.floraCreate);

/** Worker and FLORA clocks may disagree by this much: the adoption window is widened by it on both ends. */
export const ADOPTION_CLOCK_SKEW_MS = 30_000;
/** Pages of `/technique-runs` read per look-up. */
const ADOPTION_MAX_PAGES = 10;
/** Look-ups before giving up: FLORA's list and Temporal's visibility both lag a little. */
export const ADOPTION_LISTS = 3;
/** Durable wait between look-ups (so about 30 s in all). */
export const ADOPTION_RELIST_DELAY_MS = 15_000;

type Candidate = FindRunsResult['candidates'][number];
type Duplicate = Extract<CreateRunResult, { kind: 'duplicate' }>;

export async function createOnce(
  ctx: ExecutionContext,
  create: CreateRequest,
  idempotencyKey: string,
): Promise<{ runId: string; pollUrl: string | undefined; estimatedSeconds?: number | undefined }> {
  // In doubt from the moment the request may leave, until FLORA names the run or provably refused it.
  ctx.billing.createsInDoubt += 1;
  let res;
  try {
    res = await createRun({ ...create, idempotencyKey });
  } catch (err) {
    if (refusedOnFirstAttempt(err)) ctx.billing.createsInDoubt -= 1;
    if (
      err instanceof ActivityFailure &&
      !(err.cause instanceof ApplicationFailure && err.cause.nonRetryable)
    ) {
      // Retries ran out (a long FLORA outage): an attempt may have created a run we never heard of.
      throw idempotencyUnresolved(
        `FLORA did not confirm the create with idempotency key ${idempotencyKey} before retries ran out ` +
          `(${err.cause?.message ?? err.message}); a run may exist. Look for it in /technique-runs and start again with options.attachRunId.`,
        { idempotencyKey, candidateRunIds: [] },
        err,
      );
    }
    throw err;
  }
  if (res.kind === 'created') {
    ctx.billing.createsInDoubt -= 1;
    log.info('FLORA run created', { runId: res.runId, replayed: res.replayed, idempotencyKey });
    return { runId: res.runId, pollUrl: res.pollUrl, estimatedSeconds: res.estimatedSeconds };
  }
  const adopted = patchedInRun(Patches.AdoptionBounds)
    ? await adoptBounded(ctx, res, idempotencyKey)
    : await adoptUnbounded(ctx, res, idempotencyKey);
  ctx.billing.createsInDoubt -= 1;
  return { runId: adopted, pollUrl: undefined };
}

/**
 * Every candidate created since `sinceMs` that `keep` accepts, over up to ADOPTION_MAX_PAGES pages: one
 * findRecentRuns call per page (both adoption paths, so their activity calls stay the same on replay).
 * A failed look-up fails the workflow naming the candidates kept so far.
 */
async function listCandidates(
  ctx: ExecutionContext,
  sinceMs: number,
  idempotencyKey: string,
  keep: (candidate: Candidate) => boolean = () => true,
): Promise<{ candidates: Candidate[]; ownershipChecked: boolean }> {
  const candidates: Candidate[] = [];
  let ownershipChecked = true;
  let cursor: string | undefined;
  for (let page = 0; page < ADOPTION_MAX_PAGES; page++) {
    let found;
    try {
      found = await findRecentRuns({
        techniqueId: ctx.technique.techniqueId,
        createdSinceMs: sinceMs,
        cursor,
      });
    } catch (err) {
      throw lookupFailed(idempotencyKey, candidates, err);
    }
    candidates.push(...found.candidates.filter(keep));
    if (found.ownershipChecked === false) ownershipChecked = false;
    if (found.nextCursor === undefined) break;
    cursor = found.nextCursor;
  }
  return { candidates, ownershipChecked };
}

function lookupFailed(
  idempotencyKey: string,
  candidates: { runId: string }[],
  err: unknown,
): ApplicationFailure {
  return idempotencyUnresolved(
    `FLORA answered 409 for idempotency key ${idempotencyKey}, so a run was already created, but looking it up ` +
      `in /technique-runs failed (${err instanceof Error ? err.message : String(err)}). Nothing new was created. ` +
      `Find the run and start again with options.attachRunId.`,
    { idempotencyKey, candidateRunIds: candidates.map((c) => c.runId) },
    err instanceof Error ? err : undefined,
  );
}

/**
 * The 409 recovery since Patches.AdoptionBounds. The run was created by a request with this key, so:
 * - not before the first attempt of this create was scheduled (minus clock skew). A 409 on that first
 *   attempt means the key was used before this activity existed: a reset keeps the key (so a reset
 *   workflow legitimately meets its own earlier run), so the window then opens at the workflow's start;
 * - not after the 409 arrived (plus skew);
 * - for this technique;
 * - owned by no other workflow, as far as visibility says. Visibility is evidence, not proof, and when it
 *   cannot be asked at all (search attributes missing, visibility failing) nothing is adopted.
 * Look-ups repeat ADOPTION_LISTS times on durable timers before failing as `idempotency_unresolved`.
 */
async function adoptBounded(ctx: ExecutionContext, res: Duplicate, idempotencyKey: string): Promise<string> {
  const { status } = ctx;
  const info = workflowInfo();
  const firstAttempt = res.attempt === undefined || res.attempt <= 1;
  const openedAtMs = firstAttempt
    ? Math.min(info.startTime.getTime(), res.firstAttemptAtMs)
    : res.firstAttemptAtMs;
  const sinceMs = openedAtMs - ADOPTION_CLOCK_SKEW_MS;
  const untilMs = (res.answeredAtMs ?? Date.now()) + ADOPTION_CLOCK_SKEW_MS;
  const self = info.workflowId;
  let eligible: Candidate[] = [];
  let ownershipChecked = false;
  for (let list = 1; list <= ADOPTION_LISTS; list++) {
    if (list > 1) await sleep(ADOPTION_RELIST_DELAY_MS);
    const found = await listCandidates(ctx, sinceMs, idempotencyKey);
    ownershipChecked = found.ownershipChecked;
    eligible = found.candidates.filter(
      (c) =>
        // Our own earlier runs, and runs another workflow owns (a sibling in a pipeline, say), are not it.
        !status.runIds.includes(c.runId) &&
        (c.claimedBy === undefined || c.claimedBy === self) &&
        (c.techniqueId === undefined || c.techniqueId === ctx.technique.techniqueId) &&
        (c.createdAtMs === undefined || (c.createdAtMs >= sinceMs && c.createdAtMs <= untilMs)),
    );
    const only = eligible.length === 1 ? eligible[0] : undefined;
    if (only !== undefined && ownershipChecked) {
      log.warn('Create answered 409; adopted the one run created by this key’s create attempts', {
        runId: only.runId,
        idempotencyKey,
        lookups: list,
      });
      return only.runId;
    }
  }
  const ids = eligible.map((c) => c.runId);
  const window = `${new Date(sinceMs).toISOString()} and ${new Date(untilMs).toISOString()}`;
  const why = !ownershipChecked
    ? `${ids.length} candidate run${ids.length === 1 ? '' : 's'} (${ids.join(', ') || 'none'}) created between ${window}, but Temporal visibility could not say whether another workflow owns ${ids.length === 1 ? 'it' : 'them'} (are the FloraRunId search attributes registered on this namespace?), so none was adopted`
    : `${ids.length === 0 ? 'no run' : `${ids.length} runs (${ids.join(', ')})`} of ${ctx.technique.name} created between ${window} and owned by no other workflow could be it`;
  throw idempotencyUnresolved(
    `FLORA answered 409 for idempotency key ${idempotencyKey}, so a run was already created, but after ` +
      `${ADOPTION_LISTS} look-ups ${why}. Nothing new was created. Start again with options.attachRunId set to the right run id.`,
    {
      idempotencyKey,
      candidateRunIds: ids,
      ownershipChecked,
      createdSinceMs: sinceMs,
      createdUntilMs: untilMs,
    },
  );
}

/** The 409 recovery of histories recorded before Patches.AdoptionBounds: unchanged, so they replay. */
async function adoptUnbounded(
  ctx: ExecutionContext,
  res: Duplicate,
  idempotencyKey: string,
): Promise<string> {
  const { status } = ctx;
  const since = res.firstAttemptAtMs - ADOPTION_CLOCK_SKEW_MS;
  const self = workflowInfo().workflowId;
  const { candidates } = await listCandidates(
    ctx,
    since,
    idempotencyKey,
    (c) => !status.runIds.includes(c.runId) && (c.claimedBy === undefined || c.claimedBy === self),
  );
  const only = candidates.length === 1 ? candidates[0] : undefined;
  if (only !== undefined) {
    log.warn(
      'Create answered 409 idempotency_duplicate; adopted the one run created since the first attempt',
      {
        runId: only.runId,
        idempotencyKey,
      },
    );
    return only.runId;
  }
  const ids = candidates.map((c) => c.runId);
  throw idempotencyUnresolved(
    `FLORA answered 409 idempotency_duplicate for idempotency key ${idempotencyKey}, so a run was already created, ` +
      `but ${ids.length === 0 ? 'no run' : `${ids.length} runs (${ids.join(', ')})`} of ${ctx.technique.name} created since ` +
      `${new Date(since).toISOString()} could be it. Nothing new was created. Start again with options.attachRunId set to the right run id.`,
    { idempotencyKey, candidateRunIds: ids },
  );
}
