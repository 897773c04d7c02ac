/**
 * Bad input through the client library and the CLI: each must be rejected with a message naming the
 * field, nothing may be created at FLORA (the simulator's run count), and the worker must live on.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import type { PipelineSpecInput } from '../../../src/pipelines/spec';
import { describeFailureChain } from '../../../src/domain/failure-chain';
import type { RunTechniqueInput } from '../../../src/workflows/types';
import { figure, type ChaosContext, type RowResult } from '../context';
import { spawnProc } from '../procs';
import { Workload } from '../workload';
import { statusOf } from './common';
import { CLI_CASES, LIBRARY_CASES, type CliCase, type LibraryCase } from './bad-input-cases';
import { cliArgs } from '../entry';

interface Verdict {
  name: string;
  rejected: boolean;
  named: boolean;
  where: 'client' | 'workflow' | 'cli' | 'accepted';
  message: string;
}

async function tryLibrary(load: Workload, c: LibraryCase, id: string): Promise<Verdict> {
  let message: string;
  let where: Verdict['where'];
  try {
    const handle =
      c.kind === 'run'
        ? await load.flora.startRun(c.input as RunTechniqueInput, { workflowId: id })
        : await load.flora.startPipeline(c.input as PipelineSpecInput, { workflowId: id });
    try {
      await Promise.race([
        handle.result(),
        new Promise((_, reject) => setTimeout(() => reject(new Error('still running after 60 s')), 60_000)),
      ]);
      return { name: c.name, rejected: false, named: false, where: 'accepted', message: 'completed' };
    } catch (err) {
      where = 'workflow';
      // The innermost failure carries the reason (an ActivityFailure just says "Activity task failed").
      message =
        err instanceof WorkflowFailedError
          ? describeFailureChain(err).message
          : err instanceof Error
            ? err.message
            : String(err);
      if (message.startsWith('still running')) {
        await handle.cancel().catch(() => undefined);
        return { name: c.name, rejected: false, named: false, where: 'accepted', message };
      }
    }
  } catch (err) {
    where = 'client';
    message = err instanceof Error ? err.message : String(err);
  }
  return { name: c.name, rejected: true, named: c.names.test(message), where, message };
}

/** The row's worker, started ahead (smoke lanes). */
export function prestartBadInput(ctx: ChaosContext): void {
  ctx.prestart('bad', 1);
}

export async function badInput(ctx: ChaosContext): Promise<RowResult> {
  const t0 = Date.now();
  const smoke = ctx.options.smoke;
  await ctx.sim.reset();
  await ctx.sim.setRunDuration(1_000);
  const fleet = await ctx.startedFleet('bad', 1);
  const worker = fleet.all[0];
  if (!worker) throw new Error('bad-input: no worker started');
  await ctx.timed('bad-input: worker ready', () => worker.ready);
  const { load, close } = await Workload.connect(
    ctx.temporal.address,
    fleet.config.taskQueue,
    `bad${ctx.options.seed}`,
  );
  const library = smoke ? LIBRARY_CASES.filter((_, i) => i % 5 === 0) : LIBRARY_CASES;
  const cli = smoke ? CLI_CASES.slice(0, 2) : CLI_CASES;
  const verdicts: Verdict[] = [];
  // A few at a time: the cases are independent, and each may wait for a workflow to fail.
  for (let i = 0; i < library.length; i += 6) {
    const batch = library.slice(i, i + 6);
    verdicts.push(
      ...(await Promise.all(
        batch.map((c, j) => tryLibrary(load, c, `chaos-bad${ctx.options.seed}-${i + j}`)),
      )),
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'flora-chaos-bad-'));
  const root = resolve(__dirname, '../../..');
  const tCli = Date.now();
  ctx.log(`bad-input: library cases done`);
  // A few at a time, like the library cases: each is its own process, most of it spent starting Node.
  const cliVerdict = async (c: CliCase, i: number): Promise<Verdict> => {
    const args = [...c.args];
    if (c.file) {
      const path = join(dir, `case-${i}.${c.file.ext}`);
      await writeFile(path, c.file.text);
      for (let k = 0; k < args.length; k++) if (args[k] === '{file}') args[k] = path;
    }
    const proc = spawnProc(`cli-${i}`, process.execPath, [...cliArgs(), ...args], {
      cwd: root,
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: ctx.temporal.address,
        TEMPORAL_NAMESPACE: 'default',
        FLORA_TASK_QUEUE: fleet.config.taskQueue,
        FLORA_BASE_URL: ctx.sim.baseUrl,
        FLORA_API_KEY: ctx.apiKey,
      },
    });
    const code = await proc.exited;
    const output = proc.output();
    ctx.transcripts.push(output);
    return {
      name: c.name,
      rejected: code !== 0,
      named: c.names.test(output),
      where: code !== 0 ? 'cli' : 'accepted',
      message: output.trim().split('\n').slice(-2).join(' ').slice(0, 300),
    };
  };
  for (let i = 0; i < cli.length; i += 4)
    verdicts.push(...(await Promise.all(cli.slice(i, i + 4).map((c, j) => cliVerdict(c, i + j)))));
  ctx.log(`bad-input: CLI cases: ${((Date.now() - tCli) / 1000).toFixed(1)} s`);
  await close();
  for (const v of verdicts) ctx.transcripts.push(v.message);
  const created = (await ctx.sim.activity()).runs.length;
  const bad = verdicts.filter((v) => !v.rejected || !v.named);
  const figures = [
    figure(
      'rejected with a message naming the field',
      `${verdicts.length - bad.length} / ${verdicts.length}` +
        (bad.length
          ? `; not: ${bad
              .slice(0, 4)
              .map((v) => `${v.name} (${v.where}: ${v.message.slice(0, 120)})`)
              .join('; ')}`
          : ''),
      'all',
      bad.length === 0,
    ),
    figure(
      'where rejected: client library / workflow (before any create) / CLI',
      `${verdicts.filter((v) => v.where === 'client').length} / ${verdicts.filter((v) => v.where === 'workflow').length} / ${verdicts.filter((v) => v.where === 'cli').length}`,
      'reported',
      undefined,
    ),
    figure('FLORA runs created (simulator)', created, '0', created === 0),
    figure(
      'worker crashed',
      fleet.unexpectedExits === 0 && worker.proc.alive() ? 'no' : 'yes',
      'no',
      fleet.unexpectedExits === 0 && worker.proc.alive(),
    ),
  ];
  await ctx.timed('bad-input: workers stopped', () => fleet.stopAll());
  return {
    id: 'bad-input',
    title: 'Bad input',
    fault:
      'malformed run requests and pipeline specs: wrong types, unknown ids, http:// and javascript: URLs, bad prefixes, cycles, 1 MB strings, deep nesting, unicode, __proto__/constructor keys, NaN/negative budgets, 10,000 steps',
    load: `${library.length} through the client library, ${cli.length} through the CLI`,
    status: statusOf(figures),
    figures,
    seconds: (Date.now() - t0) / 1000,
  };
}
