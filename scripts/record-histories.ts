/**
 * Records workflow histories of the shipped workflow code into test/fixtures/histories/, for the replay
 * test. Run it when a workflow version ships (and never to "fix" a failing replay test: a failing replay
 * means the change needs `patched()`).
 *
 * Usage: npx tsx scripts/record-histories.ts [--force] [scenario ...]
 * Records only the scenarios whose fixtures are missing, unless --force (or names) say otherwise:
 * fixtures of shipped versions are kept as they are.
 */
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { WorkflowHandle } from '@temporalio/client';
import { runPipeline, runTechnique } from '../src/workflows';
import type { RunTechniqueInput } from '../src/workflows/types';
import { FAST, startHarness, startWorker } from '../test/helpers/env';

const OUT = join(__dirname, '..', 'test', 'fixtures', 'histories');

async function main(): Promise<void> {
  const h = await startHarness();
  const worker = await startWorker(h);
  await mkdir(OUT, { recursive: true });
  const start = (name: string, input: RunTechniqueInput) =>
    h.env.client.workflow.start(runTechnique, {
      taskQueue: worker.taskQueue,
      workflowId: `fixture-${name}`,
      args: [input],
    });
  const save = async (name: string, handle: WorkflowHandle, runId?: string) => {
    await handle.result().catch(() => undefined);
    const history = await h.env.client.workflow.getHandle(handle.workflowId, runId).fetchHistory();
    await writeFile(join(OUT, `${name}.json`), `${historyToJSON(history)}\n`);
    process.stderr.write(`recorded ${name} (${history.events?.length ?? 0} events)\n`);
  };
  try {
    const scenarios: [string, () => Promise<void>][] = [
      [
        'completed-nested',
        async () =>
          save(
            'completed-nested',
            await start('completed-nested', {
              technique: 'text-to-image',
              inputs: { prompt: 'fox' },
              options: FAST,
            }),
          ),
      ],
      [
        'completed-top-level',
        async () =>
          save(
            'completed-top-level',
            await start('completed-top-level', {
              techniqueId: 'tech_img2vid01',
              workspaceId: 'ws_simulator',
              inputs: { input_image: 'https://images.example.com/fox.png' },
              options: FAST,
            }),
          ),
      ],
      [
        'recreated-after-model-timeout',
        async () => {
          h.sim.queueRunFailure('text-to-image', 'model_timeout');
          await save(
            'recreated-after-model-timeout',
            await start('recreated-after-model-timeout', {
              technique: 'text-to-image',
              inputs: { prompt: 'fox' },
              options: FAST,
            }),
          );
        },
      ],
      [
        'adopted-after-409',
        async () => {
          h.sim.setIdempotencyMode('conflict');
          h.sim.addFault('createRunNested', { kind: 'dropResponse', count: 1 });
          await save(
            'adopted-after-409',
            await start('adopted-after-409', {
              technique: 'text-to-image',
              inputs: { prompt: 'fox' },
              options: FAST,
            }),
          );
          h.sim.setIdempotencyMode('replay');
        },
      ],
      [
        'invalid-inputs',
        async () =>
          save(
            'invalid-inputs',
            await start('invalid-inputs', {
              technique: 'restyle-image',
              inputs: { image: 'http://x.test/a.png' },
              options: FAST,
            }),
          ),
      ],
      [
        'continued-as-new',
        async () => {
          h.sim.setRunDuration(3000);
          const handle = await start('continued-as-new', {
            technique: 'text-to-image',
            inputs: { prompt: 'fox' },
            options: { ...FAST, maxHistoryEvents: 20 },
          });
          await handle.result();
          await save('continued-as-new-first', handle, handle.firstExecutionRunId);
          await save('continued-as-new-last', handle);
          h.sim.setRunDuration(400);
        },
      ],
      [
        'cancelled',
        async () => {
          h.sim.setRunDuration(60_000);
          const handle = await start('cancelled', {
            technique: 'text-to-image',
            inputs: { prompt: 'fox' },
            options: FAST,
          });
          await new Promise((resolve) => setTimeout(resolve, 1500));
          await handle.cancel();
          await save('cancelled', handle);
          h.sim.setRunDuration(400);
        },
      ],
    ];
    scenarios.push(
      [
        'pipeline-diamond',
        async () => {
          const handle = await h.env.client.workflow.start(runPipeline, {
            taskQueue: worker.taskQueue,
            workflowId: 'fixture-pipeline-diamond',
            args: [
              {
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
                    {
                      id: 'clip',
                      technique: 'image-to-video',
                      inputs: { input_image: { fromStep: 'styles', output: 1 } },
                    },
                  ],
                },
              },
            ],
          });
          await save('pipeline-diamond', handle);
          await save(
            'pipeline-diamond-child-styles-1',
            h.env.client.workflow.getHandle('fixture-pipeline-diamond/styles/1'),
          );
        },
      ],
      [
        'pipeline-continue',
        async () => {
          const handle = await h.env.client.workflow.start(runPipeline, {
            taskQueue: worker.taskQueue,
            workflowId: 'fixture-pipeline-continue',
            args: [
              {
                spec: {
                  name: 'continue',
                  onStepFailure: 'continue',
                  options: FAST,
                  steps: [
                    {
                      id: 'bad',
                      technique: 'text-to-image',
                      inputs: { prompt: 'fox [sim:fail=safety_blocked]' },
                    },
                    {
                      id: 'after',
                      technique: 'image-to-video',
                      inputs: { input_image: { fromStep: 'bad' } },
                    },
                    { id: 'good', technique: 'text-to-speech', inputs: { text: 'hello' } },
                  ],
                },
              },
            ],
          });
          await save('pipeline-continue', handle);
        },
      ],
    );
    const args = process.argv.slice(2);
    const force = args.includes('--force');
    const named = args.filter((a) => a !== '--force');
    for (const [name, run] of scenarios) {
      if (named.length > 0 && !named.includes(name)) continue;
      const exists = await access(join(OUT, `${name}.json`)).then(
        () => true,
        () => false,
      );
      const chainExists = await access(join(OUT, `${name}-first.json`)).then(
        () => true,
        () => false,
      );
      if ((exists || chainExists) && !force && named.length === 0) {
        process.stderr.write(`kept ${name} (already recorded)\n`);
        continue;
      }
      await run();
    }
  } finally {
    await worker.stop();
    await h.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
