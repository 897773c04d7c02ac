/**
 * The client library's front door, for code that already has a Temporal `Client`: start technique runs
 * and pipelines, follow them through their queries, cancel them, attach to an existing FLORA run, and
 * list recent ones from Temporal's visibility.
 *
 *   const flora = new FloraWorkflows(client, { taskQueue: 'flora' });
 *   const run = await flora.startRun({ technique: 'cctv-cam', inputs: { input_image: 'https://…' } });
 *   console.log(await run.status());
 *   const result = await run.result();
 */
import type { Client, WorkflowExecutionInfo, WorkflowHandle } from '@temporalio/client';
import { DEFAULT_TASK_QUEUE } from '../domain/task-queue';
import type { PipelineSpecInput } from '../pipelines/spec';
import type { Ledger, PipelineProgress, PipelineResult } from '../pipelines/types';
import {
  progressQuery,
  raiseBudgetUpdate,
  type runPipeline,
  type runTechnique,
  statusQuery,
} from '../workflows';
import { FloraPipelineKey, FloraRunIdKey, FloraTechniqueKey } from '../domain/search-attribute-keys';
import type { RunTechniqueInput, RunTechniqueResult, RunTechniqueStatus } from '../workflows/types';
import { requireSearchAttributes, visibilityString } from '../temporal/search-attributes';
import { startPipeline } from './pipelines';
import type { StartOutcome } from './idempotent-start';
import { startTechniqueRun } from './runs';

export interface FloraWorkflowsOptions {
  /** Task queue of the flora-temporal workers. @default DEFAULT_TASK_QUEUE ('flora') */
  taskQueue?: string;
  /**
   * Allow `pollMinMs` below 1,000 ms. Only for a FLORA simulator on loopback (tests, demos): FLORA
   * asks for one poll every 2–5 s. @default false
   */
  allowFastPolling?: boolean;
}

/** Options of `startRun` and `startPipeline`. */
export interface StartOptions {
  /**
   * An explicit id makes the start idempotent: the same request attaches to the running workflow or
   * returns the completed one's result; a different request is refused (WorkflowIdConflictError).
   */
  workflowId?: string;
  /** Start again a workflow with this id that failed, was cancelled, terminated or timed out (billed again). @default false */
  rerun?: boolean;
}

export class TechniqueRun {
  constructor(
    readonly handle: WorkflowHandle<typeof runTechnique>,
    /** What the start did (started, attached, completed, rerun); undefined for `getRun`. */
    readonly start?: StartOutcome,
  ) {}
  get workflowId(): string {
    return this.handle.workflowId;
  }
  /** Waits for the run; a failure rejects with WorkflowFailedError (its cause chain ends in the typed ApplicationFailure). */
  result(): Promise<RunTechniqueResult> {
    return this.handle.result();
  }
  status(): Promise<RunTechniqueStatus> {
    return this.handle.query(statusQuery);
  }
  /** Stops polling; the FLORA run itself keeps going (FLORA has no cancel). */
  cancel(): Promise<void> {
    return this.handle.cancel().then(() => undefined);
  }
}

export class PipelineRun {
  constructor(
    readonly handle: WorkflowHandle<typeof runPipeline>,
    /** What the start did (started, attached, completed, rerun); undefined for `getPipeline`. */
    readonly start?: StartOutcome,
  ) {}
  get workflowId(): string {
    return this.handle.workflowId;
  }
  result(): Promise<PipelineResult> {
    return this.handle.result();
  }
  progress(): Promise<PipelineProgress> {
    return this.handle.query(progressQuery);
  }
  /**
   * Raises the pipeline's budget to this many USD (for `onBudgetExceeded: "wait"`) and returns the new
   * ledger. Refused, with the reason, when `usd` is below the current budget, negative or not finite,
   * or the pipeline has no budget.
   */
  raiseBudget(usd: number): Promise<Ledger> {
    return this.handle.executeUpdate(raiseBudgetUpdate, { args: [usd] });
  }
  /** Cancels the pipeline and its step workflows. */
  cancel(): Promise<void> {
    return this.handle.cancel().then(() => undefined);
  }
}

export interface ListRunsOptions {
  /** @default 20 */
  limit?: number;
  technique?: string;
  /** The workflow that created or attached this FLORA run. */
  floraRunId?: string;
  pipeline?: string;
  /** Temporal's ExecutionStatus, e.g. 'Running'. */
  status?: string;
}

export interface RunSummary {
  workflowId: string;
  runId: string;
  type: string;
  status: string;
  startTime: string;
  closeTime: string | null;
  technique: string | null;
  pipeline: string | null;
  floraRunIds: string[];
}

