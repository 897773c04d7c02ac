/**
 * The run store and the JSON shapes FLORA returns for a run. Records never change after creation;
 * everything time-dependent comes from `runStateAt`.
 */
import { isTerminal, runStateAt, type RunOutcome, type RunStatus } from './lifecycle';
import type { RunErrorCode, SimTechnique, SlotType } from './schemas';

export type CreateRoute = 'nested' | 'topLevel';

export interface RunRecord {
  /** Creation order; the history cursor is built on it so new runs never shift a page. */
  seq: number;
  runId: string;
  technique: SimTechnique;
  apiKey: string;
  route: CreateRoute;
  idempotencyKey?: string;
  inputs: Record<string, string>;
  createdAtMs: number;
  pendingMs: number;
  durationMs: number;
  outcome: RunOutcome;
  /** Set with the 'noisy' progress model (see progress.ts). */
  progressCurve?: readonly number[];
  /** What `estimated_seconds` reports, in ms; absent: the true duration. */
  estimatedMs?: number;
  pollUrl: string;
  workspaceId: string;
  projectId: string;
  /** The create's `callback_url`: where the run's end event goes. */
  callbackUrl?: string;
}

export interface RunOutput {
  output_id: string;
  type: SlotType;
  /** The file URL, or the text itself for `type: 'text'`. */
  url: string;
}

/** The poll response (`GET /techniques/{id}/runs/{run_id}`) and the nested create response. */
export interface RunObject {
  run_id: string;
  status: RunStatus;
  progress: number;
  created_at: number;
  started_at?: number;
  completed_at?: number;
  charged_cost?: number;
  poll_url: string;
  outputs?: RunOutput[];
  error_code?: RunErrorCode;
  error_message?: string;
}

/** A `/technique-runs` item. */
export interface RunHistoryItem extends RunObject {
  technique_run_id: string;
  workspace_id: string;
  project_id: string;
  technique: { technique_id: string; name: string };
}

/** What `FloraSimulator.getRun` returns: the poll body plus what only the simulator knows. */
export interface SimRunView extends RunObject {
  technique_id: string;
  slug: string;
  route: CreateRoute;
  idempotency_key?: string;
  inputs: Record<string, string>;
  /** The create's `callback_url`, when it had one. */
  callback_url?: string;
  /** How the run will end (or ended), known from creation. */
  planned_outcome: RunOutcome;
}

/** One run in `GET /_sim/activity`: who created it with which key, how it ended, how often it was polled. */
export interface SimRunSummary {
  run_id: string;
  technique_id: string;
  idempotency_key: string | null;
  inputs: Record<string, string>;
  status: RunStatus;
  error_code: RunErrorCode | null;
  created_at_ms: number;
  /** Successful polls of this run so far (GET /techniques/{id}/runs/{run_id} answered 200). */
  polls: number;
  /** The create's 2xx answer naming this run was written to its client (not lost, not held). */
  create_answered: boolean;
}

export const FILE_EXTENSIONS: Record<Exclude<SlotType, 'text'>, string> = {
  imageUrl: 'png',
  videoUrl: 'mp4',
  audioUrl: 'mp3',
  documentUrl: 'pdf',
};

export function roundUsd(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

const seconds = (ms: number): number => ms / 1000;

function outputsOf(run: RunRecord, outputBaseUrl: string): RunOutput[] {
  return run.technique.outputs.map((slot) => ({
    output_id: slot.id,
    type: slot.type,
    url:
      slot.type === 'text'
        ? `Simulated ${slot.name.toLowerCase()} from ${run.technique.name} (${run.runId}).`
        : `${outputBaseUrl}/runs/${run.runId}/${encodeURIComponent(slot.id)}.${FILE_EXTENSIONS[slot.type]}`,
  }));
}

export function runObjectAt(run: RunRecord, nowMs: number, outputBaseUrl: string): RunObject {
  const state = runStateAt(run, nowMs);
  const body: RunObject = {
    run_id: run.runId,
    status: state.status,
    progress: state.progress,
    created_at: seconds(run.createdAtMs),
    poll_url: run.pollUrl,
  };
  if (state.startedAtMs !== undefined) body.started_at = seconds(state.startedAtMs);
  if (state.endedAtMs !== undefined) body.completed_at = seconds(state.endedAtMs);
  if (state.status === 'completed') {
    body.charged_cost = run.technique.run_cost;
    body.outputs = outputsOf(run, outputBaseUrl);
  }
  if (state.status === 'failed' && run.outcome.kind === 'failed') {
    body.charged_cost = 0;
    body.error_code = run.outcome.code;
    body.error_message = run.outcome.message;
  }
  return body;
}

export function historyItemAt(run: RunRecord, nowMs: number, outputBaseUrl: string): RunHistoryItem {
  return {
    ...runObjectAt(run, nowMs, outputBaseUrl),
    technique_run_id: run.runId,
    workspace_id: run.workspaceId,
    project_id: run.projectId,
    technique: { technique_id: run.technique.technique_id, name: run.technique.name },
  };
}

export function simRunViewAt(run: RunRecord, nowMs: number, outputBaseUrl: string): SimRunView {
  return {
    ...runObjectAt(run, nowMs, outputBaseUrl),
    technique_id: run.technique.technique_id,
    slug: run.technique.slug,
    route: run.route,
    ...(run.idempotencyKey !== undefined ? { idempotency_key: run.idempotencyKey } : {}),
    inputs: { ...run.inputs },
    ...(run.callbackUrl !== undefined ? { callback_url: run.callbackUrl } : {}),
    planned_outcome: run.outcome,
  };
}

export type NewRun = Omit<RunRecord, 'seq' | 'runId'>;

export class RunStore {
  private readonly runs: RunRecord[] = [];
  private readonly byId = new Map<string, RunRecord>();
  private seq = 0;

  add(runId: string, run: NewRun): RunRecord {
    this.seq += 1;
    const record: RunRecord = { ...run, seq: this.seq, runId };
    this.runs.push(record);
    this.byId.set(runId, record);
    return record;
  }

  /** The sequence number of the newest run ever added (0 before the first); clear() does not rewind it. */
  get lastSeq(): number {
    return this.seq;
  }

  get(runId: string): RunRecord | undefined {
    return this.byId.get(runId);
  }

  has(runId: string): boolean {
    return this.byId.has(runId);
  }

  /** Newest first. */
  *newestFirst(): IterableIterator<RunRecord> {
    for (let i = this.runs.length - 1; i >= 0; i -= 1) {
      const run = this.runs[i];
      if (run) yield run;
    }
  }

  /** USD held by runs that have not failed: completed runs are billed, in-flight ones may still be. */
  committedUsd(nowMs: number): number {
    let total = 0;
    for (const run of this.runs) {
      if (runStateAt(run, nowMs).status !== 'failed') total += run.technique.run_cost;
    }
    return roundUsd(total);
  }

  billedUsd(nowMs: number): number {
    let total = 0;
    for (const run of this.runs) {
      if (runStateAt(run, nowMs).status === 'completed') total += run.technique.run_cost;
    }
    return roundUsd(total);
  }

  inFlight(nowMs: number): number {
    let count = 0;
    for (const run of this.runs) if (!isTerminal(runStateAt(run, nowMs).status)) count += 1;
    return count;
  }

  clear(): void {
    this.runs.length = 0;
    this.byId.clear();
  }
}
