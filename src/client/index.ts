/** The client library: start and follow flora-temporal workflows from any Temporal client. */
export { connectFromEnv, type ConnectedClient } from './connection';
export { summarizeFailure, type FailureSummary } from './failures';
export {
  InvalidRunRequestError,
  runStatus,
  startTechniqueRun,
  type StartedHandle,
  type StartRunOptions,
} from './runs';
export {
  RerunRequiredError,
  WorkflowIdConflictError,
  type ResumeSummary,
  type StartAction,
  type StartOutcome,
} from './idempotent-start';
export { FINGERPRINT_MEMO_KEY, type RequestFingerprint } from './request-fingerprint';
export { runTechnique, statusQuery } from '../workflows';
// Named one by one, never `export type *`: the wire and continue-as-new shapes (workflows/wire.ts,
// pipelines/wire.ts) must stay internal (test/unit/public-api.test.ts).
export { Phase, RUN_TECHNIQUE_DEFAULTS } from '../workflows/types';
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
} from '../workflows/types';
export {
  InvalidPipelineError,
  ResumeError,
  loadPipelineFile,
  startPipeline,
  type StartPipelineOptions,
} from './pipelines';
export { runPipeline, progressQuery, raiseBudgetSignal, raiseBudgetUpdate } from '../workflows';
export { PipelineFailureType } from '../pipelines/types';
export type {
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
export type { PipelineSpec, PipelineSpecInput } from '../pipelines/spec';
export {
  FloraWorkflows,
  PipelineRun,
  TechniqueRun,
  type FloraWorkflowsOptions,
  type StartOptions,
  type ListRunsOptions,
  type RunSummary,
} from './flora-workflows';
export { FloraPipelineKey, FloraRunIdKey, FloraTechniqueKey } from '../domain/search-attribute-keys';
export { SearchAttributesMissingError, START_DEV_FLAGS } from '../temporal/search-attributes';
