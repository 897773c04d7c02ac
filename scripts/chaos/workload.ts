/**
 * The load a row puts on the fleet: technique runs and pipelines started through the client library
 * (FloraWorkflows), each with inputs no other logical run shares, and the wait for every one to end.
 */
import { setMaxListeners } from 'node:events';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { FloraWorkflows, type PipelineRun, type TechniqueRun } from '../../src/client';
import type { PipelineSpecInput } from '../../src/pipelines/spec';
import { describeFailureChain } from '../../src/domain/failure-chain';
import type { RunTechniqueOptions } from '../../src/workflows/types';
import { sleep } from './procs';

export interface Started {
  kind: 'run' | 'pipeline';
  workflowId: string;
  handle: TechniqueRun | PipelineRun;
}

export interface Outcome {
  workflowId: string;
  kind: 'run' | 'pipeline';
  status: 'completed' | 'failed' | 'stuck';
  /** The failure type at the end of the cause chain, for failed ones. */
  failureType?: string;
  message?: string;
  /** Start to end, ms (as seen by the harness). */
  ms: number;
  /**
   * Completed only in the extra wait for the server's workflow-task retry backoff (slow, not lost): its
   * workflow task had timed out over and over on a starved fleet, and the next attempt was not due yet.
   */
  late?: boolean;
  /** For a 'stuck' one: the attempt of its pending workflow task, when it has one. */
  workflowTaskAttempt?: number;
}

/**
 * After a workflow task times out, the server schedules the next attempt with a growing backoff, observed
 * at up to ~10 minutes on the dev server once a task has timed out ten times or so (a fleet of SIGKILLed,
 * CPU-starved workers gets there). A workflow whose pending task is such a retry is waiting for the
 * server, not wedged: settle waits this much longer for it before calling it stuck.
 */
export const WORKFLOW_TASK_BACKOFF_GRACE_MS = 12 * 60_000;

export class Workload {
  readonly started: Started[] = [];
  private readonly startedAt = new Map<string, number>();

  /** Aborts the waits settle() leaves behind, so closing the connection cannot surface a retry later. */
  private readonly waits = new AbortController();

  constructor(
    readonly flora: FloraWorkflows,
    private readonly tag: string,
    private readonly client?: Client,
  ) {
    // One listener per wait in flight (hundreds under load) is intended, not a leak.
    setMaxListeners(0, this.waits.signal);
  }

  static async connect(
    address: string,
    taskQueue: string,
    tag: string,
  ): Promise<{ load: Workload; close: () => Promise<void> }> {
    const connection = await Connection.connect({ address, connectTimeout: '10s' });
    const client = new Client({ connection, namespace: 'default' });
    // The chaos harness drives the loopback simulator, which may be polled faster than FLORA.
    const load = new Workload(new FloraWorkflows(client, { taskQueue, allowFastPolling: true }), tag, client);
    return {
      load,
      close: async () => {
        // A wait for a stuck workflow is still long-polling (and retrying) when settle() gives up: stop it
        // first, or its next retry meets a closed channel and throws outside any await.
        load.abortWaits();
        await connection.close();
      },
    };
  }

  /** Abandons every wait settle() started (their promises reject; nobody awaits them any more). */
  abortWaits(): void {
    this.waits.abort();
  }

  /** One text-to-image run with a prompt no other run has. */
  async startRun(i: number, options: RunTechniqueOptions = {}): Promise<Started> {
    const run = await this.retrying(() =>
      this.flora.startRun(
        { technique: 'text-to-image', inputs: { prompt: `chaos ${this.tag} run ${i}` }, options },
        { workflowId: `chaos-${this.tag}-run-${i}` },
      ),
    );
    return this.track('run', run);
  }

