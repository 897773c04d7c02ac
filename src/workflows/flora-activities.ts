/**
 * The FLORA activities as workflow code schedules them: under `flora.<name>` for executions that took the
 * `PrefixedActivityNames` patch, under the old unprefixed name for executions recorded before it (so their
 * histories replay). Used instead of `proxyActivities` for every FLORA activity.
 */
import {
  patched,
  proxyActivities,
  type ActivityInterfaceFor,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { FloraActivities } from '../activities';
import { prefixedActivityName } from './activity-names';
import { Patches } from './patches';

type ActivityFn = (...args: unknown[]) => Promise<unknown>;

export function proxyFloraActivities(options: ActivityOptions): ActivityInterfaceFor<FloraActivities> {
  const legacy = proxyActivities<Record<string, ActivityFn>>(options);
  const prefixed = proxyActivities<Record<string, ActivityFn>>(options);
  // The patch is checked when the activity is scheduled, not when this module loads: a patch check only
  // means something inside a workflow execution.
  return new Proxy({} as ActivityInterfaceFor<FloraActivities>, {
    get(_target, name) {
      if (typeof name !== 'string') return undefined;
      return (...args: unknown[]) =>
        patched(Patches.PrefixedActivityNames)
          ? prefixed[prefixedActivityName(name)]!(...args)
          : legacy[name]!(...args);
    },
  });
}
