/**
 * runPipeline's queries, signals and update: each reads or changes the pipeline's state through the pure
 * functions of pipelines/state.ts, and tells the loop (`changed`) when the scheduler must look again.
 */
import { log, patched, setHandler } from '@temporalio/workflow';
import {
  applyBudgetSignal,
  applyChildProgress,
  checkBudgetRaise,
  progressOf,
  raiseBudgetTo,
  type PipelineState,
} from '../pipelines/state';
import { Patches } from './patches';
import { childProgressSignal, progressQuery, raiseBudgetSignal, raiseBudgetUpdate } from './signals';

/** From the start: the progress query, the children's progress, and the raiseBudget signal. */
export function handleProgressAndSignals(
  state: PipelineState,
  workflowId: string,
  changed: () => void,
): void {
  setHandler(progressQuery, () => progressOf(state, workflowId));
  setHandler(childProgressSignal, (p) => applyChildProgress(state, p));
  // The signal stays for old clients and recorded histories; new clients use the update.
  setHandler(raiseBudgetSignal, (usd) => {
    const ignored = applyBudgetSignal(
      state,
      usd,
      typeof usd === 'number' && patched(Patches.PipelineRaiseBudgetNeverLowers),
    );
    if (ignored !== undefined) {
      log.warn(`raiseBudget ignored: ${ignored}`, { usd });
      return;
    }
    log.info('Budget raised', { budgetUsd: state.budgetUsd });
    changed();
  });
}

/**
 * The raiseBudget update, registered once the spec's budget is known, so a raise sent with the start is
 * checked against it. Answers with the ledger.
 */
export function handleRaiseBudgetUpdate(state: PipelineState, workflowId: string, changed: () => void): void {
  setHandler(
    raiseBudgetUpdate,
    (usd) => {
      raiseBudgetTo(state, usd);
      log.info('Budget raised', { budgetUsd: state.budgetUsd });
      changed();
      return progressOf(state, workflowId).ledger;
    },
    {
      validator: (usd) => {
        const problem = checkBudgetRaise(state, usd);
        if (problem !== undefined) throw new Error(problem);
      },
    },
  );
}
