/** Public types of the `runPipeline` workflow: input, result, progress query, signals. Pure. */
import type { OutputRef, ReportTo } from '../domain/run-request';

export type { ReportTo };
import type { PipelineSpecInput } from './spec';

/** The failure types runPipeline ends with of its own (a failed step ends with the step's own type). */
export const PipelineFailureType = {
  InvalidPipeline: 'invalid_pipeline',
  BudgetExceeded: 'budget_exceeded',
  StepFailed: 'step_failed',
} as const;

export interface RunPipelineInput {
  spec: PipelineSpecInput;
}

export type PipelinePhase =
  'validating' | 'running' | 'waiting-budget' | 'completed' | 'partial' | 'failed' | 'cancelled';

export type StepPhase =
  'pending' | 'running' | 'waiting-budget' | 'completed' | 'failed' | 'skipped' | 'cancelled';
export type RunPhase = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface StepRunProgress {
  index: number;
  /** The forEach element, when the step fans out. */
  item: string | undefined;
  workflowId: string;
  phase: RunPhase;
  /** The child workflow's own phase (validating, creating, polling, ...). */
  detail: string | undefined;
  runId: string | undefined;
  progress: number;
  polls: number;
  reservedUsd: number;
  chargedUsd: number;
  outputs: OutputRef[];
  error: { type: string; message: string } | undefined;
  /** The run completed and was charged, but saving its outputs on the worker failed. */
  downloadError?: { type: string; message: string };
  startedAt: string | undefined;
  finishedAt: string | undefined;
}

export interface StepProgress {
  id: string;
  technique: { slug: string | undefined; techniqueId: string; name: string };
  runCost: number;
  phase: StepPhase;
  dependsOn: string[];
  runs: StepRunProgress[];
  skippedReason: string | undefined;
  startedAt: string | undefined;
  finishedAt: string | undefined;
}

export interface LedgerStep {
  reservedUsd: number;
  chargedUsd: number;
  runs: number;
}

export interface Ledger {
  budgetUsd: number | undefined;
  /** Reserved for runs in flight (their price), released when they end. */
  reservedUsd: number;
  /** What FLORA charged for finished runs (`charged_cost`). */
  chargedUsd: number;
  /** The plan's price when known before anything ran. */
  plannedCostUsd: number | undefined;
  steps: Record<string, LedgerStep>;
}

export interface PipelineProgress {
  workflowId: string;
  name: string;
  phase: PipelinePhase;
  /** 0–100: finished steps count fully, running steps by their runs' FLORA progress. */
  percent: number;
  steps: StepProgress[];
  ledger: Ledger;
  note: string | undefined;
}

export interface StepResult {
  status: 'completed' | 'failed' | 'skipped' | 'cancelled';
  technique: { slug: string | undefined; techniqueId: string; name: string };
  /** All outputs of the step's runs, in run order. */
  outputs: OutputRef[];
  runs: StepRunProgress[];
  skippedReason: string | undefined;
  durationMs: number | undefined;
}

export interface PipelineResult {
  workflowId: string;
  name: string;
  /** `partial` when `onStepFailure: "continue"` let some steps fail or be skipped. */
  status: 'completed' | 'partial';
  steps: Record<string, StepResult>;
  ledger: Ledger;
  timings: { startedAt: string; finishedAt: string; durationMs: number };
  skipped: { step: string; reason: string }[];
}

/** Sent by a child `runTechnique` to its pipeline when its phase, run id or progress moves. */
export interface ChildProgress {
  step: string;
  index: number;
  phase: string;
  runId: string | undefined;
  progress: number;
  polls: number;
}
