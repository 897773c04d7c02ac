/**
 * Records workflow histories into test/fixtures/histories/, for the replay test. Run it when a workflow
 * version ships (and never to "fix" a failing replay test: a failing replay means the change needs
 * `patched()`).
 *
 * Usage: npx tsx scripts/record-histories.ts [--force] [scenario ...]
 * Records only the scenarios whose fixtures are missing, unless --force (or names) say otherwise.
 * Scenarios marked `frozen` were recorded on code that no longer exists and can never be recorded again.
 *
 * Naming, for every change to a shipped workflow behind `patched(Patches.X)`:
 * - before: a scenario recorded on the code before the change (record it first, then make the change);
 * - after: a scenario recorded on the code with the change (its history carries the patch marker);
 * - straddle: `straddle-<patch>-<scenario>`, started on a worker running the workflow code of an older
 *   git ref (`from`) and finished on the current code, handing over when `handoverWhen` holds. This is
 *   what a rolling deploy does to a running workflow.
 * test/replay.test.ts checks that every patch id has an "after" and a "straddle" history.
 */
import { execFileSync } from 'node:child_process';
import { access, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { WorkflowHandle, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { cacheDir } from '../src/dev/temporal-cli';
import { FloraClient } from '../src/flora/client';
import { startSimulator } from '../src/simulator';
import { floraRunEventSignal, progressQuery, runPipeline, runTechnique, statusQuery } from '../src/workflows';
import { startWebhookReceiver } from '../src/webhooks/receiver';
import type { RunPipelineInput } from '../src/pipelines/types';
import type { RunTechniqueInput } from '../src/workflows/types';
import { FAST, startHarness, startWorker, type Harness, type RunningWorker } from '../test/helpers/env';
import { moneyScenarios } from './money-scenarios';
import { morePipelineScenarios, pipelineMoneyScenarios } from './pipeline-scenarios';
import { scaleScenarios } from './scale-scenarios';
import { resumeScenarios } from './resume-scenarios';
import { carryGapScenarios } from './carry-gap-scenarios';
import { perfScenarios } from './perf-scenarios';
import { overheadScenarios } from './overhead-scenarios';
import { activityQueueScenarios } from './activity-queue-scenarios';
import { sparseFallbackScenarios } from './sparse-fallback-scenarios';
import { webhookRaceScenarios } from './webhook-race-scenarios';
import { leanScenarios } from './lean-scenarios';
import { leanV2Scenarios } from './lean-v2-scenarios';

const ROOT = join(__dirname, '..');
const OUT = join(ROOT, 'test', 'fixtures', 'histories');

export interface RecordContext {
  h: Harness;
  /** A worker on the current workflow code. */
  worker: RunningWorker;
  startTechnique(
    name: string,
    input: RunTechniqueInput,
    queue?: string,
  ): Promise<WorkflowHandleWithFirstExecutionRunId>;
  startPipeline(
    name: string,
    input: RunPipelineInput,
    queue?: string,
  ): Promise<WorkflowHandleWithFirstExecutionRunId>;
  /** Waits for the workflow to close, then writes its history (of `runId`, default the latest run). */
  save(name: string, handle: WorkflowHandle, runId?: string): Promise<void>;
  /** Writes the history of another workflow (a pipeline's child, say) once it has closed. */
  saveWorkflow(name: string, workflowId: string): Promise<void>;
  /**
   * Starts a workflow on the workflow code of git ref `from`, stops that worker once `handoverWhen`
   * holds, finishes the workflow on the current code and saves its history as `name`.
   */
  straddle(
    name: string,
    options: {
      from: string;
      start: (queue: string) => Promise<WorkflowHandle>;
      handoverWhen: (handle: WorkflowHandle) => Promise<boolean>;
      /** Histories of other workflows (children) to save after it, as [fixture name, workflow id]. */
      alsoSave?: [string, string][];
      /** Runs once the current code's worker has taken over (a signal to send after the handover, say). */
      afterHandover?: (handle: WorkflowHandle) => Promise<void>;
    },
  ): Promise<void>;
}

export interface Scenario {
  name: string;
  /** Fixture files this scenario writes when they differ from `<name>.json`. */
  files?: string[];
  /** Recorded on workflow code that is gone: kept as shipped, never recorded again. */
  frozen?: boolean;
  /**
   * Downloads outputs: recorded against a simulator that serves its files (over loopback http). Every
   * other scenario gets https output URLs, which a pipeline step may take as its input.
   */
  servesFiles?: boolean;
  record(ctx: RecordContext): Promise<void>;
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The workflow bundle of an older git ref, from `git archive` into a cache folder beside node_modules. */
async function bundleAtRef(ref: string): Promise<WorkflowBundleWithSourceMap> {
  const sha = execFileSync('git', ['rev-parse', '--verify', `${ref}^{commit}`], { cwd: ROOT })
    .toString()
    .trim();
  const dir = join(cacheDir(), 'fixture-refs', sha);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  execFileSync('sh', ['-c', `git archive ${sha} src | tar -x -C '${dir}'`], { cwd: ROOT });
  // The old sources resolve their packages (the SDK, zod) from this checkout's node_modules.
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  const noop = () => {};
  return bundleWorkflowCode({
    workflowsPath: join(dir, 'src', 'workflows'),
    logger: { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop },
  });
}

/** Every technique run `runTechnique` can take, as scenarios; `prefix` names a re-recording on newer code. */
function techniqueScenarios(prefix: string, frozen: boolean): Scenario[] {
  const simple = (
    name: string,
    input: RunTechniqueInput,
    before?: (ctx: RecordContext) => void,
  ): Scenario => ({
    name: `${prefix}${name}`,
    frozen,
    async record(ctx) {
      before?.(ctx);
      await ctx.save(`${prefix}${name}`, await ctx.startTechnique(`${prefix}${name}`, input));
    },
  });
  const fox: RunTechniqueInput = { technique: 'text-to-image', inputs: { prompt: 'fox' }, options: FAST };
  return [
    simple('completed-nested', fox),
    simple('completed-top-level', {
      techniqueId: 'tech_img2vid01',
      workspaceId: 'ws_simulator',
      inputs: { input_image: 'https://images.example.com/fox.png' },
      options: FAST,
    }),
    simple('recreated-after-model-timeout', fox, (ctx) =>
      ctx.h.sim.queueRunFailure('text-to-image', 'model_timeout'),
    ),
    {
      name: `${prefix}adopted-after-409`,
      frozen,
      async record(ctx) {
        ctx.h.sim.setIdempotencyMode('conflict');
        ctx.h.sim.addFault('createRunNested', { kind: 'dropResponse', count: 1 });
        await ctx.save(
          `${prefix}adopted-after-409`,
          await ctx.startTechnique(`${prefix}adopted-after-409`, fox),
        );
      },
    },
    simple('invalid-inputs', {
      technique: 'restyle-image',
      inputs: { image: 'http://x.test/a.png' },
      options: FAST,
    }),
    {
      name: `${prefix}continued-as-new`,
      files: [`${prefix}continued-as-new-first`, `${prefix}continued-as-new-last`],
      frozen,
      async record(ctx) {
        ctx.h.sim.setRunDuration(3000);
        const handle = await ctx.startTechnique(`${prefix}continued-as-new`, {
          ...fox,
          options: { ...FAST, maxHistoryEvents: 20 },
        });
        await handle.result();
        await ctx.save(`${prefix}continued-as-new-first`, handle, handle.firstExecutionRunId);
        await ctx.save(`${prefix}continued-as-new-last`, handle);
      },
    },
    {
      name: `${prefix}cancelled`,
      frozen,
      async record(ctx) {
        ctx.h.sim.setRunDuration(60_000);
        const handle = await ctx.startTechnique(`${prefix}cancelled`, fox);
        await delay(1500);
        await handle.cancel();
        await ctx.save(`${prefix}cancelled`, handle);
      },
    },
  ];
}

const DIAMOND: RunPipelineInput = {
  spec: {
    name: 'diamond',
    options: FAST,
    steps: [
      { id: 'poster', technique: 'text-to-image', inputs: { prompt: 'fox' } },
      {
        id: 'styles',
        technique: 'restyle-image',
        forEach: ['ink', 'oil'],
        inputs: { image: { fromStep: 'poster' }, style: { item: true } },
      },
      { id: 'clip', technique: 'image-to-video', inputs: { input_image: { fromStep: 'styles', output: 1 } } },
    ],
  },
};

function pipelineScenarios(prefix: string, frozen: boolean): Scenario[] {
  return [
    {
      name: `${prefix}pipeline-diamond`,
      files: [`${prefix}pipeline-diamond`, `${prefix}pipeline-diamond-child-styles-1`],
      frozen,
      async record(ctx) {
        const handle = await ctx.startPipeline(`${prefix}pipeline-diamond`, DIAMOND);
        await ctx.save(`${prefix}pipeline-diamond`, handle);
        await ctx.saveWorkflow(`${prefix}pipeline-diamond-child-styles-1`, `${handle.workflowId}/styles/1`);
      },
    },
    {
      name: `${prefix}pipeline-continue`,
      frozen,
      async record(ctx) {
        const handle = await ctx.startPipeline(`${prefix}pipeline-continue`, {
          spec: {
            name: 'continue',
            onStepFailure: 'continue',
            options: FAST,
            steps: [
              { id: 'bad', technique: 'text-to-image', inputs: { prompt: 'fox [sim:fail=safety_blocked]' } },
              { id: 'after', technique: 'image-to-video', inputs: { input_image: { fromStep: 'bad' } } },
              { id: 'good', technique: 'text-to-speech', inputs: { text: 'hello' } },
            ],
          },
        });
        await ctx.save(`${prefix}pipeline-continue`, handle);
      },
    },
  ];
}

/** The commit before the memo and search-attribute patch (d681f8e) shipped. */
const BEFORE_MEMO_PATCH = 'd681f8e~1';

/** The last commit before runs with a callback URL woke on FLORA's webhook (Patches.WebhookWake). */
const BEFORE_WEBHOOK_WAKE = '9a1c43b';
const CALLBACK_BASE = 'https://hooks.flora-temporal.test/flora/webhook';

/** A webhook receiver for one scenario, with the simulator's callbacks forwarded to it. */
async function withReceiver(ctx: RecordContext, body: () => Promise<void>): Promise<void> {
  const receiver = await startWebhookReceiver({
    secrets: [ctx.h.sim.webhookSecret],
    client: ctx.h.env.client,
  });
  ctx.h.sim.setCallbacks({ deliverTo: new URL(receiver.url).origin });
  try {
    await body();
  } finally {
    await receiver.close();
  }
}

/** The last commit before FLORA activities were scheduled as `flora.<name>` (Patches.PrefixedActivityNames). */
const BEFORE_PREFIXED_NAMES = '14dc816';

const SCENARIOS: Scenario[] = [
  // Recorded on the first shipped version, before the memo patch.
  ...techniqueScenarios('', true),
  ...pipelineScenarios('', true),
  // The same paths on the code with the memo and search-attribute patch.
  ...techniqueScenarios('memo-', false),
  ...pipelineScenarios('memo-', false),
  // More pipeline paths, recorded on the code with the memo patch before issue 9's pipeline patches.
  ...morePipelineScenarios('memo-', true),
  // Issue 9's pipeline patches: after and straddling.
  ...pipelineMoneyScenarios(),
  {
    name: 'straddle-memo-completed-nested',
    async record(ctx) {
      ctx.h.sim.setRunDuration(6000);
      await ctx.straddle('straddle-memo-completed-nested', {
        from: BEFORE_MEMO_PATCH,
        start: (queue) =>
          ctx.startTechnique(
            'straddle-memo-completed-nested',
            { technique: 'text-to-image', inputs: { prompt: 'fox' }, options: FAST },
            queue,
          ),
        handoverWhen: async (handle) => (await handle.query(statusQuery)).polls >= 1,
      });
    },
  },
  {
    name: 'straddle-memo-pipeline-diamond',
    files: ['straddle-memo-pipeline-diamond', 'straddle-memo-pipeline-diamond-child-clip-0'],
    async record(ctx) {
      ctx.h.sim.setRunDuration(1500);
      await ctx.straddle('straddle-memo-pipeline-diamond', {
        from: BEFORE_MEMO_PATCH,
        start: (queue) => ctx.startPipeline('straddle-memo-pipeline-diamond', DIAMOND, queue),
        handoverWhen: async (handle) =>
          (await handle.query(progressQuery)).steps.some((s) => s.id === 'poster' && s.phase === 'completed'),
        alsoSave: [
          ['straddle-memo-pipeline-diamond-child-clip-0', 'fixture-straddle-memo-pipeline-diamond/clip/0'],
        ],
      });
    },
  },
  ...moneyScenarios(),
  // Every path again on the code that schedules `flora.<name>` activities, and two runs straddling it.
  ...techniqueScenarios('names-', false),
  ...pipelineScenarios('names-', false),
  {
    name: 'straddle-names-completed-nested',
    async record(ctx) {
      ctx.h.sim.setRunDuration(6000);
      await ctx.straddle('straddle-names-completed-nested', {
        from: BEFORE_PREFIXED_NAMES,
        start: (queue) =>
          ctx.startTechnique(
            'straddle-names-completed-nested',
            { technique: 'text-to-image', inputs: { prompt: 'fox' }, options: FAST },
            queue,
          ),
        handoverWhen: async (handle) => (await handle.query(statusQuery)).polls >= 1,
      });
    },
  },
  {
    // The pipeline and its poster run straddling the prefixed names: the poster run schedules `createRun`
    // and its first poll on the old code, the rest on the current code; the children started after the
    // handover (clip) schedule `flora.*` names from the start.
    name: 'straddle-names-pipeline-diamond',
    files: [
      'straddle-names-pipeline-diamond',
      'straddle-names-pipeline-diamond-child-poster-0',
      'straddle-names-pipeline-diamond-child-clip-0',
    ],
    async record(ctx) {
      ctx.h.sim.setRunDuration(1500);
      const id = 'fixture-straddle-names-pipeline-diamond';
      await ctx.straddle('straddle-names-pipeline-diamond', {
        from: BEFORE_PREFIXED_NAMES,
        start: (queue) => ctx.startPipeline('straddle-names-pipeline-diamond', DIAMOND, queue),
        handoverWhen: async () =>
          (await ctx.h.env.client.workflow.getHandle(`${id}/poster/0`).query(statusQuery)).polls >= 1,
        alsoSave: [
          ['straddle-names-pipeline-diamond-child-poster-0', `${id}/poster/0`],
          ['straddle-names-pipeline-diamond-child-clip-0', `${id}/clip/0`],
        ],
      });
    },
  },
  // Large pipelines: coalesced progress reports and continue-as-new between batches.
  ...scaleScenarios(),
  // A resumed pipeline (Patches.PipelineResume): before, after and straddling.
  ...resumeScenarios(),
  // A resumed pipeline's carry with an ended run after one not started (Patches.PipelineCarryGaps).
  ...carryGapScenarios(),
  // Issue 11: polls as local activities and the predictive cadence, on every technique path, then the
  // failure paths of a poll and a run straddling both patches.
  ...techniqueScenarios('perf-', false),
  ...perfScenarios(),
  // Runs with options.activityTaskQueue poll on that queue (flora-polls-on-activity-task-queue-v1).
  ...activityQueueScenarios(),
  // Each wait shortened by the measured poll-cycle overhead (flora-cadence-corrects-overhead-v1).
  ...overheadScenarios(),
];

SCENARIOS.push(
  {
    // The callback wakes the 10-minute poll timer: one poll, the timer cancelled.
    name: 'webhook-completed-nested',
    async record(ctx) {
      await withReceiver(ctx, async () => {
        const input: RunTechniqueInput = {
          technique: 'text-to-image',
          inputs: { prompt: 'fox' },
          options: { pollMinMs: 600_000, pollMaxMs: 600_000, callbackUrl: CALLBACK_BASE },
        };
        await ctx.save(
          'webhook-completed-nested',
          await ctx.startTechnique('webhook-completed-nested', input),
        );
      });
    },
  },
  {
    // Started before the patch (its create had no callback_url); after the handover a run event wakes the
    // wait, the poll shows the run still going, and polling finishes it.
    name: 'straddle-webhook-completed-nested',
    async record(ctx) {
      ctx.h.sim.setRunDuration(6000);
      await ctx.straddle('straddle-webhook-completed-nested', {
        from: BEFORE_WEBHOOK_WAKE,
        start: (queue) =>
          ctx.startTechnique(
            'straddle-webhook-completed-nested',
            {
              technique: 'text-to-image',
              inputs: { prompt: 'fox' },
              options: { pollMinMs: 1_000, pollMaxMs: 1_000, callbackUrl: CALLBACK_BASE },
            },
            queue,
          ),
        handoverWhen: async (handle) => (await handle.query(statusQuery)).polls >= 1,
        afterHandover: async (handle) => {
          const { runId } = await handle.query(statusQuery);
          if (runId !== undefined) await handle.signal(floraRunEventSignal, { runId, type: 'run.completed' });
        },
      });
    },
  },
  // Runs with a callback whose last poll the callback did not wake (lost, or landing mid-poll).
  ...webhookRaceScenarios(),
  // Runs with a callback poll sparsely (flora-webhook-sparse-fallback-v1).
  ...sparseFallbackScenarios(),
  // flora-lean-run-v1: every technique path on the code with it, then its other paths and straddles.
  ...techniqueScenarios('lean-', false),
  ...leanScenarios(),
  // flora-lean-run-v2 and flora-cadence-caps-overhead-v1 (the overhead only caps a wait).
  ...leanV2Scenarios(),
);

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const force = args.includes('--force');
  const named = args.filter((a) => a !== '--force');
  const unknown = named.filter((n) => !SCENARIOS.some((s) => s.name === n));
  if (unknown.length > 0) throw new Error(`unknown scenario(s): ${unknown.join(', ')}`);

  // Output URLs on an https CDN (step inputs accept them); a second simulator serving its own files
  // over loopback http is started only when a download scenario runs.
  const h = await startHarness();
  const downloadRoot = await mkdtemp(join(tmpdir(), 'flora-fixtures-'));
  const worker = await startWorker(h, undefined, undefined, { downloadRoot });
  await mkdir(OUT, { recursive: true });
  const log = (line: string) => process.stderr.write(`${line}\n`);
  let files: { ctx: RecordContext; close: () => Promise<void> } | undefined;

  const writeHistory = async (name: string, handle: WorkflowHandle, runId?: string) => {
    const history = await h.env.client.workflow.getHandle(handle.workflowId, runId).fetchHistory();
    await writeFile(join(OUT, `${name}.json`), `${historyToJSON(history)}\n`);
    log(`recorded ${name} (${history.events?.length ?? 0} events)`);
  };
  const contextFor = (h: Harness, worker: RunningWorker): RecordContext => {
    const ctx: RecordContext = {
      h,
      worker,
      startTechnique: (name, input, queue = worker.taskQueue) =>
        h.env.client.workflow.start(runTechnique, {
          taskQueue: queue,
          workflowId: `fixture-${name}`,
          args: [input],
        }),
      startPipeline: (name, input, queue = worker.taskQueue) =>
        h.env.client.workflow.start(runPipeline, {
          taskQueue: queue,
          workflowId: `fixture-${name}`,
          args: [input],
        }),
      async save(name, handle, runId) {
        await handle.result().catch(() => undefined);
        await writeHistory(name, handle, runId);
      },
      async saveWorkflow(name, workflowId) {
        const handle = h.env.client.workflow.getHandle(workflowId);
        await handle.result().catch(() => undefined);
        await writeHistory(name, handle);
      },
      async straddle(name, { from, start, handoverWhen, alsoSave = [], afterHandover }) {
        const old = await startWorker(h, undefined, h.flora, {
          workflowBundle: await bundleAtRef(from),
          downloadRoot,
        });
        const handle = await start(old.taskQueue);
        const deadline = Date.now() + 60_000;
        for (;;) {
          if (await handoverWhen(handle).catch(() => false)) break;
          if (Date.now() > deadline) throw new Error(`${name}: the handover condition never held`);
          await delay(100);
        }
        await old.stop();
        log(`${name}: handed over from ${from} to the current code`);
        const current = await startWorker(h, old.taskQueue, h.flora, { downloadRoot });
        try {
          await afterHandover?.(handle);
          await ctx.save(name, handle);
          for (const [fixture, workflowId] of alsoSave) await ctx.saveWorkflow(fixture, workflowId);
        } finally {
          await current.stop();
        }
      },
    };
    return ctx;
  };
  const mainCtx = contextFor(h, worker);
  /** The context of a download scenario: the same Temporal server, a simulator serving its files. */
  const filesCtx = async (): Promise<RecordContext> => {
    if (!files) {
      const sim = await startSimulator({ runDurationMs: 400, serveFiles: true });
      const flora = new FloraClient({ baseUrl: sim.baseUrl, apiKey: sim.apiKey, timeoutMs: 2_000 });
      const fh: Harness = {
        env: h.env,
        sim,
        flora,
        close: async () => {
          await flora.close();
          await sim.close();
        },
      };
      const fw = await startWorker(fh, undefined, flora, { downloadRoot });
      files = {
        ctx: contextFor(fh, fw),
        close: async () => {
          await fw.stop();
          await fh.close();
        },
      };
    }
    return files.ctx;
  };

  try {
    for (const scenario of SCENARIOS) {
      if (named.length > 0 && !named.includes(scenario.name)) continue;
      const files = scenario.files ?? [scenario.name];
      const present = await Promise.all(files.map((f) => exists(join(OUT, `${f}.json`))));
      if (scenario.frozen) {
        if (named.includes(scenario.name))
          log(
            `refused ${scenario.name}: recorded on workflow code that is gone; it can never be recorded again`,
          );
        continue;
      }
      if (present.every(Boolean) && !force && named.length === 0) {
        log(`kept ${scenario.name} (already recorded)`);
        continue;
      }
      const ctx = scenario.servesFiles ? await filesCtx() : mainCtx;
      ctx.h.sim.reset();
      await scenario.record(ctx);
    }
  } finally {
    await files?.close();
    await worker.stop();
    await h.close();
    await rm(downloadRoot, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
