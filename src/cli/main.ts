/**
 * The `flora-temporal` command line: the CLI's composition root. Configuration comes from the environment
 * (see docs); with `--json`, stdout carries exactly one JSON document and everything else goes to stderr.
 *
 * Each command lives in ./commands and loads its heavy dependencies (the Temporal client, the worker,
 * the simulator, OpenTelemetry) only when it runs, so `--help` and the light commands start fast.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import type * as Errors from './errors';
import { registerCancel } from './commands/cancel';
import { registerDemo } from './commands/demo';
import { registerDownload } from './commands/download';
import { registerPipeline } from './commands/pipeline';
import { registerRun } from './commands/run';
import { registerRuns } from './commands/runs';
import { registerSimulator } from './commands/simulator';
import { registerStatus } from './commands/status';
import { registerTechniques } from './commands/techniques';
import { registerWatch } from './commands/watch';
import { registerWorker } from './commands/worker';
import { registerWebhookReceiver } from './commands/webhook-receiver';
import { CliError, defaultIo, ExitCode, json, type CliContext, type CliIo } from './support';

/** Builds the program. `io` is injectable for tests; commands record their exit code in `outcome`. */
export function buildProgram(
  io: CliIo = defaultIo,
  outcome: { exitCode: number } = { exitCode: 0 },
): Command {
  const program = new Command();
  program
    .name('flora-temporal')
    .description('Run FLORA techniques durably on Temporal.')
    .version(packageVersion(), '--version', 'print the version')
    .option('--verbose', 'print stack traces with errors')
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) })
    .showHelpAfterError('(run with --help for usage)')
    // Commander leaves a description column narrower than 40 unwrapped, so on an 80-column terminal the
    // command lists (whose long usages leave 35 to 39 columns) ran past the edge. Inherited by every command.
    .configureHelp({ minWidthToWrap: 30 })
    .addHelpText(
      'after',
      `
Configuration (environment):
  TEMPORAL_ADDRESS    Temporal frontend host:port (default localhost:7233)
  TEMPORAL_NAMESPACE  Temporal namespace (default "default")
  FLORA_TASK_QUEUE    task queue of the workers (default "flora")
  FLORA_BASE_URL      FLORA API base URL (default https://app.flora.ai/api/v1)
  FLORA_API_KEY       FLORA API key (worker and "techniques" commands only)
  FLORA_HTTP_TIMEOUT_MS  per-request timeout, at most 25000 (default 15000)`,
    );

  // Before the commands are added, so they inherit it: usage errors reach main() instead of exiting.
  program.exitOverride();
  const ctx: CliContext = { io, outcome };
  registerWorker(program, ctx);
  registerWebhookReceiver(program, ctx);
  registerDemo(program, ctx);
  registerSimulator(program, ctx);
  registerTechniques(program, ctx);
  registerPipeline(program, ctx);
  registerStatus(program, ctx);
  registerWatch(program, ctx);
  registerDownload(program, ctx);
  registerCancel(program, ctx);
  registerRuns(program, ctx);
  registerRun(program, ctx);
  return program;
}

/** The package's version: package.json sits two levels up from both src/cli and dist/cli. */
function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export async function main(argv: string[] = process.argv, io: CliIo = defaultIo): Promise<number> {
  // With --json, stdout holds exactly one JSON document, errors included: track whether one was printed.
  let printed = false;
  const tracked: CliIo = {
    ...io,
    stdout: (text) => {
      printed = true;
      io.stdout(text);
    },
  };
  const outcome = { exitCode: ExitCode.Ok as number };
  const program = buildProgram(tracked, outcome);
  try {
    await program.parseAsync(argv);
    return outcome.exitCode;
  } catch (err) {
    // Commander has already printed its own usage errors and help; --help and --version end with 0.
    if (err instanceof CommanderError) {
      if (err.exitCode !== 0 && argv.includes('--json') && !printed) {
        const message = err.message.replace(/^error: /, '');
        io.stdout(json({ status: 'error', error: { type: 'invalid_usage', message } }));
      }
      return err.exitCode;
    }
    // Loaded only on the error path: explaining errors needs the FLORA and config modules.
    const { errorType, explainError } = require('./errors') as typeof Errors;
    const message = explainError(err);
    io.stderr(`error: ${message}\n`);
    if (program.opts<{ verbose?: boolean }>().verbose && err instanceof Error && err.stack)
      io.stderr(`${err.stack}\n`);
    if (argv.includes('--json') && !printed)
      io.stdout(json({ status: 'error', error: { type: errorType(err), message } }));
    return err instanceof CliError ? err.exitCode : ExitCode.Failed;
  }
}
