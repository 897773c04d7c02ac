import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_TASK_QUEUE } from '../domain/task-queue';
import { describeSpecProblems, parsePipelineSpec, type PipelineSpecInput } from '../pipelines/spec';
import { checkSpecOptions } from '../pipelines/plan';
import { searchAttributesRegistered } from '../temporal/search-attributes';
import { runPipeline } from '../workflows';
import { FloraPipelineKey } from '../domain/search-attribute-keys';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { PipelineReuse } from '../pipelines/wire';
import { startIdempotently, type StartPolicies } from './idempotent-start';
import { planResume, ResumeError } from './resume';
import { differingParts, FINGERPRINT_MEMO_KEY, pipelineFingerprint } from './request-fingerprint';
import type { StartedHandle } from './runs';
import { fastPollingProblems } from './polling';

export { ResumeError };

export class InvalidPipelineError extends Error {
  override readonly name = 'InvalidPipelineError';
}

/** Reads a `.json`, `.yaml` or `.yml` file as data, without checking it against the spec. */
export async function readSpecFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new InvalidPipelineError(`no such pipeline file: ${path}`);
    throw err;
  }
  const yaml = /\.ya?ml$/i.test(path);
  try {
    return yaml ? (parseYaml(text) as unknown) : (JSON.parse(text) as unknown);
  } catch (err) {
    throw new InvalidPipelineError(
      `${path} is not valid ${yaml ? 'YAML' : 'JSON'}: ${(err as Error).message}`,
    );
  }
}

/** Reads a pipeline spec file and checks its shape. */
export async function loadPipelineFile(path: string): Promise<PipelineSpecInput> {
  const value = await readSpecFile(path);
  const parsed = parsePipelineSpec(value);
  if (!parsed.ok) throw new InvalidPipelineError(`${path}: ${describeSpecProblems(parsed.problems)}`);
  return value as PipelineSpecInput;
}

export interface StartPipelineOptions {
  /** @default DEFAULT_TASK_QUEUE ('flora') */
  taskQueue?: string;
  /**
   * Workflow id. An explicit id makes the start idempotent: the same spec attaches to the running
   * pipeline or returns the completed one's result; a different spec is refused
   * (WorkflowIdConflictError). @default `pipeline-<name>-<uuid>`
   */
  workflowId?: string;
  /**
   * Start again a pipeline with this id that failed, was cancelled, terminated or timed out (its new
   * FLORA runs are billed). Without it such a start is refused with RerunRequiredError. @default false
   */
  rerun?: boolean;
  /** Allow `pollMinMs` below 1,000 ms, in the spec's or a step's options: a loopback simulator only. @default false */
  allowFastPolling?: boolean;
  /**
   * With `workflowId`: start a new execution of that closed pipeline (failed, cancelled, terminated, timed
   * out, or completed with a different spec) that takes every run its last execution completed for a step
   * whose request is unchanged, and creates only the rest. The spec may differ (that is the point: fix the
   * input that failed); see docs/pipelines.md for the rule. Refused (ResumeError) while it runs.
   * @default false
   */
  resume?: boolean;
}

/**
 * Starts `runPipeline` after checking the spec's shape (schemas, types and budget are checked by the
 * workflow), idempotently under an explicit workflow id (see `startIdempotently`).
 */
export async function startPipeline(
  client: Client,
  spec: PipelineSpecInput,
  options: StartPipelineOptions = {},
): Promise<StartedHandle<typeof runPipeline>> {
  const parsed = parsePipelineSpec(spec);
  if (!parsed.ok) throw new InvalidPipelineError(describeSpecProblems(parsed.problems));
  // The options' full bounds, now rather than in the workflow after it fetched every schema.
  const optionProblems = checkSpecOptions(parsed.spec);
  if (optionProblems.length > 0) throw new InvalidPipelineError(describeSpecProblems(optionProblems));
  const polling = fastPollingProblems(
    [
      { field: 'options.pollMinMs', pollMinMs: parsed.spec.options?.pollMinMs },
      ...parsed.spec.steps.map((step, i) => ({
        field: `steps[${i}].options.pollMinMs`,
        pollMinMs: step.options?.pollMinMs,
      })),
    ],
    options.allowFastPolling,
  );
  if (polling.length > 0) throw new InvalidPipelineError(polling.join('; '));
  const slug =
    parsed.spec.name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'pipeline';
  const {
    taskQueue = DEFAULT_TASK_QUEUE,
    workflowId = `pipeline-${slug}-${crypto.randomUUID()}`,
    rerun = false,
  } = options;
  const searchable = await searchAttributesRegistered(
    client.connection.operatorService,
    client.options.namespace,
  );
  const fingerprint = pipelineFingerprint(spec);
  const startWith = (
    policies: StartPolicies | { workflowIdConflictPolicy: 'FAIL'; workflowIdReusePolicy: 'ALLOW_DUPLICATE' },
    reuse?: PipelineReuse,
  ) =>
    client.workflow.start(runPipeline, {
      taskQueue,
      workflowId,
      args: [reuse === undefined ? { spec } : { spec, reuse }],
      ...policies,
      memo: { pipeline: parsed.spec.name, [FINGERPRINT_MEMO_KEY]: fingerprint },
      ...(searchable ? { typedSearchAttributes: [{ key: FloraPipelineKey, value: parsed.spec.name }] } : {}),
    });
  if (options.resume) {
    if (options.workflowId === undefined)
      throw new InvalidPipelineError('resume needs the workflowId of the pipeline to resume');
    const plan = await planResume(client, workflowId, parsed.spec);
    const existing = plan.from;
    if (
      existing.status === 'COMPLETED' &&
      differingParts(pipelineFingerprint(plan.earlierSpec), fingerprint).length === 0
    ) {
      // The same spec, completed: its result stands, nothing to resume.
      const handle = client.workflow.getHandle<typeof runPipeline>(workflowId);
      return Object.assign(handle, { start: { action: 'completed' as const, workflowId, existing } });
    }
    try {
      const handle = await startWith(
        { workflowIdConflictPolicy: 'FAIL', workflowIdReusePolicy: 'ALLOW_DUPLICATE' },
        plan.reuse,
      );
      return Object.assign(handle, {
        start: { action: 'resumed' as const, workflowId, existing, resumed: plan.summary },
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError)
        throw new ResumeError(`pipeline ${workflowId} was started again meanwhile; nothing was started`);
      throw err;
    }
  }
  const { handle, outcome } = await startIdempotently({
    client,
    workflowId,
    workflowType: 'runPipeline',
    fingerprint,
    fingerprintOfInput: (arg) => {
      const recorded = (arg as { spec?: unknown } | null)?.spec;
      return recorded !== null && typeof recorded === 'object'
        ? pipelineFingerprint(recorded as PipelineSpecInput)
        : undefined;
    },
    rerun,
    start: (policies) => startWith(policies),
    existing: () => client.workflow.getHandle<typeof runPipeline>(workflowId),
  });
  return Object.assign(handle, { start: outcome });
}
