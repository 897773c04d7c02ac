/**
 * `flora-temporal pipeline run|validate|raise-budget`: the `pipeline` command group. Each subcommand is
 * its own file (pipeline-run.ts, pipeline-validate.ts, pipeline-raise-budget.ts).
 */
import type { Command } from 'commander';
import { registerRaiseBudget } from './pipeline-raise-budget';
import { registerPipelineRun } from './pipeline-run';
import { registerPipelineValidate } from './pipeline-validate';
import type { CliContext } from '../support';

export function registerPipeline(program: Command, ctx: CliContext): void {
  const pipeline = program
    .command('pipeline')
    .description('run or check a pipeline file (JSON or YAML); "pipeline <file>" is "pipeline run <file>"');
  registerPipelineRun(pipeline, ctx);
  registerPipelineValidate(pipeline, ctx);
  registerRaiseBudget(pipeline, ctx);
}
