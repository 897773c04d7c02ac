/**
 * Worker tuning: the few Temporal worker settings that decide how many runs one flora worker keeps
 * polling on time (docs/operations.md, "Worker tuning", says why each default is what it is).
 *
 *   FLORA_MAX_CACHED_WORKFLOWS             workflows kept in memory (sticky cache)
 *   FLORA_MAX_CONCURRENT_WORKFLOW_TASKS    workflow task slots
 *   FLORA_MAX_CONCURRENT_LOCAL_ACTIVITIES  local activity slots (the polls)
 *   FLORA_MAX_CONCURRENT_ACTIVITIES        activity task slots (creates, schema reads, downloads)
 *   FLORA_WORKFLOW_TASK_POLLERS            concurrent workflow task polls: a number, or "autoscale"
 *   FLORA_ACTIVITY_TASK_POLLERS            concurrent activity task polls: a number, or "autoscale"
 */
import type { WorkerOptions } from '@temporalio/worker';
import { ConfigError } from '../flora/config';

type PollerBehavior = NonNullable<WorkerOptions['workflowTaskPollerBehavior']>;

/** A fixed number of concurrent polls, or Temporal's poller autoscaling (server 1.28 or later). */
export type PollerSetting = number | 'autoscale';

export interface FloraWorkerTuning {
  /** Workflows kept in memory between tasks. @default the SDK's, from the heap size (about 2,300 on a 4 GB heap) */
  maxCachedWorkflows?: number;
  /** @default 40 (the SDK's): enough for the polls of one CPU-bound worker; more let a starved worker take tasks it can't finish in time */
  maxConcurrentWorkflowTaskExecutions?: number;
  /** @default the workflow task slots: each poll runs inside one workflow task */
  maxConcurrentLocalActivityExecutions?: number;
  /** @default 100 (the SDK's) */
  maxConcurrentActivityTaskExecutions?: number;
  /** @default 10 fixed (the SDK's: min(10, workflow task slots)) */
  workflowTaskPollers?: PollerSetting;
  /** @default 10 fixed (the SDK's: min(10, activity task slots)) */
  activityTaskPollers?: PollerSetting;
}

export const DEFAULT_WORKFLOW_TASK_SLOTS = 40;

/** Upper bounds that catch a typo (an extra zero or two) rather than a real deployment. */
const LIMITS = {
  maxCachedWorkflows: 1_000_000,
  slots: 10_000,
  pollers: 1_000,
} as const;

/** The variable behind each tuning field (docs/configuration.md lists them; a test checks it). */
export const TUNING_ENV_NAMES: Record<keyof FloraWorkerTuning, string> = {
  maxCachedWorkflows: 'FLORA_MAX_CACHED_WORKFLOWS',
  maxConcurrentWorkflowTaskExecutions: 'FLORA_MAX_CONCURRENT_WORKFLOW_TASKS',
  maxConcurrentLocalActivityExecutions: 'FLORA_MAX_CONCURRENT_LOCAL_ACTIVITIES',
  maxConcurrentActivityTaskExecutions: 'FLORA_MAX_CONCURRENT_ACTIVITIES',
  workflowTaskPollers: 'FLORA_WORKFLOW_TASK_POLLERS',
  activityTaskPollers: 'FLORA_ACTIVITY_TASK_POLLERS',
};

function integerProblem(value: unknown, min: number, max: number): string | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    return `expected a whole number from ${min} to ${max.toLocaleString('en-US')}, got ${JSON.stringify(value)}`;
  return undefined;
}

function pollerProblem(value: unknown): string | undefined {
  if (value === 'autoscale') return undefined;
  const problem = integerProblem(value, 1, LIMITS.pollers);
  return problem === undefined ? undefined : `${problem.replace(/, got/, ' or "autoscale", got')}`;
}

/** Problems with a tuning, each naming its field (`name` maps a field to what the user wrote). */
function tuningProblems(
  tuning: FloraWorkerTuning,
  name: (field: keyof FloraWorkerTuning) => string,
): string[] {
  const problems: string[] = [];
  const check = (field: keyof FloraWorkerTuning, problem: string | undefined) => {
    if (tuning[field] !== undefined && problem !== undefined) problems.push(`${name(field)}: ${problem}`);
  };
  // 0 disables the cache (every task replays the whole history): allowed, as in the SDK.
  check('maxCachedWorkflows', integerProblem(tuning.maxCachedWorkflows, 0, LIMITS.maxCachedWorkflows));
  // The SDK needs 2 workflow task slots whenever the cache is on.
  check(
    'maxConcurrentWorkflowTaskExecutions',
    integerProblem(tuning.maxConcurrentWorkflowTaskExecutions, 2, LIMITS.slots),
  );
  check(
    'maxConcurrentLocalActivityExecutions',
    integerProblem(tuning.maxConcurrentLocalActivityExecutions, 1, LIMITS.slots),
  );
  check(
    'maxConcurrentActivityTaskExecutions',
    integerProblem(tuning.maxConcurrentActivityTaskExecutions, 1, LIMITS.slots),
  );
  check('workflowTaskPollers', pollerProblem(tuning.workflowTaskPollers));
  check('activityTaskPollers', pollerProblem(tuning.activityTaskPollers));
  const cache = tuning.maxCachedWorkflows;
  const slots = tuning.maxConcurrentWorkflowTaskExecutions ?? DEFAULT_WORKFLOW_TASK_SLOTS;
  if (problems.length === 0 && cache !== undefined && cache > 0 && slots > cache)
    // The SDK would silently lower the slots to the cache size; say so instead.
    problems.push(
      `${name('maxConcurrentWorkflowTaskExecutions')} (${slots}) can't exceed ${name('maxCachedWorkflows')} (${cache}) unless the cache is off (0)`,
    );
  return problems;
}

