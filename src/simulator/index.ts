/**
 * FLORA API simulator: a real HTTP server implementing the contract in FLORA_API.md, for tests,
 * the demo and benchmarks.
 */
export { startSimulator } from './server';
export { DEFAULT_CATALOG } from './catalog';
export {
  DEFAULT_API_KEY,
  DEFAULT_WORKSPACE_ID,
  SIMULATOR_PROJECT_ID,
  type SimulatorOptions,
} from './options';
export {
  FAULT_KINDS,
  RUN_ERROR_CODES,
  SIM_ROUTES,
  SLOT_TYPES,
  type FaultSpec,
  type IdempotencyMode,
  type RunErrorCode,
  type SimRoute,
  type SimSlot,
  type SimTechnique,
  type SlotType,
} from './schemas';
export type { SimStats } from './stats';
export type { RunHistoryItem, RunObject, RunOutput, SimRunSummary, SimRunView } from './runs';
export type { HeldResponse, RequestLogEntry, SimActivity } from './observe';
export type { RunOutcome, RunStatus } from './lifecycle';
export type { FloraSimulator } from './types';
export { DEFAULT_WEBHOOK_SECRET, type CallbackSettings, type DeliveryRecord } from './webhooks';
