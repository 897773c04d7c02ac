/**
 * `flora-temporal/workflows`: the workflow-safe entry point, for your own workflow code. It imports
 * nothing Node-only, so it may be imported from a workflow bundle.
 *
 * To serve flora's workflows from your own worker, re-export the two workflow functions (and only those:
 * every function a workflows module exports becomes a workflow type) from your workflows file:
 *
 *     export { runTechnique, runPipeline } from 'flora-temporal/workflows';
 */
export { runTechnique, statusQuery } from './run-technique';
export { runPipeline, PipelineFailureType } from './run-pipeline';
export {
  childProgressSignal,
  floraRunEventSignal,
  progressQuery,
  raiseBudgetSignal,
  raiseBudgetUpdate,
  type FloraRunEvent,
} from './signals';
export {
  executePipeline,
  executeTechniqueRun,
  floraChildWorkflowId,
  FloraWorkflowType,
  startPipeline,
  startTechniqueRun,
  type FloraChildOptions,
  type PipelineWorkflow,
  type TechniqueRunWorkflow,
} from './children';
export { Phase, RUN_TECHNIQUE_DEFAULTS } from './types';
// Named one by one, never `export type *`: the wire and continue-as-new shapes (./wire.ts,
// ../pipelines/wire.ts) must stay internal (test/unit/public-api.test.ts).
export type {
  InputValue,
  OutputRef,
  PollMode,
  RunTechniqueEndDetails,
  RunTechniqueInput,
  RunTechniqueOptions,
  RunTechniqueResult,
  RunTechniqueStatus,
  TechniqueRef,
} from './types';
export type {
  ChildProgress,
  Ledger,
  LedgerStep,
  PipelinePhase,
  PipelineProgress,
  PipelineResult,
  ReusedFrom,
  RunCounts,
  RunFailure,
  RunPhase,
  RunPipelineInput,
  StepPhase,
  StepProgress,
  StepResult,
  StepRunProgress,
  StepSummary,
} from '../pipelines/types';
export type { PipelineSpecInput } from '../pipelines/spec';
export { FailureType } from '../domain/failures';
export { FloraPipelineKey, FloraRunIdKey, FloraTechniqueKey } from '../domain/search-attribute-keys';
