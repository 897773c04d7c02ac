/** The workflow bundle's entry point: every workflow type this worker serves. */
export { runTechnique, statusQuery } from './run-technique';
