/**
 * An explicit workflow id is an idempotent request. One rule for running and closed workflows:
 * - no workflow with this id yet → start it;
 * - a workflow with this id and a different request (technique, inputs, options; or pipeline spec) →
 *   refuse, naming what differs;
 * - the same request, still running → attach to it;
 * - the same request, completed → its result stands; nothing is started and nothing is billed;
 * - the same request, failed / cancelled / terminated / timed out → start again only when the caller
 *   asks (`rerun`), since the new execution creates, and pays for, new FLORA runs.
 *
 * Temporal enforces the races: the first start uses conflict policy FAIL and reuse policy
 * REJECT_DUPLICATE (so nothing is started behind the fingerprint check), and a rerun uses
 * ALLOW_DUPLICATE_FAILED_ONLY (so a workflow that completed in the meantime is never started again).
 */
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionDescription,
} from '@temporalio/client';
import {
  differingParts,
  FINGERPRINT_MEMO_KEY,
  readFingerprint,
  type RequestFingerprint,
} from './request-fingerprint';

/**
 * What a start did: `started` (new), `attached` (running), `completed` (existing result), `rerun`, or
 * `resumed` (a pipeline started again taking the runs its last execution paid for).
 */
export type StartAction = 'started' | 'attached' | 'completed' | 'rerun' | 'resumed';

export interface StartOutcome {
  action: StartAction;
  workflowId: string;
  /** The execution found under this id (for attached, completed and rerun). */
  existing?: { runId: string; status: string };
  /** Where the existing request was read from: the memo, or (older workflows) the start event's input. */
  comparedWith?: 'memo' | 'history';
  /** For `resumed`: what was taken from the last execution and what runs again. */
  resumed?: ResumeSummary;
}

export interface ResumeSummary {
  /** Steps with runs taken from the last execution, and how many of their runs. */
  reused: { step: string; runs: number; chargedUsd: number }[];
  /** USD those runs were charged when they ran (not charged again). */
  reusedUsd: number;
  /** Steps that run (again), and why they are not reused. */
  rerun: { step: string; why: string }[];
}

/** The workflow id belongs to a different request; nothing was started. */
export class WorkflowIdConflictError extends Error {
  override readonly name = 'WorkflowIdConflictError';
  constructor(
    readonly workflowId: string,
    /** The request's parts that differ, e.g. ['inputs'] or ['technique', 'inputs']. */
    readonly differs: string[],
    message: string,
  ) {
    super(message);
  }
}

/** The workflow ended without a result; running it again bills again, so it needs `rerun`. */
export class RerunRequiredError extends Error {
  override readonly name = 'RerunRequiredError';
  constructor(
    readonly workflowId: string,
    readonly status: string,
  ) {
    super(
      `workflow ${workflowId} already ran this request and ended ${status.toLowerCase().replace('_', ' ')}; ` +
        `nothing was started. To start it again, rerun it (CLI: --rerun; library: { rerun: true }): ` +
        `the new execution creates new FLORA runs, which are billed`,
    );
  }
}

export type StartPolicies = {
  workflowIdConflictPolicy: 'FAIL';
  workflowIdReusePolicy: 'REJECT_DUPLICATE' | 'ALLOW_DUPLICATE_FAILED_ONLY';
};

export interface IdempotentStartArgs<H> {
  client: Client;
  workflowId: string;
  workflowType: 'runTechnique' | 'runPipeline';
  fingerprint: RequestFingerprint;
  /** The fingerprint of a workflow's first argument, for workflows started without one in the memo. */
  fingerprintOfInput: (arg: unknown) => RequestFingerprint | undefined;
  /** Start again a workflow that failed, was cancelled, terminated or timed out. @default false */
  rerun?: boolean;
  start: (policies: StartPolicies) => Promise<H>;
  /** A handle on the existing workflow (latest execution). */
  existing: () => H;
}

const CLOSED_UNSUCCESSFULLY = new Set(['FAILED', 'CANCELLED', 'TERMINATED', 'TIMED_OUT']);

