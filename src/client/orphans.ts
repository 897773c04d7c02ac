/**
 * Orphans: FLORA runs that were created (and so may be billed) but that no workflow records, e.g. after
 * a crash between create and record, a reset, or a bug. They are found by listing FLORA's run history
 * (`GET /technique-runs`, newest first) over a time window and looking each run id up in Temporal.
 *
 * Ownership comes from the FloraRunId search attribute, which every run and pipeline step upserts.
 * Where the namespace lacks it, the fallback reads our workflows started in the window (and a day
 * before it): the `runId` memo of completed runs and the status query of the others. That fallback is
 * weaker (a workflow whose worker is down cannot answer), and the report says so.
 */
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { epochToMs } from '../activities';
import type { FloraClient } from '../flora/client';
import type { TechniqueRunItem } from '../flora/schemas';
import { missingSearchAttributes, registerCommand, visibilityString } from '../temporal/search-attributes';
import { statusQuery } from '../workflows';
import { FloraRunIdKey } from '../domain/search-attribute-keys';
import { withDeadline } from './workers';

export interface OrphanQuery {
  /** Runs created at or after this instant. */
  since: Date;
  /** Runs created at or before this instant. @default now */
  until?: Date;
  /** Only this technique (`tech_…` id; resolve a slug with `GET /techniques/{slug}` first). */
  techniqueId?: string;
  /** Stop after scanning this many runs of FLORA's history (the report says it stopped). @default 10000 */
  maxScanned?: number;
}

export interface OrphanRun {
  runId: string;
  status: string;
  /** ISO time, or null when FLORA gave none. */
  createdAt: string | null;
  techniqueId: string | null;
  techniqueName: string | null;
  workspaceId: string | null;
  chargedCost: number | null;
  /** Created less than a minute before the scan: visibility may not list its workflow yet. */
  recent: boolean;
}

export interface OrphanReport {
  since: string;
  until: string;
  /** Runs of FLORA's history inside the window. */
  scanned: number;
  /** The scan stopped at `maxScanned` before reaching `since`. */
  truncated: boolean;
  /** How ownership was decided. */
  ownership: 'search-attribute' | 'memo-and-query';
  /** Why the answer may be incomplete (missing search attribute, unanswered queries), if it may be. */
  caveat: string | undefined;
  orphans: OrphanRun[];
}

const PAGE_SIZE = 100;
/** Visibility lags the workflow by about a second; a minute leaves room for a busy server. */
const RECENT_MS = 60_000;
/** Without the search attribute: workflows started this long before the window may own runs in it. */
const FALLBACK_LOOKBACK_MS = 24 * 60 * 60 * 1000;
const BATCH = 50;

