/**
 * `startPipeline(spec, { workflowId, resume: true })`: what a new execution of a closed pipeline may take
 * from its last execution instead of paying again.
 *
 * The rule: a step is reused when its own request is unchanged, i.e. the same step id with the same
 * technique, the same `inputs` and the same `forEach` as in the last execution, and every step it reads
 * from is reused whole (so its resolved inputs are the same too). Its runs that completed there are taken
 * (their outputs, run ids and charges); the others run. Options (`pollMinMs`, `deadline`, `budgetUsd`, ...)
 * never change what a step produces, so they do not count. Everything else runs, with new idempotency keys.
 */
import { WorkflowFailedError, type Client, type WorkflowExecutionDescription } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { parseReuse } from '../pipelines/reuse';
import { parsePipelineSpec, type PipelineSpec, type PipelineSpecInput, type Step } from '../pipelines/spec';
import type { StepResult, StepRunProgress } from '../pipelines/types';
import type { PipelineReuse, ReusedRunInput } from '../pipelines/wire';
import type { ResumeSummary } from './idempotent-start';
import { describeOrUndefined, readStartInput } from './idempotent-start';
import { canonicalJson } from './request-fingerprint';

/** Nothing can be resumed under this id (none, running, not a pipeline, unreadable); nothing was started. */
export class ResumeError extends Error {
  override readonly name = 'ResumeError';
}

/** A step's runs in the last execution, by index, and whether the step completed whole. */
interface EarlierStep {
  complete: boolean;
  runs: Map<number, ReusedRunInput>;
}

export interface ResumePlan {
  from: { runId: string; status: string };
  /** The last execution's spec, for the fingerprint comparison. */
  earlierSpec: PipelineSpecInput;
  reuse: PipelineReuse;
  summary: ResumeSummary;
}

/** The step's request as the rule compares it: technique, inputs and forEach. */
function requestOf(step: Step): string {
  return canonicalJson({
    technique: step.technique,
    techniqueId: step.techniqueId,
    workspaceId: step.workspaceId,
    inputs: step.inputs,
    forEach: step.forEach,
  });
}

function readsFrom(step: Step): string[] {
  const refs = Object.values(step.inputs).flatMap((ref) =>
    typeof ref === 'object' && 'fromStep' in ref ? [ref.fromStep] : [],
  );
  if (step.forEach !== undefined && !Array.isArray(step.forEach)) refs.push(step.forEach.fromStep);
  return refs;
}

/** Which steps of `spec` are reused from `earlier` (see the rule above), and why the others are not. */
export function reusableSteps(
  earlierSpec: PipelineSpec,
  spec: PipelineSpec,
  earlier: Map<string, EarlierStep>,
): { reuse: Record<string, ReusedRunInput[]>; whole: Set<string>; rerun: { step: string; why: string }[] } {
  const before = new Map(earlierSpec.steps.map((s) => [s.id, s]));
  const steps = new Map(spec.steps.map((s) => [s.id, s]));
  const reuse: Record<string, ReusedRunInput[]> = {};
  const whole = new Set<string>();
  const rerun: { step: string; why: string }[] = [];
  const decided = new Map<string, string | undefined>(); // step → why not reused (undefined: reused)
  const decide = (id: string, seen: Set<string>): string | undefined => {
    if (decided.has(id)) return decided.get(id);
    const step = steps.get(id);
    const old = before.get(id);
    const ran = earlier.get(id);
    let why: string | undefined;
    if (step === undefined || seen.has(id)) why = 'not a step of this spec';
    else if (old === undefined) why = 'new step';
    else if (requestOf(old) !== requestOf(step)) why = 'its technique, inputs or forEach changed';
    else if (ran === undefined || ran.runs.size === 0) why = 'no run of it completed';
    else {
      const dep = readsFrom(step).find(
        (d) => decide(d, new Set([...seen, id])) !== undefined || !whole.has(d),
      );
      if (dep !== undefined) why = `it reads from step "${dep}", which runs again`;
    }
    decided.set(id, why);
    if (why === undefined && step !== undefined && ran !== undefined) {
      reuse[id] = [...ran.runs.values()].sort((a, b) => a.index - b.index);
      if (ran.complete) whole.add(id);
    }
    return why;
  };
  for (const step of spec.steps) {
    const why = decide(step.id, new Set());
    if (why !== undefined) rerun.push({ step: step.id, why });
    else if (!whole.has(step.id)) rerun.push({ step: step.id, why: 'some of its runs did not complete' });
  }
  return { reuse, whole, rerun };
}

