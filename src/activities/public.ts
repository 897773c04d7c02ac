/**
 * `flora-temporal/activities`: the FLORA activities and the HTTP client they share, for a worker you
 * build yourself (`flora-temporal/worker`'s `createFloraWorker` does this for you).
 */
export {
  createActivities,
  toTechniqueInfo,
  type ActivityDependencies,
  type CreateActivitiesOptions,
  type FloraActivities,
  type PrefixedFloraActivities,
} from './index';
export { FLORA_ACTIVITY_PREFIX, prefixedActivityName } from '../domain/activity-names';
export type {
  CreateRunRequest,
  CreateRunResult,
  FindRunsRequest,
  FindRunsResult,
  NestedCreate,
  PollRunRequest,
  RunOutputInfo,
  RunSnapshot,
  TopLevelCreate,
} from './types';
export type { SlotInfo, TechniqueInfo } from '../domain/technique';
export { FloraClient, type FloraClientOptions, type FloraRequestEvent } from '../flora/client';
export { FloraError } from '../flora/errors';
export { floraConfigFromEnv, type FloraConfig } from '../flora/config';
export { FailureType } from '../domain/failures';
