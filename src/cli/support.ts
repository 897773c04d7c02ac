/**
 * What every CLI command shares: the I/O seam, exit codes, one-line errors, JSON and table output. Kept
 * free of heavy imports: every command's definition loads it, `--help` included.
 */

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
  /** The terminal's width now, read at every redraw so a resize is followed. */
  stderrColumns?: () => number | undefined;
  env: NodeJS.ProcessEnv;
}

export const defaultIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stderrIsTTY: process.stderr.isTTY === true,
  stderrColumns: () => process.stderr.columns,
  env: process.env,
};

/**
 * A failure the CLI reports as one line; `exitCode` says how the process ends, `type` is its error type
 * under --json (see errorType in ./errors for the vocabulary).
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.Failed,
    readonly type: string = 'invalid_usage',
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

/** What a command's action needs: the I/O seam, and where it records the process's exit code. */
export interface CliContext {
  io: CliIo;
  outcome: { exitCode: number };
}
