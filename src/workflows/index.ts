/** The workflow bundle's entry point: every workflow type this worker serves. */
export { runTechnique, statusQuery } from './run-technique';
export { runPipeline, PipelineFailureType } from './run-pipeline';
export {
  childProgressSignal,
  floraRunEventSignal,
  progressQuery,
  raiseBudgetSignal,
  raiseBudgetUpdate,
} from './signals';
