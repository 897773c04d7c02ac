/**
 * What `pipeline validate` reports: the report's shape (its `--json` output), the plan's summary, the
 * budget's verdict, and how the report is printed for a person.
 */
import type { PipelinePlan } from '../pipelines/plan';
import type { PipelineSpec, SpecProblem } from '../pipelines/spec';
import { usd } from './format';
import { ExitCode, json, table, type CliIo } from './support';

export interface ValidationReport {
  valid: boolean;
  file: string;
  /** Whether technique schemas, edge types and the budget were checked against FLORA. */
  schemasChecked: boolean;
  problems: SpecProblem[];
  /** Valid, but worth knowing before spending (e.g. the cost exceeds budgetUsd). */
  warnings: string[];
  plan: PlanSummary | undefined;
}

export interface PlanSummary {
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

/** A report with nothing found yet: not valid until a check says so. */
export function emptyReport(file: string): ValidationReport {
  return { valid: false, file, schemasChecked: false, problems: [], warnings: [], plan: undefined };
}

export function summarizePlan(plan: PipelinePlan, budgetUsd: number | undefined): PlanSummary {
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

/**
 * The budget's verdict: a planned cost above budgetUsd is a problem when the pipeline would fail on it
 * (`onBudgetExceeded: "fail"`), otherwise a warning saying what the steps beyond the budget will do.
 */
export function budgetFindings(
  plan: PlanSummary,
  spec: Pick<PipelineSpec, 'budgetUsd' | 'onBudgetExceeded'>,
): { problems: SpecProblem[]; warnings: string[] } {
  const problems: SpecProblem[] = [];
  const warnings: string[] = [];
  const failsOnBudget = spec.onBudgetExceeded === 'fail' && plan.withinBudget === false;
  if (failsOnBudget) {
    problems.push({
      path: 'budgetUsd',
      message: `the plan costs ${usd(plan.plannedCostUsd ?? 0)}, above budgetUsd (${usd(spec.budgetUsd ?? 0)})`,
    });
  }
  const cost = plan.plannedCostUsd ?? plan.estimatedCostUsd;
  if (plan.budgetUsd !== undefined && cost > plan.budgetUsd + 1e-9 && !failsOnBudget) {
    warnings.push(
      `the ${plan.plannedCostUsd === undefined ? 'estimated cost' : 'plan'} (${usd(cost)}) exceeds budgetUsd ` +
        `(${usd(plan.budgetUsd)}): steps beyond the budget ` +
        (spec.onBudgetExceeded === 'wait'
          ? 'wait until it is raised (flora-temporal pipeline raise-budget <workflow-id> <usd>)'
          : 'make the pipeline fail (onBudgetExceeded: "fail")'),
    );
  }
  return { problems, warnings };
}

/** Prints the report (JSON on stdout with --json; problems and warnings on stderr) and returns the exit code. */
export function printReport(report: ValidationReport, opts: { json?: boolean }, io: CliIo): number {
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
      io.stdout(planTable(report.plan));
      io.stdout(planTotal(report.plan));
    }
  }
  return report.valid ? ExitCode.Ok : ExitCode.Failed;
}

function planTable(plan: PlanSummary): string {
  return table([
    ['STEP', 'TECHNIQUE', 'RUNS', 'PRICE/RUN', 'AFTER'],
    ...plan.steps.map((s) => [
      s.id,
      s.technique,
      s.runsKnownUpFront ? String(s.runs) : `~${s.runs}`,
      usd(s.runCostUsd),
      s.dependsOn.join(', ') || '-',
    ]),
  ]);
}

function planTotal(plan: PlanSummary): string {
  return plan.plannedCostUsd === undefined
    ? `Total: about ${plan.estimatedRuns} runs, ~${usd(plan.estimatedCostUsd)} (forEach over a step's outputs: counted from the schemas); each run is reserved against the budget as it starts\n`
    : `Total: ${plan.plannedRuns} runs, ${usd(plan.plannedCostUsd)}${plan.budgetUsd === undefined ? '' : ` of a ${usd(plan.budgetUsd)} budget`}\n`;
}
