/**
 * What crosses the activity boundary: plain JSON, camelCase, no secrets. Workflows import these as types.
 */

import type { OutputRef } from '../domain/run-request';

export interface NestedCreate {
  route: 'nested';
  /** Slug used in the path `POST /techniques/{slug}/runs`. */
  slug: string;
  inputs: { id: string; type: string; value: string }[];
  idempotencyKey: string;
  /** FLORA calls this URL when the run ends; part of the create body, like the inputs. */
  callbackUrl?: string;
}

export interface TopLevelCreate {
  route: 'top-level';
  techniqueId: string;
  workspaceId: string;
  inputs: Record<string, string>;
  idempotencyKey: string;
}

export type CreateRunRequest = NestedCreate | TopLevelCreate;

export type CreateRunResult =
  | {
      kind: 'created';
      runId: string;
      pollUrl: string | undefined;
      /** FLORA answered from its idempotency cache: this is the run an earlier attempt created. */
      replayed: boolean;
      chargedCost: number | undefined;
      estimatedSeconds: number | undefined;
      requestId: string | undefined;
    }
  | {
      /** 409 `idempotency_duplicate`: an earlier attempt with this key reached FLORA; its answer was lost. */
      kind: 'duplicate';
      /** When the first attempt of this activity was scheduled (epoch ms): the run was created after it. */
      firstAttemptAtMs: number;
      /** The activity attempt that got the 409 (absent in histories recorded before it was added). */
      attempt?: number;
      /** Worker clock when the 409 arrived (epoch ms): the run was created before it. */
      answeredAtMs?: number;
      requestId: string | undefined;
    };

export interface PollRunRequest {
  /** Slug or `tech_` id for `GET /techniques/{id}/runs/{run_id}`. */
  technique: string;
  runId: string;
  pollUrl?: string | undefined;
}

/** One output of a run, as FLORA lists it. */
export type RunOutputInfo = OutputRef;

export interface RunSnapshot {
  runId: string;
  status: string;
  terminal: boolean;
  progress: number;
  chargedCost: number | undefined;
  outputs: RunOutputInfo[];
  errorCode: string | undefined;
  errorMessage: string | undefined;
  pollUrl: string | undefined;
}

export interface FindRunsRequest {
  techniqueId: string;
  /** Only runs created at or after this instant (epoch ms) are candidates. */
  createdSinceMs: number;
  cursor?: string | undefined;
}

export interface FindRunsResult {
  candidates: {
    runId: string;
    status: string;
    createdAtMs: number | undefined;
    /** The workflow id whose FloraRunId search attribute lists this run, when one does. */
    claimedBy?: string | undefined;
    /** The technique FLORA lists for the run, when it says. */
    techniqueId?: string | undefined;
  }[];
  /**
   * Whether visibility could be asked who owns the candidates (`claimedBy`). False when the search
   * attributes are missing or visibility failed: absent owners then prove nothing.
   */
  ownershipChecked?: boolean;
  /** Set when more pages may hold runs created since `createdSinceMs`. */
  nextCursor: string | undefined;
}
