/**
 * `npm run bench:pipeline [-- --quick] [--runs N] [--batch N] [--concurrency N]`: one large pipeline (a
 * forEach over a list of N prompts, 5,000 by default) on a real Temporal dev server against the FLORA
 * simulator, over a real socket. Prints what docs/SCALING.md records: the pipeline's executions and
 * their history lengths, wall time, FLORA creates per idempotency key, and the sizes of the result and
 * of the progress query. `--quick`: 300 runs in batches of 100 (a minute or two).
 */
import type { temporal } from '@temporalio/proto';
import { PipelineLimits } from '../src/pipelines/limits';
import type { PipelineProgress } from '../src/pipelines/types';
import { progressQuery, runPipeline } from '../src/workflows';
import { startHarness, startWorker } from '../test/helpers/env';

interface Args {
  runs: number;
  batch: number;
  concurrency: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { runs: 5_000, batch: PipelineLimits.runsPerExecution, concurrency: 32 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`${a} needs a positive integer`);
      return v;
    };
    if (a === '--quick') Object.assign(args, { runs: 300, batch: 100 });
    else if (a === '--runs') args.runs = value();
    else if (a === '--batch') args.batch = value();
    else if (a === '--concurrency') args.concurrency = value();
    else throw new Error(`unknown argument ${a}; usage: [--quick] [--runs N] [--batch N] [--concurrency N]`);
  }
  return args;
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const h = await startHarness({ runDurationMs: 1_000 });
  const worker = await startWorker(h);
  try {
    const startedAt = Date.now();
    const handle = await h.env.client.workflow.start(runPipeline, {
      taskQueue: worker.taskQueue,
      workflowId: `bench-large-pipeline-${startedAt}`,
      args: [
        {
          spec: {
            name: 'large',
            concurrency: args.concurrency,
            budgetUsd: args.runs * 0.04 + 1,
            options: { pollMinMs: 200, pollMaxMs: 400 },
            steps: [
              {
                id: 'frames',
                technique: 'text-to-image',
                forEach: Array.from({ length: args.runs }, (_, i) => `frame ${i}`),
                inputs: { prompt: { item: true } },
              },
            ],
          },
          runsPerExecution: args.batch,
        },
      ],
    });
    log(
      `started ${handle.workflowId}: ${args.runs} runs, batches of ${args.batch}, ${args.concurrency} at a time`,
    );

    let progressBytes = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        await new Promise((resolve) => setTimeout(resolve, 5_000));
        const p: PipelineProgress | undefined = await handle.query(progressQuery).catch(() => undefined);
        if (p === undefined) continue;
        progressBytes = Math.max(progressBytes, JSON.stringify(p).length);
        const c = p.steps[0]?.counts;
        log(`  ${p.percent}% · ${c?.completed ?? '?'} done · ${c?.running ?? '?'} running · ${p.phase}`);
      }
    })();
    const result = await handle.result();
    const wallMs = Date.now() - startedAt;
    sampling = false;
    await sampler;

    const executions: number[] = [];
    for (let runId: string | undefined = handle.firstExecutionRunId; runId !== undefined;) {
      const history: temporal.api.history.v1.IHistory = await h.env.client.workflow
        .getHandle(handle.workflowId, runId)
        .fetchHistory();
      const events: temporal.api.history.v1.IHistoryEvent[] = history.events ?? [];
      executions.push(events.length);
      const next = events.find((e) => e.workflowExecutionContinuedAsNewEventAttributes);
      runId = next?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
    }
    const stats = h.sim.stats();
    const perKey = Object.values(stats.createsByIdempotencyKey);
    const foreignKeys = Object.keys(stats.createsByIdempotencyKey).filter(
      (k) => !k.startsWith(`${handle.firstExecutionRunId}-frames-`),
    );
    const rows: [string, string][] = [
      ['runs (forEach elements)', String(args.runs)],
      ['status', `${result.status}, ${result.steps.frames?.counts?.completed ?? '?'} completed`],
      ['wall time', `${(wallMs / 1000).toFixed(0)} s (${((args.runs / wallMs) * 1000).toFixed(1)} runs/s)`],
      ['pipeline executions (continue-as-new between batches)', String(executions.length)],
      [
        'parent history events per execution (max / total)',
        `${Math.max(...executions)} / ${executions.reduce((a, b) => a + b, 0)}`,
      ],
      ['parent history events per run', (executions.reduce((a, b) => a + b, 0) / args.runs).toFixed(1)],
      ['FLORA runs created', String(stats.runsCreated)],
      ['creates per idempotency key (max)', String(Math.max(...perKey))],
      ['keys not from the first execution', String(foreignKeys.length)],
      [
        'ledger charged / FLORA billed',
        `$${result.ledger.chargedUsd} / $${Math.round(stats.billedUsd * 1e6) / 1e6}`,
      ],
      ['result size (JSON)', kb(JSON.stringify(result).length)],
      ['progress query size (JSON, largest sample)', kb(progressBytes)],
    ];
    process.stdout.write(
      `| figure | value |\n| --- | --- |\n${rows.map(([k, v]) => `| ${k} | ${v} |`).join('\n')}\n`,
    );
    const ok =
      result.status === 'completed' &&
      stats.runsCreated === args.runs &&
      Math.max(...perKey) === 1 &&
      foreignKeys.length === 0;
    if (!ok) process.exitCode = 1;
  } finally {
    await worker.stop();
    await h.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
