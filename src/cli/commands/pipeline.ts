/** `flora-temporal pipeline run <file>` (also `pipeline <file>`) and `flora-temporal pipeline validate <file>`. */
import type { Command } from 'commander';
import type * as Activities from '../../activities';
import type { FloraClient } from '../../flora/client';
import type * as FloraFromEnv from '../../flora/from-env';
import type * as FloraConfig from '../../flora/config';
import type * as Plan from '../../pipelines/plan';
import type * as FetchPlan from '../../pipelines/fetch-plan';
import type { PipelinePlan } from '../../pipelines/plan';
import type * as Spec from '../../pipelines/spec';
import type * as Structure from '../../pipelines/structure';
import type * as TechniqueCheck from '../technique-check';
import type { SpecProblem } from '../../pipelines/spec';
import type { PipelineResult } from '../../pipelines/types';
import type * as Workflows from '../../workflows';
import type * as Connect from '../connect';
import type * as Pipelines from '../../client/pipelines';
import type * as FollowStart from '../follow-start';
import { fastPollingAllowedByEnv } from '../../client/polling';
import { describePipelineResult } from '../describe';
import { prepareDownloadDir } from '../download-target';
import { usd } from '../format';
import { registerRaiseBudget } from './raise-budget';
import { renderPipelineProgress } from '../progress';
import { CliError, ExitCode, json, table, type CliContext, type CliIo } from '../support';

export function registerPipeline(program: Command, { io, outcome }: CliContext): void {
  const pipeline = program
    .command('pipeline')
    .description('run or check a pipeline file (JSON or YAML); "pipeline <file>" is "pipeline run <file>"');
  pipeline
    // The default subcommand: `pipeline <file>` keeps working as it did before `run` existed.
    .command('run <file>', { isDefault: true })
    .description('start a pipeline')
    .option(
      '--workflow-id <id>',
      'Temporal workflow id: the same request attaches to it (or returns its result); a different one is refused',
    )
    .option(
      '--rerun',
      'with --workflow-id: start again a workflow that failed or was cancelled (billed again)',
    )
    .option(
      '--resume',
      'with --workflow-id: start that closed pipeline again, reusing every completed step whose request is unchanged (only the rest is billed)',
    )
    .option('--wait', 'wait for the result')
    .option(
      '--download <dir>',
      'with --wait: save every step’s outputs in dir (new or empty), with a manifest',
    )
    .option('--overwrite', 'with --download: use a directory that is not empty (same names are replaced)')
    .option('--json', 'machine-readable output on stdout')
    .action(async (file: string, opts: PipelineRunOpts) => {
      outcome.exitCode = await pipelineRunCommand(file, opts, io);
    });
  pipeline
    .command('validate <file>')
    .description('check a pipeline file without spending: its shape; with FLORA_API_KEY, schemas and budget')
    .option('--json', 'print the report as JSON')
    .action(async (file: string, opts: { json?: boolean }) => {
      outcome.exitCode = await pipelineValidateCommand(file, opts, io);
    });
  registerRaiseBudget(pipeline, { io, outcome });
}

export interface PipelineRunOpts {
  workflowId?: string;
  rerun?: boolean;
  resume?: boolean;
  wait?: boolean;
  download?: string;
  overwrite?: boolean;
  json?: boolean;
}

export async function pipelineRunCommand(file: string, opts: PipelineRunOpts, io: CliIo): Promise<number> {
  if (opts.resume && opts.workflowId === undefined)
    throw new CliError('--resume needs --workflow-id: the pipeline to resume');
  if (opts.resume && opts.rerun)
    throw new CliError('--resume and --rerun are exclusive: --resume reuses paid steps');
  if (opts.download !== undefined && !opts.wait)
    throw new CliError('--download needs --wait: outputs exist only once the pipeline completes');
  const spec = await loadSpec(file);
  await precheckPipeline(spec, io);
  // Before anything is started or paid for: a bad directory is found now, not after the pipeline.
  if (opts.download !== undefined) await prepareDownloadDir(opts.download, opts.overwrite ?? false);
  // Loaded on use, so `--help` and the other commands do not pay for them.
  const { connectCli } = require('../connect') as typeof Connect;
  const { startPipeline } = require('../../client/pipelines') as typeof Pipelines;
  const { progressQuery } = require('../../workflows') as typeof Workflows;
  const { client, settings, close } = await connectCli(io);
  try {
    const handle = await startPipeline(client, spec, {
      taskQueue: settings.taskQueue,
      workflowId: opts.workflowId,
      rerun: opts.rerun ?? false,
      resume: opts.resume ?? false,
      allowFastPolling: fastPollingAllowedByEnv(io.env),
    });
    const { followStart } = require('../follow-start') as typeof FollowStart;
    return await followStart<PipelineResult>({
      client,
      taskQueue: settings.taskQueue,
      what: 'pipeline',
      workflowId: handle.workflowId,
      start: handle.start,
      result: () => handle.result(),
      opts,
      io,
      saver: (save) => save.savePipelineOutputs,
      progress: async () => renderPipelineProgress(await handle.query(progressQuery)),
      describe: describePipelineResult,
      exitCode: (result) => (result.status === 'completed' ? ExitCode.Ok : ExitCode.Partial),
    });
  } finally {
    await close();
  }
}

