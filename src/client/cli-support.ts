/**
 * What every CLI command shares: the I/O seam, exit codes, one-line errors, JSON and table output, and
 * waiting for a workflow with progress on stderr.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { summarizeFailure } from './failures';
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
  try {
    const done = await args.result();
    await stopProgress({ final: true });
    const result = args.finish ? await args.finish(done) : done;
    io.stdout(args.json ? json(result) : args.describe(result));
    return args.exitCode(result);
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    const summary = summarizeFailure(err);
    if (args.json) io.stdout(json({ workflowId, status: summary.status, error: summary.error }));
    else io.stderr(`${summary.status}: ${summary.error.type}: ${summary.error.message}\n`);
    return summary.status === 'cancelled' ? ExitCode.Cancelled : ExitCode.Failed;
  } finally {
    await stopProgress();
  }
}