function runInput(run: StepRunProgress): ReusedRunInput | undefined {
  if (run.phase !== 'completed' || run.runId === undefined) return undefined;
  return {
    index: run.index,
    runId: run.runId,
    outputs: run.outputs,
    // A run the last execution itself reused was charged in an earlier one: carry that charge.
    chargedUsd: run.reused?.chargedUsd ?? run.chargedUsd,
    ...(run.reused?.localFiles ? { localFiles: run.reused.localFiles } : {}),
  };
}

function fromSteps(steps: Record<string, StepResult>): Map<string, EarlierStep> {
  const out = new Map<string, EarlierStep>();
  for (const [id, step] of Object.entries(steps)) {
    const runs = new Map<number, ReusedRunInput>();
    for (const run of step.runs ?? []) {
      const taken = runInput(run);
      if (taken) runs.set(taken.index, taken);
    }
    out.set(id, { complete: step.status === 'completed', runs });
  }
  return out;
}

/**
 * The executions of one pipeline: its last and, when it continued as new between batches, the earlier
 * ones back to its first. A child belongs to them when its parent is this workflow and it started after
 * the first of them did (executions of an earlier start under the same id had all closed by then).
 */
interface Chain {
  workflowId: string;
  lastRunId: string;
  startedAtMs: number;
}

function startedBy(child: WorkflowExecutionDescription, chain: Chain): boolean {
  const parent = child.parentExecution;
  if (parent?.workflowId !== chain.workflowId) return false;
  return parent.runId === chain.lastRunId || child.startTime.getTime() >= chain.startedAtMs;
}

/**
 * Every run is in the steps only when each step lists them all; a pipeline that continued as new, or
 * ran more than PipelineLimits.detailedRuns runs, gives summaries, and its runs are read from the children.
 */
function listsEveryRun(steps: Record<string, StepResult>): boolean {
  return Object.values(steps).every((s) => s.runsListed === undefined || s.runsListed === 'all');
}

/** The steps from the failure's details (`steps`, since fail-fast keeps paid runs), if it has them. */
function stepsOfFailure(err: unknown): Record<string, StepResult> | undefined {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e instanceof ApplicationFailure && e.details?.length) {
      const d: unknown = e.details[0];
      if (
        typeof d === 'object' &&
        d !== null &&
        'steps' in d &&
        typeof d.steps === 'object' &&
        d.steps !== null
      )
        return d.steps as Record<string, StepResult>;
    }
  }
  return undefined;
}

/**
 * A cancelled, terminated or timed-out pipeline, a failure without details, or one whose result only
 * summarises its runs: its children's results. Only children started by that pipeline's executions count
 * (`X/<step>/<index>` may name a child of an earlier start under the same id).
 */
async function fromChildren(
  client: Client,
  chain: Chain,
  spec: PipelineSpec,
  carried: PipelineReuse | undefined,
): Promise<Map<string, EarlierStep>> {
  const out = new Map<string, EarlierStep>();
  for (const step of spec.steps) {
    const runs = new Map<number, ReusedRunInput>();
    for (const r of carried?.steps[step.id] ?? []) runs.set(r.index, r);
    let complete = true;
    const expected =
      step.forEach === undefined ? 1 : Array.isArray(step.forEach) ? step.forEach.length : undefined;
    let index = 0;
    let ended = false;
    while (!ended && (expected === undefined || index < expected)) {
      const batch: number[] = [];
      for (; batch.length < CHILD_READS && (expected === undefined || index < expected); index++)
        if (!runs.has(index)) batch.push(index);
      const reads = await Promise.all(batch.map((i) => readChild(client, chain, step.id, i)));
      for (const read of reads) {
        // Children start in index order: with no list to count, the first missing one is the end.
        if (read === 'missing' && expected === undefined) {
          ended = true;
          break;
        }
        if (read === 'missing' || read === 'not-reusable') complete = false;
        else runs.set(read.index, read);
      }
    }
    // A forEach over a step: how many runs it had is unknown here, so it never counts as whole.
    out.set(step.id, { complete: complete && expected !== undefined, runs });
  }
  return out;
}

/** Children read at once, so planning the resume of a pipeline of thousands of runs is not one round trip at a time. */
const CHILD_READS = 16;

/** The child `X/<step>/<index>`'s run when one of the chain's executions started it and it completed. */
async function readChild(
  client: Client,
  chain: Chain,
  stepId: string,
  index: number,
): Promise<ReusedRunInput | 'missing' | 'not-reusable'> {
  const child = await describeOrUndefined(client, `${chain.workflowId}/${stepId}/${index}`);
  if (child === undefined) return 'missing';
  if (!startedBy(child, chain) || child.status.name !== 'COMPLETED') return 'not-reusable';
  const result = (await client.workflow.getHandle(child.workflowId, child.runId).result()) as {
    runId: string;
    outputs: ReusedRunInput['outputs'];
    chargedCost: number;
  };
  return { index, runId: result.runId, outputs: result.outputs, chargedUsd: result.chargedCost };
}