/**
 * What can be refused before starting: a cycle or a step reference to nowhere (always), and a technique
 * FLORA does not know (with FLORA_API_KEY set), so a start never leaves a workflow that can only fail.
 */
async function precheckPipeline(spec: unknown, io: CliIo): Promise<void> {
  const { parsePipelineSpec } = require('../../pipelines/spec') as typeof Spec;
  const { structureProblems } = require('../../pipelines/structure') as typeof Structure;
  const { techniqueKeys } = require('../../pipelines/plan') as typeof Plan;
  const { checkTechniquesKnown } = require('../technique-check') as typeof TechniqueCheck;
  const parsed = parsePipelineSpec(spec);
  if (!parsed.ok) return; // startPipeline names every problem
  const problems = structureProblems(parsed.spec);
  if (problems.length > 0)
    throw new CliError(
      `invalid pipeline: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}; nothing was started`,
      1,
      'invalid_request',
    );
  await checkTechniquesKnown(techniqueKeys(parsed.spec), io);
}

async function loadSpec(file: string) {
  const { InvalidPipelineError, loadPipelineFile } = require('../../client/pipelines') as typeof Pipelines;
  try {
    return await loadPipelineFile(file);
  } catch (err) {
    if (err instanceof InvalidPipelineError)
      throw new CliError(`invalid pipeline: ${err.message}`, 1, 'invalid_request');
    throw err;
  }
}

export interface ValidationReport {
  valid: boolean;
  file: string;
  /** Whether technique schemas, edge types and the budget were checked against FLORA. */
  schemasChecked: boolean;
  problems: SpecProblem[];
  /** Valid, but worth knowing before spending (e.g. the cost exceeds budgetUsd). */
  warnings: string[];
  plan:
    | {
        steps: {
          id: string;
          technique: string;
          dependsOn: string[];
          /** Runs expected (from the schemas' declared outputs when forEach is over a step). */
          runs: number;
          runsKnownUpFront: boolean;
          runCostUsd: number;
        }[];
        plannedRuns: number | undefined;
        plannedCostUsd: number | undefined;
        estimatedRuns: number;
        estimatedCostUsd: number;
        budgetUsd: number | undefined;
        withinBudget: boolean | undefined;
      }
    | undefined;
}

/**
 * Checks a pipeline file without spending anything: its shape always; with FLORA reachable
 * (FLORA_API_KEY set), the schemas, every edge's types and the budget too.
 */
export async function pipelineValidateCommand(
  file: string,
  opts: { json?: boolean },
  io: CliIo,
): Promise<number> {
  // Loaded on use, so `--help` and the other commands do not pay for them.
  const { InvalidPipelineError, readSpecFile } = require('../../client/pipelines') as typeof Pipelines;
  const { parsePipelineSpec } = require('../../pipelines/spec') as typeof Spec;
  const { checkSpecOptions, techniqueKeys } = require('../../pipelines/plan') as typeof Plan;
  const { fetchSchemasAndPlan } = require('../../pipelines/fetch-plan') as typeof FetchPlan;
  const { ConfigError } = require('../../flora/config') as typeof FloraConfig;
  const { floraClientFromEnv } = require('../../flora/from-env') as typeof FloraFromEnv;
  const { toTechniqueInfo } = require('../../activities') as typeof Activities;
  let value: unknown;
  try {
    value = await readSpecFile(file);
  } catch (err) {
    if (err instanceof InvalidPipelineError) throw new CliError(err.message, 1, 'invalid_request');
    throw err;
  }
  const report: ValidationReport = {
    valid: false,
    file,
    schemasChecked: false,
    problems: [],
    warnings: [],
    plan: undefined,
  };
  const parsed = parsePipelineSpec(value);
  if (!parsed.ok) {
    report.problems = parsed.problems;
    return finish(report, opts, io);
  }
  // The options' full bounds, with or without FLORA_API_KEY (the plan would repeat them per step).
  const optionProblems = checkSpecOptions(parsed.spec);
  if (optionProblems.length > 0) {
    report.problems = optionProblems;
    return finish(report, opts, io);
  }
  let flora: FloraClient | undefined;
  try {
    flora = floraClientFromEnv(io.env).flora;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.stderr(
      `note: ${err.message}; only the spec's shape was checked (set FLORA_API_KEY to check schemas, types and budget)\n`,
    );
    report.valid = true;
    return finish(report, opts, io);
  }
  try {
    const client = flora;
    const unfetched = new Map<string, SpecProblem>();
    const planned = await fetchSchemasAndPlan(parsed.spec, async (key) => {
      try {
        return toTechniqueInfo(await client.getTechnique(key), key);
      } catch (err) {
        const index = parsed.spec.steps.findIndex((s) => (s.technique ?? s.techniqueId) === key);
        // A 404 is a typo more often than not: offer the closest slugs FLORA lists.
        const { suggestTechniques } = require('../technique-check') as typeof TechniqueCheck;
        const unknown = await suggestTechniques(client, key, err);
        unfetched.set(key, {
          path: `steps[${index}].technique`,
          message: unknown?.message ?? `cannot fetch "${key}": ${(err as Error).message}`,
        });
        return undefined;
      }
    });
    report.schemasChecked = true;
    // In the spec's order, however the fetches finished.
    report.problems.push(...techniqueKeys(parsed.spec).flatMap((key) => unfetched.get(key) ?? []));
    if (report.problems.length > 0) return finish(report, opts, io);
    if (!planned.ok) {
      report.problems = planned.problems;
      return finish(report, opts, io);
    }
    report.plan = summarizePlan(planned.plan, parsed.spec.budgetUsd);
    if (report.plan.withinBudget === false && parsed.spec.onBudgetExceeded === 'fail') {
      report.problems.push({
        path: 'budgetUsd',
        message: `the plan costs ${usd(report.plan.plannedCostUsd ?? 0)}, above budgetUsd (${usd(parsed.spec.budgetUsd ?? 0)})`,
      });
    }
    const plan = report.plan;
    const cost = plan.plannedCostUsd ?? plan.estimatedCostUsd;
    const alreadyAProblem = parsed.spec.onBudgetExceeded === 'fail' && plan.withinBudget === false;
    if (plan.budgetUsd !== undefined && cost > plan.budgetUsd + 1e-9 && !alreadyAProblem) {
      report.warnings.push(
        `the ${plan.plannedCostUsd === undefined ? 'estimated cost' : 'plan'} (${usd(cost)}) exceeds budgetUsd ` +
          `(${usd(plan.budgetUsd)}): steps beyond the budget ` +
          (parsed.spec.onBudgetExceeded === 'wait'
            ? 'wait until it is raised (flora-temporal pipeline raise-budget <workflow-id> <usd>)'
            : 'make the pipeline fail (onBudgetExceeded: "fail")'),
      );
    }
    report.valid = report.problems.length === 0;
    return finish(report, opts, io);
  } finally {
    await flora.close();
  }
}

