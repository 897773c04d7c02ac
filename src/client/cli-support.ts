/**
 * What every CLI command shares: the I/O seam, exit codes, one-line errors, JSON and table output, and
 * waiting for a workflow with progress on stderr.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { summarizeFailure } from './failures';
import { ConfigError } from '../flora/config';
import { FloraError } from '../flora/errors';
import { followProgress } from './progress';

/**
 * Exit codes: 0 success, 1 failure (a failed run, a bad request, an unreachable service), 2 cancelled,
 * 3 a pipeline that finished partially (`onStepFailure: "continue"`).
 */
export const ExitCode = { Ok: 0, Failed: 1, Cancelled: 2, Partial: 3 } as const;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Progress is redrawn in place only on a terminal. */
  stderrIsTTY: boolean;
  env: NodeJS.ProcessEnv;
}

export const defaultIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stderrIsTTY: process.stderr.isTTY === true,
  env: process.env,
};

/** A failure the CLI reports as one line; `exitCode` says how the process ends. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.Failed,
  ) {
    super(message);
  }
}

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((row) => (row[col] ?? '').length))) ?? [];
  return (
    rows
      .map((row) =>
        row
          .map((cell, col) => cell.padEnd(widths[col] ?? 0))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

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
}): Promise<number> {
  const { workflowId, io } = args;
  const stopProgress = followProgress(args.progress, { write: io.stderr, isTTY: io.stderrIsTTY });
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
        json({ workflowId, status: 'error', error: { type: 'client_error', message: explainError(err) } }),
      );
      return ExitCode.Failed;
    }
    if (args.json) io.stdout(json({ workflowId, status: summary.status, error: summary.error }));
    else io.stderr(`${summary.status}: ${summary.error.type}: ${summary.error.message}\n`);
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

/** Explains an error in one line: what failed and what to do. */
export function explainError(err: unknown): string {
  if (err instanceof ConfigError) return err.message;
  if (err instanceof FloraError) return `FLORA request failed: ${err.describe()}`;
  if (err instanceof CliError) return err.message;
  const message = err instanceof Error ? err.message : String(err);
  if (/ECONNREFUSED|failed to connect|tcp connect error|transport error/i.test(message)) {
    return `cannot reach Temporal (${message}); is a Temporal server running at TEMPORAL_ADDRESS?`;
  }
  return message;
}