/**
 * Steps that saved their outputs (`downloadTo`): the saved files' paths, from each child's result, so a
 * resumed execution can fall back on them when an output URL has expired.
 */
async function addLocalFiles(
  client: Client,
  chain: Chain,
  spec: PipelineSpec,
  earlier: Map<string, EarlierStep>,
): Promise<void> {
  for (const step of spec.steps) {
    const downloadTo = step.options?.downloadTo ?? spec.options?.downloadTo;
    if (downloadTo === undefined) continue;
    for (const run of earlier.get(step.id)?.runs.values() ?? []) {
      if (run.localFiles !== undefined) continue;
      const child = await describeOrUndefined(client, `${chain.workflowId}/${step.id}/${run.index}`);
      if (child === undefined || !startedBy(child, chain) || child.status.name !== 'COMPLETED') continue;
      const result = (await client.workflow.getHandle(child.workflowId, child.runId).result()) as {
        downloads?: { outputId: string; file: string }[];
      };
      const dir = `${downloadTo}/${step.id}-${run.index}`;
      const files = (result.downloads ?? []).map((d) => ({ outputId: d.outputId, file: `${dir}/${d.file}` }));
      if (files.length > 0) run.localFiles = files;
    }
  }
}

/** The last execution and, when it continued as new, when the first of its chain started. */
async function chainOf(
  client: Client,
  last: WorkflowExecutionDescription,
  firstRunId: unknown,
): Promise<Chain> {
  const chain = { workflowId: last.workflowId, lastRunId: last.runId, startedAtMs: last.startTime.getTime() };
  if (typeof firstRunId !== 'string' || firstRunId === last.runId) return chain;
  const first = await client.workflow.getHandle(last.workflowId, firstRunId).describe();
  return { ...chain, startedAtMs: first.startTime.getTime() };
}

/** Reads the last execution under `workflowId` and decides what the new one takes from it. */
export async function planResume(
  client: Client,
  workflowId: string,
  spec: PipelineSpec,
): Promise<ResumePlan> {
  const found = await describeOrUndefined(client, workflowId);
  if (found === undefined) throw new ResumeError(`no pipeline ${workflowId} to resume; nothing was started`);
  if (found.type !== 'runPipeline')
    throw new ResumeError(`workflow ${workflowId} is a ${found.type}, not a pipeline; nothing was started`);
  const status = found.status.name;
  if (status === 'RUNNING' || status === 'CONTINUED_AS_NEW')
    throw new ResumeError(
      `pipeline ${workflowId} is still running: wait for it, or cancel it and resume; nothing was started`,
    );
  const input = (await readStartInput(client, workflowId, found.runId)) as
    { spec?: unknown; reuse?: unknown; continued?: { firstExecutionRunId?: unknown } } | undefined;
  const parsed = parsePipelineSpec(input?.spec);
  if (!parsed.ok)
    throw new ResumeError(`the last execution of ${workflowId} has no readable spec; nothing was started`);
  const handle = client.workflow.getHandle(workflowId, found.runId);
  let steps: Record<string, StepResult> | undefined;
  if (status === 'COMPLETED') {
    steps = ((await handle.result()) as { steps: Record<string, StepResult> }).steps;
  } else if (status === 'FAILED') {
    steps = await handle.result().then(
      () => undefined,
      (err: unknown) => (err instanceof WorkflowFailedError ? stepsOfFailure(err.cause) : undefined),
    );
  }
  const chain = await chainOf(client, found, input?.continued?.firstExecutionRunId);
  const earlier =
    steps !== undefined && listsEveryRun(steps)
      ? fromSteps(steps)
      : await fromChildren(client, chain, parsed.spec, parseReuse(input?.reuse));
  await addLocalFiles(client, chain, parsed.spec, earlier);
  const { reuse, rerun } = reusableSteps(parsed.spec, spec, earlier);
  const reused = Object.entries(reuse).map(([step, runs]) => ({
    step,
    runs: runs.length,
    chargedUsd: Math.round(runs.reduce((sum, r) => sum + r.chargedUsd, 0) * 1e6) / 1e6,
  }));
  return {
    from: { runId: found.runId, status },
    earlierSpec: input?.spec as PipelineSpecInput,
    reuse: { from: { workflowId, runId: found.runId }, steps: reuse },
    summary: {
      reused,
      reusedUsd: Math.round(reused.reduce((sum, r) => sum + r.chargedUsd, 0) * 1e6) / 1e6,
      rerun,
    },
  };
}