function summarizePlan(
  plan: PipelinePlan,
  budgetUsd: number | undefined,
): NonNullable<ValidationReport['plan']> {
  return {
    steps: plan.order.map((id) => {
      const step = plan.steps.find((s) => s.id === id);
      return {
        id,
        technique: step?.technique.slug ?? step?.technique.techniqueId ?? '',
        dependsOn: step?.dependsOn ?? [],
        runs: plan.estimate.runsPerStep[id] ?? 0,
        runsKnownUpFront: step?.fanOut.kind !== 'step',
        runCostUsd: step?.technique.runCost ?? 0,
      };
    }),
    plannedRuns: plan.plannedRuns,
    plannedCostUsd: plan.plannedCostUsd,
    estimatedRuns: plan.estimate.runs,
    estimatedCostUsd: plan.estimate.costUsd,
    budgetUsd,
    withinBudget:
      budgetUsd === undefined || plan.plannedCostUsd === undefined
        ? undefined
        : plan.plannedCostUsd <= budgetUsd + 1e-9,
  };
}

function finish(report: ValidationReport, opts: { json?: boolean }, io: CliIo): number {
  if (opts.json) {
    io.stdout(json(report));
  } else if (!report.valid) {
    io.stderr(`${report.file}: invalid pipeline, ${report.problems.length} problem(s):\n`);
    for (const p of report.problems) io.stderr(`  ${p.path}: ${p.message}\n`);
  } else {
    io.stdout(
      `${report.file}: valid${report.schemasChecked ? '' : ' (shape only)'}` +
        `${report.warnings.length > 0 ? `, with ${report.warnings.length} warning(s)` : ''}\n`,
    );
    for (const warning of report.warnings) io.stderr(`warning: ${warning}\n`);
    if (report.plan) {
      io.stdout(
        table([
          ['STEP', 'TECHNIQUE', 'RUNS', 'PRICE/RUN', 'AFTER'],
          ...report.plan.steps.map((s) => [
            s.id,
            s.technique,
            s.runsKnownUpFront ? String(s.runs) : `~${s.runs}`,
            usd(s.runCostUsd),
            s.dependsOn.join(', ') || '-',
          ]),
        ]),
      );
      io.stdout(
        report.plan.plannedCostUsd === undefined
          ? `Total: about ${report.plan.estimatedRuns} runs, ~${usd(report.plan.estimatedCostUsd)} (forEach over a step's outputs: counted from the schemas); each run is reserved against the budget as it starts\n`
          : `Total: ${report.plan.plannedRuns} runs, ${usd(report.plan.plannedCostUsd)}${report.plan.budgetUsd === undefined ? '' : ` of a ${usd(report.plan.budgetUsd)} budget`}\n`,
      );
    }
  }
  return report.valid ? ExitCode.Ok : ExitCode.Failed;
}
