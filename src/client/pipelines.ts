import { readFile } from 'node:fs/promises';
import type { Client } from '@temporalio/client';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_TASK_QUEUE } from '../domain/task-queue';
import { describeSpecProblems, parsePipelineSpec, type PipelineSpecInput } from '../pipelines/spec';
import { searchAttributesRegistered } from '../temporal/search-attributes';
import { runPipeline } from '../workflows';
import { FloraPipelineKey } from '../domain/search-attribute-keys';
import { startIdempotently } from './idempotent-start';
import { FINGERPRINT_MEMO_KEY, pipelineFingerprint } from './request-fingerprint';
import type { StartedHandle } from './runs';
import { fastPollingProblems } from './polling';

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
    start: (policies) =>
      client.workflow.start(runPipeline, {
        taskQueue,
        workflowId,
        args: [{ spec }],
        ...policies,
        memo: { pipeline: parsed.spec.name, [FINGERPRINT_MEMO_KEY]: fingerprint },
        ...(searchable
          ? { typedSearchAttributes: [{ key: FloraPipelineKey, value: parsed.spec.name }] }
          : {}),
      }),
    existing: () => client.workflow.getHandle<typeof runPipeline>(workflowId),
  });
  return Object.assign(handle, { start: outcome });
}
