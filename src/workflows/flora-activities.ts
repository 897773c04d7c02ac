/**
 * The FLORA activities as workflow code schedules them: under `flora.<name>` for executions that took the
 * `PrefixedActivityNames` patch, under the old unprefixed name for executions recorded before it (so their
 * histories replay), and on `options.activityTaskQueue` when the run asked for one. Used instead of
 * `proxyActivities` for every FLORA activity.
 */
import {
  proxyActivities,
  proxyLocalActivities,
  type ActivityInterfaceFor,
  type ActivityOptions,
  type LocalActivityOptions,
} from '@temporalio/workflow';
import type { FloraActivities } from '../activities';
import { prefixedActivityName } from '../domain/activity-names';
import { Patches } from './patches';
import { patchedInRun } from './run-patches';

type ActivityFn = (...args: unknown[]) => Promise<unknown>;

/**
 * The task queue this execution schedules its regular FLORA activities on; undefined: the workflow's own.
 * Module state is per workflow execution (the SDK gives each execution its own module instances, with or
 * without V8 context reuse), and it is set once from the workflow's input, so it is deterministic.
 */
let activityTaskQueue: string | undefined;

/** Called once at the start of an execution with `options.activityTaskQueue`. */
export function useFloraActivityTaskQueue(taskQueue: string | undefined): void {
  activityTaskQueue = taskQueue;
}

function activityName(name: string): string {
  // The patch is checked when the activity is scheduled, not when this module loads: a patch check only
  // means something inside a workflow execution.
  return patchedInRun(Patches.PrefixedActivityNames) ? prefixedActivityName(name) : name;
}

export function proxyFloraActivities(options: ActivityOptions): ActivityInterfaceFor<FloraActivities> {
  const own = proxyActivities<Record<string, ActivityFn>>(options);
  return new Proxy({} as ActivityInterfaceFor<FloraActivities>, {
    get(_target, name) {
      if (typeof name !== 'string') return undefined;
      return (...args: unknown[]) => {
        const proxies =
          activityTaskQueue === undefined
            ? own
            : proxyActivities<Record<string, ActivityFn>>({ ...options, taskQueue: activityTaskQueue });
        return proxies[activityName(name)]!(...args);
      };
    },
  });
}

/** The same activities as local activities, run by the worker holding the workflow task. */
export function proxyFloraLocalActivities(
  options: LocalActivityOptions,
): ActivityInterfaceFor<FloraActivities> {
  const local = proxyLocalActivities<Record<string, ActivityFn>>(options);
  return new Proxy({} as ActivityInterfaceFor<FloraActivities>, {
    get(_target, name) {
      if (typeof name !== 'string') return undefined;
      return (...args: unknown[]) => local[activityName(name)]!(...args);
    },
  });
}
