/** Waiting for a workflow's result with live progress on stderr, for `run --wait`, `pipeline --wait` and `watch`. */
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { summarizeFailure } from '../client/failures';
import { watchWorkers, withDeadline } from '../client/workers';
import { errorType, explainError } from './errors';
import { followProgress } from './progress';
import { ExitCode, json, type CliIo } from './support';

/**
 * Waits for a workflow's result with progress lines on stderr; prints the result (or the failure as
 * `{ workflowId, status, error }` with --json) on stdout and returns the exit code.
 */
export async function awaitWorkflow<R>(args: {
  workflowId: string;
  result: () => Promise<R>;
  /** The progress block, redrawn on a terminal, changed lines otherwise; always on stderr. */
  progress: () => Promise<string[]>;
  describe: (result: R) => string;
  /** Work on the result before it is printed (e.g. saving its outputs); its return value is printed. */
  finish?: (result: R) => Promise<R>;
  exitCode: (result: R) => number;
  json: boolean;
  io: CliIo;
  /** Watch the task queue's workers: a warning joins the progress block while none polls it. */
  workers?: { client: Client; taskQueue: string };
}): Promise<number> {
  const { workflowId, io, workers } = args;
  let warning: string | undefined;
  let lastLines: string[] = [];
  const stopWatching = workers
    ? watchWorkers(workers.client, workers.taskQueue, (hint) => {
        warning = hint && `warning: ${hint}`;
      })
    : () => {};
  const render = async () => {
    try {
      // Without a worker a query waits for the server's timeout (~30 s): bound it, keep the last lines.
      lastLines = workers ? await withDeadline(workers.client, 3_000, args.progress) : await args.progress();
    } catch (err) {
      if (!workers) throw err;
    }
    return warning ? [...lastLines, warning] : lastLines;
  };
  const progress = followProgress(render, {
    write: io.stderr,
    isTTY: io.stderrIsTTY,
    columns: io.stderrColumns,
  });
  const stopProgress: typeof progress = async (options) => {
    stopWatching();
    warning = undefined;
    await progress(options);
  };
  // Ctrl-C stops waiting, not the workflow: say how to pick it up again.
  const onInterrupt = () => {
    void stopProgress();
    io.stderr(
      `\nstopped waiting; workflow ${workflowId} keeps running. Follow it with: flora-temporal watch ${workflowId}\n`,
    );
    process.exit(130);
  };
  process.once('SIGINT', onInterrupt);
  try {
    return await waitAndPrint(args, stopProgress);
  } finally {
    process.removeListener('SIGINT', onInterrupt);
  }
}

async function waitAndPrint<R>(
  args: Parameters<typeof awaitWorkflow<R>>[0],
  stopProgress: ReturnType<typeof followProgress>,
): Promise<number> {
  const { workflowId, io } = args;
  let done: R;
  try {
    done = await args.result();
    await stopProgress({ final: true });
  } catch (err) {
    await stopProgress();
    const summary = err instanceof WorkflowFailedError ? summarizeFailure(err) : undefined;
    if (!summary) {
      // Not the workflow's failure (the connection dropped, say): the workflow may still be running.
      if (!args.json) throw err;
      io.stdout(
        json({ workflowId, status: 'error', error: { type: errorType(err), message: explainError(err) } }),
      );
      return ExitCode.Failed;
    }
    if (args.json) io.stdout(json({ workflowId, status: summary.status, error: summary.error }));
    else {
      // `cancelled: the workflow was cancelled`, not `cancelled: cancelled: ...`.
      const type = summary.error.type === summary.status ? '' : `${summary.error.type}: `;
      io.stderr(`${summary.status}: ${type}${summary.error.message}\n`);
    }
    return summary.status === 'cancelled' ? ExitCode.Cancelled : ExitCode.Failed;
  }
  if (!args.finish) {
    io.stdout(args.json ? json(done) : args.describe(done));
    return args.exitCode(done);
  }
  try {
    const finished = await args.finish(done);
    io.stdout(args.json ? json(finished) : args.describe(finished));
    return args.exitCode(finished);
  } catch (err) {
    // The run completed and was paid for: print it anyway, with what went wrong afterwards.
    const message = explainError(err);
    io.stdout(args.json ? json({ ...done, downloadError: message }) : args.describe(done));
    io.stderr(`error: the workflow completed, but saving its outputs failed: ${message}\n`);
    return ExitCode.Failed;
  }
}