  /**
   * A three-run pipeline: a poster and two voice-overs (a forEach), with inputs unique to this pipeline.
   * No step feeds another's output URL: the simulator serves files over plain http, which a FLORA
   * input (https only) rightly refuses.
   */
  async startPipeline(j: number, options: PipelineSpecInput['options'] = {}): Promise<Started> {
    const spec: PipelineSpecInput = {
      name: `chaos-${this.tag}-pipeline-${j}`,
      concurrency: 2,
      options,
      steps: [
        { id: 'poster', technique: 'text-to-image', inputs: { prompt: `chaos ${this.tag} pipeline ${j}` } },
        {
          id: 'voices',
          technique: 'text-to-speech',
          forEach: [`chaos ${this.tag} pipeline ${j} line 1`, `chaos ${this.tag} pipeline ${j} line 2`],
          inputs: { text: { item: true } },
        },
      ],
    };
    const run = await this.retrying(() =>
      this.flora.startPipeline(spec, { workflowId: `chaos-${this.tag}-pipeline-${j}` }),
    );
    return this.track('pipeline', run);
  }

  private track(kind: Started['kind'], handle: TechniqueRun | PipelineRun): Started {
    const s: Started = { kind, workflowId: handle.workflowId, handle };
    this.started.push(s);
    this.startedAt.set(s.workflowId, Date.now());
    return s;
  }

  /** Starting may meet a Temporal server that is down for a moment (the server-crash row). */
  private async retrying<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (attempt >= 30 || err instanceof TypeError) throw err;
        if (err instanceof Error && /Invalid|invalid/.test(err.name)) throw err;
        await sleep(1000);
      }
    }
  }

  private result(s: Started): Promise<unknown> {
    const wait = () => s.handle.result() as Promise<unknown>;
    return this.client ? this.client.withAbortSignal(this.waits.signal, wait) : wait();
  }

  /** The attempt of a workflow's pending workflow task (1 when it has none or it is a first attempt). */
  private async workflowTaskAttempt(s: Started): Promise<number> {
    try {
      const described = await s.handle.handle.describe();
      return described.raw.pendingWorkflowTask?.attempt ?? 1;
    } catch {
      return 1;
    }
  }

  /**
   * Waits for every started workflow. One still open after timeoutMs whose workflow task is a retry
   * (attempt > 1, so the server may be backing off between attempts) gets WORKFLOW_TASK_BACKOFF_GRACE_MS
   * more, and counts as `late` if it then completes; those still open after that are 'stuck'.
   */
  async settle(timeoutMs: number): Promise<Outcome[]> {
    const deadline = Date.now() + timeoutMs;
    return Promise.all(
      this.started.map(async (s): Promise<Outcome> => {
        const t0 = this.startedAt.get(s.workflowId) ?? Date.now();
        let until = deadline;
        let late = false;
        for (;;) {
          const left = until - Date.now();
          if (left <= 0) {
            const attempt = await this.workflowTaskAttempt(s);
            if (!late && attempt > 1) {
              late = true;
              until = Date.now() + WORKFLOW_TASK_BACKOFF_GRACE_MS;
              continue;
            }
            return {
              workflowId: s.workflowId,
              kind: s.kind,
              status: 'stuck',
              ms: Date.now() - t0,
              workflowTaskAttempt: attempt,
            };
          }
          try {
            const result = await Promise.race([
              this.result(s).then(() => 'done' as const),
              sleep(Math.min(left, 60_000)).then(() => 'waiting' as const),
            ]);
            if (result === 'done')
              return {
                workflowId: s.workflowId,
                kind: s.kind,
                status: 'completed',
                ms: Date.now() - t0,
                ...(late ? { late } : {}),
              };
          } catch (err) {
            if (err instanceof WorkflowFailedError) {
              const chain = describeFailureChain(err);
              return {
                workflowId: s.workflowId,
                kind: s.kind,
                status: 'failed',
                failureType: chain.type,
                message: chain.message,
                ms: Date.now() - t0,
              };
            }
            // The server is down for a moment (server-crash row): ask again.
            await sleep(1000);
          }
        }
      }),
    );
  }
}
