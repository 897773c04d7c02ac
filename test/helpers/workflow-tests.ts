/**
 * The set-up the workflow test files share: `useHarness` (one dev server, simulator and worker per file)
 * and starters for flora's two workflows on that worker, under workflow ids `<prefix>-<pid>-<n>`.
 */
import type { Client } from '@temporalio/client';
import type { SimulatorOptions } from '../../src/simulator';
import type { PipelineSpecInput } from '../../src/pipelines/spec';
import { runPipeline, runTechnique } from '../../src/workflows';
import type { RunTechniqueInput } from '../../src/workflows/types';
import { FAST, useHarness, type Harness, type RunningWorker } from './env';

export interface StartTechniqueOptions {
  /** @default the file's worker's task queue */
  queue?: string;
  /** @default the next `<prefix>-<pid>-<n>` */
  workflowId?: string;
  /** @default the harness's client */
  client?: Client;
}

/**
 * Registers the file's harness (`ready` receives it, as with `useHarness`) and returns the starters. The
 * starters read the harness when called, so they are used inside tests only.
 */
export function useWorkflowTests(
  prefix: string,
  ready: (h: Harness, worker: RunningWorker) => void,
  simOptions: SimulatorOptions = {},
) {
  let h: Harness | undefined;
  let worker: RunningWorker | undefined;
  let seq = 0;
  useHarness(simOptions, (harness, w) => {
    h = harness;
    worker = w;
    ready(harness, w);
  });
  const running = () => {
    if (!h || !worker) throw new Error('the harness is not running: start workflows inside tests');
    return { h, worker };
  };
  const nextId = () => `${prefix}-${process.pid}-${++seq}`;
  return {
    nextId,
    startTechnique: (input: RunTechniqueInput, options: StartTechniqueOptions = {}) => {
      const { h, worker } = running();
      return (options.client ?? h.env.client).workflow.start(runTechnique, {
        taskQueue: options.queue ?? worker.taskQueue,
        workflowId: options.workflowId ?? nextId(),
        args: [input],
      });
    },
    startPipeline: (spec: PipelineSpecInput, queue?: string) => {
      const { h, worker } = running();
      return h.env.client.workflow.start(runPipeline, {
        taskQueue: queue ?? worker.taskQueue,
        workflowId: nextId(),
        args: [{ spec: { options: FAST, ...spec } }],
      });
    },
  };
}