export const WORKFLOW_TYPES = ['runTechnique', 'runPipeline'] as const;

function memoString(memo: Record<string, unknown> | undefined, key: string): string | undefined {
  const value = memo?.[key];
  return typeof value === 'string' ? value : undefined;
}

function summarize(info: WorkflowExecutionInfo): RunSummary {
  return {
    workflowId: info.workflowId,
    runId: info.runId,
    type: info.type,
    status: info.status.name,
    startTime: info.startTime.toISOString(),
    closeTime: info.closeTime?.toISOString() ?? null,
    technique:
      info.typedSearchAttributes.get(FloraTechniqueKey) ?? memoString(info.memo, 'technique') ?? null,
    pipeline: info.typedSearchAttributes.get(FloraPipelineKey) ?? memoString(info.memo, 'pipeline') ?? null,
    floraRunIds: info.typedSearchAttributes.get(FloraRunIdKey) ?? [],
  };
}

export class FloraWorkflows {
  private readonly taskQueue: string;
  private readonly allowFastPolling: boolean;

  constructor(
    readonly client: Client,
    options: FloraWorkflowsOptions = {},
  ) {
    this.taskQueue = options.taskQueue ?? DEFAULT_TASK_QUEUE;
    this.allowFastPolling = options.allowFastPolling ?? false;
  }

  /** Starts `runTechnique`; an explicit workflow id is an idempotent request (see StartOptions). */
  async startRun(input: RunTechniqueInput, options: StartOptions = {}): Promise<TechniqueRun> {
    const handle = await startTechniqueRun(this.client, input, {
      taskQueue: this.taskQueue,
      allowFastPolling: this.allowFastPolling,
      ...options,
    });
    return new TechniqueRun(handle, handle.start);
  }

  /** Follows an existing FLORA run (created elsewhere, or found after a lost create) without creating anything. */
  async attachRun(
    floraRunId: string,
    technique: Omit<RunTechniqueInput, 'inputs' | 'options'>,
    options: StartOptions = {},
  ): Promise<TechniqueRun> {
    return this.startRun({ ...technique, inputs: {}, options: { attachRunId: floraRunId } }, options);
  }

  /** Starts `runPipeline`; an explicit workflow id is an idempotent request (see StartOptions). */
  async startPipeline(spec: PipelineSpecInput, options: StartOptions = {}): Promise<PipelineRun> {
    const handle = await startPipeline(this.client, spec, {
      taskQueue: this.taskQueue,
      allowFastPolling: this.allowFastPolling,
      ...options,
    });
    return new PipelineRun(handle, handle.start);
  }

  getRun(workflowId: string): TechniqueRun {
    return new TechniqueRun(this.client.workflow.getHandle<typeof runTechnique>(workflowId));
  }

  getPipeline(workflowId: string): PipelineRun {
    return new PipelineRun(this.client.workflow.getHandle<typeof runPipeline>(workflowId));
  }

  /**
   * Our workflows, newest first, from Temporal's visibility (search attributes narrow it down). Filters
   * on a namespace without our search attributes throw SearchAttributesMissingError.
   */
  async listRuns(options: ListRunsOptions = {}): Promise<RunSummary[]> {
    const { limit = 20, technique, floraRunId, pipeline, status } = options;
    const clauses = [`WorkflowType IN (${WORKFLOW_TYPES.map(visibilityString).join(', ')})`];
    if (technique) clauses.push(`${FloraTechniqueKey.name} = ${visibilityString(technique)}`);
    if (floraRunId) clauses.push(`${FloraRunIdKey.name} = ${visibilityString(floraRunId)}`);
    if (pipeline) clauses.push(`${FloraPipelineKey.name} = ${visibilityString(pipeline)}`);
    if (status) clauses.push(`ExecutionStatus = ${visibilityString(status)}`);
    const filters: [string | undefined, string, string][] = [
      [technique, FloraTechniqueKey.name, 'technique'],
      [floraRunId, FloraRunIdKey.name, 'FLORA run id'],
      [pipeline, FloraPipelineKey.name, 'pipeline'],
    ];
    const used = filters.filter(([value]) => value);
    await requireSearchAttributes(
      this.client.connection.operatorService,
      this.client.options.namespace,
      used.map(([, name]) => name),
      `Listing runs by ${used.map(([, , what]) => what).join(' and ')}`,
    );
    const rows: WorkflowExecutionInfo[] = [];
    for await (const info of this.client.workflow.list({
      query: clauses.join(' AND '),
      pageSize: Math.min(limit, 100),
    })) {
      rows.push(info);
      if (rows.length >= limit) break;
    }
    return rows.sort((a, b) => b.startTime.getTime() - a.startTime.getTime()).map(summarize);
  }
}
