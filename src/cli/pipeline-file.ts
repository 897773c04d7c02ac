/**
 * Reading a pipeline file for `pipeline run` and `pipeline validate`: a file that is missing or not
 * JSON/YAML (or, for `run`, not a pipeline spec) ends the command with exit 1 and `invalid_request`.
 */
import type * as Pipelines from '../client/pipelines';
import type { PipelineSpecInput } from '../pipelines/spec';
import { CliError } from './support';

/** The file as data, unchecked: `pipeline validate` reports its problems itself. */
export async function readPipelineValue(file: string): Promise<unknown> {
  // Loaded on use, so `--help` and the other commands do not pay for it.
  const { readSpecFile } = require('../client/pipelines') as typeof Pipelines;
  return explainInvalid(() => readSpecFile(file), '');
}

/** The file as a pipeline spec whose shape is checked: what `pipeline run` starts. */
export async function loadPipelineSpec(file: string): Promise<PipelineSpecInput> {
  const { loadPipelineFile } = require('../client/pipelines') as typeof Pipelines;
  return explainInvalid(() => loadPipelineFile(file), 'invalid pipeline: ');
}

async function explainInvalid<T>(read: () => Promise<T>, prefix: string): Promise<T> {
  const { InvalidPipelineError } = require('../client/pipelines') as typeof Pipelines;
  try {
    return await read();
  } catch (err) {
    if (err instanceof InvalidPipelineError)
      throw new CliError(`${prefix}${err.message}`, 1, 'invalid_request');
    throw err;
  }
}