export async function startIdempotently<H>(
  args: IdempotentStartArgs<H>,
): Promise<{ handle: H; outcome: StartOutcome }> {
  const { workflowId } = args;
  // The state under an id can change between our calls (a run completes, another client starts it):
  // each turn re-reads it; a handful of turns is plenty for a human-paced race.
  for (let turn = 0; turn < 5; turn++) {
    try {
      const handle = await args.start({
        workflowIdConflictPolicy: 'FAIL',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      });
      return { handle, outcome: { action: 'started', workflowId } };
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    const found = await describeOrUndefined(args.client, workflowId);
    if (!found) continue; // removed by retention in between: start afresh
    const comparedWith = await checkSameRequest(args, found);
    const existing = { runId: found.runId, status: found.status.name };
    const status = found.status.name;
    if (status === 'COMPLETED')
      return {
        handle: args.existing(),
        outcome: { action: 'completed', workflowId, existing, comparedWith },
      };
    if (!CLOSED_UNSUCCESSFULLY.has(status))
      return { handle: args.existing(), outcome: { action: 'attached', workflowId, existing, comparedWith } };
    if (!args.rerun) throw new RerunRequiredError(workflowId, status);
    try {
      const handle = await args.start({
        workflowIdConflictPolicy: 'FAIL',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      });
      return { handle, outcome: { action: 'rerun', workflowId, existing, comparedWith } };
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }
  throw new Error(`workflow ${workflowId} kept changing state while starting it; try again`);
}

/** The workflow's description, or undefined when no workflow has that id. */
export async function describeOrUndefined(
  client: Client,
  workflowId: string,
): Promise<WorkflowExecutionDescription | undefined> {
  try {
    return await client.workflow.getHandle(workflowId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/** Throws WorkflowIdConflictError unless the existing workflow was started with the same request. */
async function checkSameRequest<H>(
  args: IdempotentStartArgs<H>,
  found: WorkflowExecutionDescription,
): Promise<'memo' | 'history'> {
  const { workflowId, fingerprint } = args;
  const what = args.workflowType === 'runTechnique' ? 'run' : 'pipeline';
  if (found.type !== args.workflowType) {
    throw new WorkflowIdConflictError(
      workflowId,
      ['kind'],
      `workflow id ${workflowId} belongs to a ${found.type} workflow, not a ${what}; choose another workflow id`,
    );
  }
  let recorded = readFingerprint(found.memo?.[FINGERPRINT_MEMO_KEY]);
  let source: 'memo' | 'history' = 'memo';
  if (!recorded) {
    // Started before fingerprints were recorded: fingerprint the start event's input instead.
    source = 'history';
    recorded = await fingerprintFromHistory(args, found.runId).catch(() => undefined);
    if (!recorded) {
      throw new WorkflowIdConflictError(
        workflowId,
        [],
        `workflow ${workflowId} records no request fingerprint and its start input could not be read, so ` +
          `this cannot be confirmed to be the same ${what}; nothing was started. Choose another workflow id`,
      );
    }
  }
  const differs = differingParts(recorded, fingerprint);
  if (differs.length > 0) {
    throw new WorkflowIdConflictError(
      workflowId,
      differs,
      `workflow ${workflowId} (${found.status.name.toLowerCase()}) was started with a different ${what} ` +
        `request: ${differs.join(', ')} differ${differs.length === 1 ? 's' : ''}; nothing was started. ` +
        `Use another workflow id, or the same request to attach to it`,
    );
  }
  return source;
}

async function fingerprintFromHistory<H>(
  args: IdempotentStartArgs<H>,
  runId: string,
): Promise<RequestFingerprint | undefined> {
  const input = await readStartInput(args.client, args.workflowId, runId);
  return input === undefined ? undefined : args.fingerprintOfInput(input);
}

/** The first argument an execution was started with, read from its start event (decoded as the SDK does). */
export async function readStartInput(client: Client, workflowId: string, runId: string): Promise<unknown> {
  const page = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId, runId },
    maximumPageSize: 1,
  });
  let payloads = page.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
  const { payloadCodecs, payloadConverter } = client.options.loadedDataConverter;
  // Codecs encode in order, so they decode in reverse (as the SDK does).
  for (const codec of [...payloadCodecs].reverse()) payloads = await codec.decode(payloads);
  const first = payloads[0];
  return first ? payloadConverter.fromPayload(first) : undefined;
}