/** Throws a RangeError naming every bad option (for `createFloraWorker({ tuning })`). */
export function checkTuning(tuning: FloraWorkerTuning): void {
  const problems = tuningProblems(tuning, (field) => `tuning.${field}`);
  if (problems.length > 0) throw new RangeError(`Invalid worker tuning: ${problems.join('; ')}`);
}

/** The tuning set by FLORA_* variables (unset ones left to the defaults); a ConfigError names each bad one. */
export function tuningFromEnv(env: NodeJS.ProcessEnv = process.env): FloraWorkerTuning {
  const raw: Partial<Record<keyof FloraWorkerTuning, unknown>> = {};
  for (const [field, variable] of Object.entries(TUNING_ENV_NAMES) as [keyof FloraWorkerTuning, string][]) {
    const value = env[variable]?.trim();
    if (value === undefined || value === '') continue;
    const isPoller = field === 'workflowTaskPollers' || field === 'activityTaskPollers';
    // Number(' ') is 0 and Number('1e3') is 1000: plain digits only; anything else is reported as given.
    if (isPoller && value.toLowerCase() === 'autoscale') raw[field] = 'autoscale';
    else raw[field] = /^\d+$/.test(value) ? Number(value) : value;
  }
  const tuning = raw as FloraWorkerTuning;
  const problems = tuningProblems(tuning, (field) => TUNING_ENV_NAMES[field]);
  if (problems.length > 0) throw new ConfigError(`Invalid worker tuning: ${problems.join('; ')}`);
  return tuning;
}

function pollerBehavior(setting: PollerSetting | undefined): PollerBehavior | undefined {
  if (setting === undefined) return undefined;
  // Autoscaling with the SDK's bounds (1 to 100, 5 at first); the server sends the scaling decisions.
  return setting === 'autoscale' ? { type: 'autoscaling' } : { type: 'simple-maximum', maximum: setting };
}

/** The Temporal WorkerOptions a tuning stands for, flora's defaults filled in. */
export function tuningWorkerOptions(tuning: FloraWorkerTuning = {}): Partial<WorkerOptions> {
  checkTuning(tuning);
  const workflowSlots = tuning.maxConcurrentWorkflowTaskExecutions ?? DEFAULT_WORKFLOW_TASK_SLOTS;
  const workflowPollers = pollerBehavior(tuning.workflowTaskPollers);
  const activityPollers = pollerBehavior(tuning.activityTaskPollers);
  return {
    maxConcurrentWorkflowTaskExecutions: workflowSlots,
    maxConcurrentLocalActivityExecutions: tuning.maxConcurrentLocalActivityExecutions ?? workflowSlots,
    ...(tuning.maxConcurrentActivityTaskExecutions !== undefined
      ? { maxConcurrentActivityTaskExecutions: tuning.maxConcurrentActivityTaskExecutions }
      : {}),
    ...(tuning.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: tuning.maxCachedWorkflows } : {}),
    ...(workflowPollers ? { workflowTaskPollerBehavior: workflowPollers } : {}),
    ...(activityPollers ? { activityTaskPollerBehavior: activityPollers } : {}),
  };
}

/** One line for the start-up log: the settings that differ from Temporal's own defaults. */
export function describeTuning(tuning: FloraWorkerTuning = {}): string {
  const o = tuningWorkerOptions(tuning);
  const pollers = (b: PollerBehavior | undefined) =>
    b === undefined ? '10' : b.type === 'autoscaling' ? 'autoscaled' : String(b.maximum ?? 10);
  return (
    `${o.maxConcurrentWorkflowTaskExecutions} workflow task slots (${pollers(o.workflowTaskPollerBehavior)} pollers), ` +
    `${o.maxConcurrentLocalActivityExecutions} local activity slots, ` +
    `${o.maxConcurrentActivityTaskExecutions ?? 100} activity slots (${pollers(o.activityTaskPollerBehavior)} pollers), ` +
    `${o.maxCachedWorkflows ?? 'heap-sized'} cached workflows`
  );
}