export async function findOrphanRuns(
  client: Client,
  flora: FloraClient,
  query: OrphanQuery,
): Promise<OrphanReport> {
  const { since, until = new Date(), techniqueId, maxScanned = 10_000 } = query;
  const { runs, truncated } = await runsInWindow(flora, since, until, techniqueId, maxScanned);
  const namespace = client.options.namespace;
  const missing = await missingSearchAttributes(client.connection.operatorService, namespace).catch(
    () => [] as string[],
  );
  let owned: Set<string>;
  let ownership: OrphanReport['ownership'] = 'search-attribute';
  let caveat: string | undefined;
  if (!missing.includes(FloraRunIdKey.name)) {
    owned = await ownedBySearchAttribute(
      client,
      runs.map((r) => r.run_id),
    );
  } else {
    ownership = 'memo-and-query';
    const fallback = await ownedByMemoAndQuery(client, new Date(since.getTime() - FALLBACK_LOOKBACK_MS));
    owned = fallback.owned;
    caveat =
      `the search attribute ${FloraRunIdKey.name} is not registered on namespace ${namespace}, so ownership was read ` +
      `from the memo of completed workflows and the status query of the others, started since ` +
      `${new Date(since.getTime() - FALLBACK_LOOKBACK_MS).toISOString()}` +
      (fallback.unanswered.length > 0
        ? `; ${fallback.unanswered.length} workflow(s) did not answer the status query (no worker?): ` +
          `${fallback.unanswered.slice(0, 5).join(', ')}${fallback.unanswered.length > 5 ? ', …' : ''}` +
          ` — runs they own are listed as orphans. Register it for an exact answer: ` +
          registerCommand(namespace)
        : `. Register it for an exact answer: ${registerCommand(namespace)}`);
  }
  const now = Date.now();
  const orphans = runs
    .filter((r) => !owned.has(r.run_id))
    .map((r): OrphanRun => {
      const createdMs = epochToMs(r.created_at);
      return {
        runId: r.run_id,
        status: r.status,
        createdAt: createdMs === undefined ? null : new Date(createdMs).toISOString(),
        techniqueId: r.technique?.technique_id ?? null,
        techniqueName: r.technique?.name ?? null,
        workspaceId: r.workspace_id ?? null,
        chargedCost: r.charged_cost ?? null,
        recent: createdMs !== undefined && now - createdMs < RECENT_MS,
      };
    });
  return {
    since: since.toISOString(),
    until: until.toISOString(),
    scanned: runs.length,
    truncated,
    ownership,
    caveat,
    orphans,
  };
}

/** FLORA's history, newest first, from `until` back to `since` (a run without a time is kept). */
async function runsInWindow(
  flora: FloraClient,
  since: Date,
  until: Date,
  techniqueId: string | undefined,
  maxScanned: number,
): Promise<{ runs: TechniqueRunItem[]; truncated: boolean }> {
  const runs: TechniqueRunItem[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await flora.listRuns({ techniqueId, cursor, limit: PAGE_SIZE });
    for (const item of page.technique_runs) {
      const createdMs = epochToMs(item.created_at);
      if (createdMs !== undefined && createdMs > until.getTime()) continue;
      if (createdMs !== undefined && createdMs < since.getTime()) return { runs, truncated: false };
      runs.push(item);
      if (runs.length >= maxScanned) return { runs, truncated: true };
    }
    cursor = page.meta?.next_cursor ?? undefined;
    if (cursor === undefined) return { runs, truncated: false };
  }
}

async function ownedBySearchAttribute(client: Client, runIds: string[]): Promise<Set<string>> {
  const owned = new Set<string>();
  for (let i = 0; i < runIds.length; i += BATCH) {
    const ids = runIds
      .slice(i, i + BATCH)
      .map(visibilityString)
      .join(', ');
    for await (const info of client.workflow.list({ query: `${FloraRunIdKey.name} IN (${ids})` })) {
      for (const runId of info.typedSearchAttributes.get(FloraRunIdKey) ?? []) owned.add(runId);
    }
  }
  return owned;
}

async function ownedByMemoAndQuery(
  client: Client,
  from: Date,
): Promise<{ owned: Set<string>; unanswered: string[] }> {
  const owned = new Set<string>();
  const unanswered: string[] = [];
  const toAsk: WorkflowExecutionInfo[] = [];
  const query = `WorkflowType = 'runTechnique' AND StartTime >= '${from.toISOString()}'`;
  for await (const info of client.workflow.list({ query })) {
    // A completed run's memo names its final FLORA run; anything else is asked (runIds lists them all).
    const memoRunId = info.memo?.runId;
    if (typeof memoRunId === 'string' && info.status.name === 'COMPLETED') owned.add(memoRunId);
    else toAsk.push(info);
  }
  for (const info of toAsk) {
    try {
      const status = await withDeadline(client, 5_000, () =>
        client.workflow.getHandle(info.workflowId, info.runId).query(statusQuery),
      );
      for (const runId of status.runIds) owned.add(runId);
    } catch {
      unanswered.push(info.workflowId);
    }
  }
  return { owned, unanswered };
}
