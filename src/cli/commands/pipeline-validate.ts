/**
 * `flora-temporal pipeline validate <file>`: checks a pipeline file without spending anything: its shape
 * always; with FLORA reachable (FLORA_API_KEY set), the schemas, every edge's types and the budget too.
 */
import type { Command } from 'commander';
import type * as Activities from '../../activities';
import type { TechniqueInfo } from '../../domain/technique';
import type { FloraClient } from '../../flora/client';
import type * as FloraConfig from '../../flora/config';
import type * as FloraFromEnv from '../../flora/from-env';
import type * as FetchPlan from '../../pipelines/fetch-plan';
import type * as Plan from '../../pipelines/plan';
import type * as Spec from '../../pipelines/spec';
import type { PipelineSpec, SpecProblem } from '../../pipelines/spec';
import type * as TechniqueCheck from '../technique-check';
import { readPipelineValue } from '../pipeline-file';
import {
  budgetFindings,
  emptyReport,
  printReport,
  summarizePlan,
  type ValidationReport,
} from '../pipeline-validation-report';
import type { CliContext, CliIo } from '../support';

export function registerPipelineValidate(pipeline: Command, { io, outcome }: CliContext): void {
  pipeline
    .command('validate <file>')
    .description('check a pipeline file without spending: its shape; with FLORA_API_KEY, schemas and budget')
    .option('--json', 'print the report as JSON')
    .action(async (file: string, opts: { json?: boolean }) => {
      outcome.exitCode = await pipelineValidateCommand(file, opts, io);
    });
}

export async function pipelineValidateCommand(
  file: string,
  opts: { json?: boolean },
  io: CliIo,
): Promise<number> {
  // Loaded on use, so `--help` and the other commands do not pay for them.
  const { parsePipelineSpec } = require('../../pipelines/spec') as typeof Spec;
  const { checkSpecOptions } = require('../../pipelines/plan') as typeof Plan;
  const report = emptyReport(file);
  const parsed = parsePipelineSpec(await readPipelineValue(file));
  if (!parsed.ok) {
    report.problems = parsed.problems;
    return printReport(report, opts, io);
  }
  // The options' full bounds, with or without FLORA_API_KEY (the plan would repeat them per step).
  const optionProblems = checkSpecOptions(parsed.spec);
  if (optionProblems.length > 0) {
    report.problems = optionProblems;
    return printReport(report, opts, io);
  }
  const flora = floraOrShapeOnly(io);
  if (flora === undefined) {
    report.valid = true;
    return printReport(report, opts, io);
  }
  try {
    await checkAgainstFlora(report, parsed.spec, flora);
    return printReport(report, opts, io);
  } finally {
    await flora.close();
  }
}

/** A FLORA client from the environment, or `undefined` (with a note) when only the shape can be checked. */
function floraOrShapeOnly(io: CliIo): FloraClient | undefined {
  const { ConfigError } = require('../../flora/config') as typeof FloraConfig;
  const { floraClientFromEnv } = require('../../flora/from-env') as typeof FloraFromEnv;
  try {
    return floraClientFromEnv(io.env).flora;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.stderr(
      `note: ${err.message}; only the spec's shape was checked (set FLORA_API_KEY to check schemas, types and budget)\n`,
    );
    return undefined;
  }
}

/** Fetches the schemas and plans the spec: the report gets FLORA's problems, or the plan and the budget's verdict. */
async function checkAgainstFlora(
  report: ValidationReport,
  spec: PipelineSpec,
  flora: FloraClient,
): Promise<void> {
  const { fetchSchemasAndPlan } = require('../../pipelines/fetch-plan') as typeof FetchPlan;
  const { techniqueKeys } = require('../../pipelines/plan') as typeof Plan;
  const unfetched = new Map<string, SpecProblem>();
  const planned = await fetchSchemasAndPlan(spec, (key) => fetchSchema(flora, spec, key, unfetched));
  report.schemasChecked = true;
  // In the spec's order, however the fetches finished.
  report.problems.push(...techniqueKeys(spec).flatMap((key) => unfetched.get(key) ?? []));
  if (report.problems.length > 0) return;
  if (!planned.ok) {
    report.problems = planned.problems;
    return;
  }
  report.plan = summarizePlan(planned.plan, spec.budgetUsd);
  const budget = budgetFindings(report.plan, spec);
  report.problems.push(...budget.problems);
  report.warnings.push(...budget.warnings);
  report.valid = report.problems.length === 0;
}

/** One technique's schema; a failed fetch is recorded in `unfetched` as a problem of the step naming it. */
async function fetchSchema(
  flora: FloraClient,
  spec: PipelineSpec,
  key: string,
  unfetched: Map<string, SpecProblem>,
): Promise<TechniqueInfo | undefined> {
  const { toTechniqueInfo } = require('../../activities') as typeof Activities;
  try {
    return toTechniqueInfo(await flora.getTechnique(key), key);
  } catch (err) {
    const index = spec.steps.findIndex((s) => (s.technique ?? s.techniqueId) === key);
    // A 404 is a typo more often than not: offer the closest slugs FLORA lists.
    const { suggestTechniques } = require('../technique-check') as typeof TechniqueCheck;
    const unknown = await suggestTechniques(flora, key, err);
    unfetched.set(key, {
      path: `steps[${index}].technique`,
      message: unknown?.message ?? `cannot fetch "${key}": ${(err as Error).message}`,
    });
    return undefined;
  }
}
