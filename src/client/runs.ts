import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import { DEFAULT_TASK_QUEUE } from '../domain/task-queue';
import { runTechnique, statusQuery } from '../workflows';
import type { RunTechniqueInput, RunTechniqueResult, RunTechniqueStatus } from '../workflows/types';
import { searchAttributesRegistered } from '../temporal/search-attributes';
import { FloraTechniqueKey } from '../domain/search-attribute-keys';
import { checkRequest, describeProblems } from '../domain/request-check';
import { startIdempotently, type StartOutcome } from './idempotent-start';
import { FINGERPRINT_MEMO_KEY, runFingerprint } from './request-fingerprint';
import { fastPollingProblems } from './polling';
import { clientRequestProblems } from './request-limits';

export interface StartRunOptions {
  /** Temporal task queue of the flora-temporal workers. @default DEFAULT_TASK_QUEUE ('flora') */
  taskQueue?: string;
  /**
   * Workflow id. An explicit id makes the start idempotent: the same request attaches to the running
   * workflow or returns the completed one's result; a different request is refused
   * (WorkflowIdConflictError). @default a random id
   */
  workflowId?: string;
  /**
   * Start again a workflow with this id that failed, was cancelled, terminated or timed out (its new
   * FLORA runs are billed). Without it such a start is refused with RerunRequiredError. @default false
   */
  rerun?: boolean;
  /**
   * Allow `options.pollMinMs` below 1,000 ms. Only for a FLORA simulator on loopback (tests, demos):
   * FLORA asks for one poll every 2–5 s. @default false
   */
  allowFastPolling?: boolean;
}

/** A workflow handle plus what the start did (started, attached, completed, rerun). */
export type StartedHandle<W extends Workflow> = WorkflowHandle<W> & { readonly start: StartOutcome };

export class InvalidRunRequestError extends Error {
  override readonly name = 'InvalidRunRequestError';
}

/**
 * Starts `runTechnique`, idempotently under an explicit workflow id (see `startIdempotently`). The
 * request's shape and options are checked here first, so obvious mistakes fail before anything reaches
 * Temporal; the workflow checks the inputs against the technique schema before creating anything.
 */
export async function startTechniqueRun(
  client: Client,
  input: RunTechniqueInput,
  options: StartRunOptions = {},
): Promise<StartedHandle<typeof runTechnique>> {
  const {
    taskQueue = DEFAULT_TASK_QUEUE,
    workflowId = `flora-run-${crypto.randomUUID()}`,
    rerun = false,
  } = options;
  const checked = checkRequest(input);
  if (!checked.ok) throw new InvalidRunRequestError(describeProblems(checked.problems));
  const polling = fastPollingProblems(
    [{ field: 'options.pollMinMs', pollMinMs: input.options?.pollMinMs }],
    options.allowFastPolling,
  );
  if (polling.length > 0) throw new InvalidRunRequestError(polling.join('; '));
  const limits = clientRequestProblems(input);
  if (limits.length > 0) throw new InvalidRunRequestError(limits.join('; '));
  const searchable = await searchAttributesRegistered(
    client.connection.operatorService,
    client.options.namespace,
  );
  const technique = input.technique ?? input.techniqueId ?? '';
  const fingerprint = runFingerprint(input);
  const { handle, outcome } = await startIdempotently({
    client,
    workflowId,
    workflowType: 'runTechnique',
    fingerprint,
    fingerprintOfInput: (arg) =>
      arg !== null && typeof arg === 'object' ? runFingerprint(arg as RunTechniqueInput) : undefined,
    rerun,
    start: (policies) =>
      client.workflow.start(runTechnique, {
        taskQueue,
        workflowId,
        args: [input],
        ...policies,
        memo: { technique, [FINGERPRINT_MEMO_KEY]: fingerprint },
        ...(searchable ? { typedSearchAttributes: [{ key: FloraTechniqueKey, value: technique }] } : {}),
      }),
    existing: () => client.workflow.getHandle<typeof runTechnique>(workflowId),
  });
  return Object.assign(handle, { start: outcome });
}

export async function runStatus(handle: WorkflowHandle): Promise<RunTechniqueStatus> {
  return handle.query(statusQuery);
}

export type { StartOutcome };
export type { RunTechniqueInput, RunTechniqueResult, RunTechniqueStatus };
