/**
 * `flora-temporal/worker`: run flora's workflows and FLORA activities, on a worker of their own or next
 * to your workflows and activities in yours (see docs/embedding.md).
 */
export {
  createFloraActivityWorker,
  createFloraWorker,
  requestLimiter,
  prebuiltWorkflowBundle,
  runWorkerFromEnv,
  WORKFLOWS_PATH as floraWorkflowsPath,
  type FloraActivityWorkerOptions,
  type FloraWorkerOptions,
} from './worker';
export type { FloraWorkerTuning, PollerSetting } from './tuning';
export { floraBundlerOptions } from './bundle-options';
export { createActivities, type FloraActivities } from '../activities';
export { FloraClient, type FloraClientOptions } from '../flora/client';
export { floraConfigFromEnv } from '../flora/config';
