/**
 * What `run` and `pipeline run` do once their workflow is started (or attached to): the start line,
 * then the workflow id on stdout, or with --wait the live progress, the outputs saved with --download
 * and the result. One path for both commands.
 */
import type { Client } from '@temporalio/client';
import type { StartOutcome } from '../client/idempotent-start';
import type { ManifestEntry } from '../downloads/manifest';
import type * as AwaitWorkflow from './await-workflow';
import type * as SaveOutputs from './save-outputs';
import type * as StartReport from './start-report';
import { ExitCode, json, type CliIo } from './support';

export interface FollowStart<R extends object> {
  client: Client;
  taskQueue: string;
  what: 'workflow' | 'pipeline';
  workflowId: string;
  start: StartOutcome;
  result: () => Promise<R>;
  opts: { wait?: boolean | undefined; json?: boolean | undefined; download?: string | undefined };
  io: CliIo;
  /** Picks the saver for --download from ./save-outputs (loaded only when it is needed). */
  saver: (module: typeof SaveOutputs) => (result: R, dir: string) => Promise<ManifestEntry[]>;
  progress: () => Promise<string[]>;
  describe: (result: R) => string;
  exitCode: (result: R) => number;
}

export async function followStart<R extends object>(args: FollowStart<R>): Promise<number> {
  const { client, taskQueue, workflowId, opts, io } = args;
  // Loaded on use, so `--help` and the other commands do not pay for them.
  const { reportStart } = require('./start-report') as typeof StartReport;
  await reportStart(client, args.start, args.what, taskQueue, opts.wait ?? false, io);
  if (!opts.wait) {
    io.stdout(opts.json ? json({ workflowId, action: args.start.action }) : `${workflowId}\n`);
    return ExitCode.Ok;
  }
  let finish = {};
  if (opts.download !== undefined) {
    const saveOutputs = require('./save-outputs') as typeof SaveOutputs;
    finish = { finish: saveOutputs.withDownloads(opts.download, args.saver(saveOutputs), io, workflowId) };
  }
  const { awaitWorkflow } = require('./await-workflow') as typeof AwaitWorkflow;
  return await awaitWorkflow<R>({
    workflowId,
    result: args.result,
    progress: args.progress,
    describe: args.describe,
    ...finish,
    exitCode: args.exitCode,
    json: opts.json ?? false,
    io,
    workers: { client, taskQueue },
  });
}
