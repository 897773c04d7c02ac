/**
 * The `flora-temporal` command line. Configuration comes from the environment (see README); with
 * `--json`, stdout carries exactly one JSON document and everything else goes to stderr.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { FloraClient } from '../flora/client';
import { floraConfigFromEnv } from '../flora/config';
import type { TechniqueListItem } from '../flora/schemas';
import type { RunTechniqueInput, RunTechniqueOptions, RunTechniqueResult } from '../workflows/types';
import { DemoInterrupted, runDemo } from '../demo/demo';
import { runSimulatorFromCli } from '../simulator/main';
import { runWorkerFromEnv } from '../worker/worker';
import { checkRequest, describeProblems } from '../workflows/validation';
import {
  awaitWorkflow,
  CliError,
  defaultIo,
  ExitCode,
  explainError,
  json,
  table,
  type CliIo,
} from './cli-support';
import { connectFromEnv } from './connection';
import { describeRunResult, describeTechnique } from './describe';
import {
  cancelCommand,
  runsListCommand,
  statusCommand,
  watchCommand,
  type RunsListOpts,
} from './inspect-commands';
import { renderRunStatus } from './progress';
import { saveRunOutputs, withDownloads } from './save-outputs';
import { pipelineRunCommand, pipelineValidateCommand, type PipelineRunOpts } from './pipeline-command';
import { InvalidRunRequestError, runStatus, startTechniqueRun } from './runs';

function parseInteger(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}`);
    }
    return n;
  };
}

function parseNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative number`);
    return n;
  };
}

/** `--input id=value`, repeatable; the value may itself contain `=`. */
function collectInput(pair: string, previous: Record<string, string>): Record<string, string> {
  const at = pair.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError(`expected id=value, got "${pair}"`);
  const id = pair.slice(0, at).trim();
  if (Object.prototype.hasOwnProperty.call(previous, id))
    throw new InvalidArgumentError(`input "${id}" given twice`);
  return { ...previous, [id]: pair.slice(at + 1) };
}

function floraFromEnv(io: CliIo): FloraClient {
  const config = floraConfigFromEnv(io.env);
  for (const warning of config.warnings) io.stderr(`warning: ${warning}\n`);
  return new FloraClient({ baseUrl: config.baseUrl, apiKey: config.apiKey, timeoutMs: config.timeoutMs });
}

async function listTechniques(flora: FloraClient, limit: number | undefined): Promise<TechniqueListItem[]> {
  const out: TechniqueListItem[] = [];
  let cursor: string | undefined;
  do {
    const want = limit === undefined ? 100 : Math.min(100, limit - out.length);
    const page = await flora.listTechniques({ limit: want, cursor });
    out.push(...page.techniques);
    cursor = page.meta?.next_cursor ?? undefined;
  } while (cursor !== undefined && (limit === undefined || out.length < limit));
  return limit === undefined ? out : out.slice(0, limit);
}

/** Builds the program. `io` is injectable for tests; commands record their exit code in `outcome`. */
export function buildProgram(
  io: CliIo = defaultIo,
  outcome: { exitCode: number } = { exitCode: 0 },
): Command {
  const program = new Command();
  program
    .name('flora-temporal')
    .description('Run FLORA techniques durably on Temporal.')
    .option('--verbose', 'print stack traces with errors')
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) })
    .showHelpAfterError('(run with --help for usage)')
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

  program
    .command('worker')
    .description('run a worker: the workflows and FLORA activities, until SIGINT or SIGTERM')
    .action(async () => {
      await runWorkerFromEnv((line) => io.stderr(`${line}\n`));
    });

  program
    .command('demo')
    .description('run a two-step chain on an embedded Temporal dev server and the FLORA simulator')
    .option('--real', 'use the real FLORA API with FLORA_API_KEY (runs are billed)')
    .option('--json', 'print the summary and the pipeline result as JSON on stdout')
    .action(async (opts: { real?: boolean; json?: boolean }) => {
      try {
        await runDemo({
          real: opts.real ?? false,
          json: opts.json ?? false,
          env: io.env,
          out: io.stdout,
          err: io.stderr,
          stderrIsTTY: io.stderrIsTTY,
        });
      } catch (err) {
        if (err instanceof DemoInterrupted) {
          outcome.exitCode = 130;
          return;
        }
        throw err;
      }
    });

  program
    .command('simulator')
    .description('run the FLORA simulator (an HTTP server implementing the FLORA API) for demos and tests')
    .option('--port <n>', 'port to listen on', parseInteger('--port', 0, 65535), 8787)
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option(
      '--run-duration-ms <ms>',
      'how long a run takes',
      parseInteger('--run-duration-ms', 0, 3_600_000),
      8000,
    )
    .addOption(
      new Option('--idempotency <mode>', 'duplicate-key behaviour')
        .choices(['replay', 'conflict'])
        .default('replay'),
    )
    .option('--serve-files', 'serve output files itself (outputs then point at this simulator over http)')
    .option('--control', 'serve the /_sim control plane (faults, stats, request log) to loopback callers')
    .option(
      '--rate-limit <n>',
      'API requests per second per workspace (429 beyond)',
      parseInteger('--rate-limit', 1, 100_000),
    )
    .action(
      async (opts: {
        port: number;
        host: string;
        runDurationMs: number;
        idempotency: 'replay' | 'conflict';
        serveFiles?: boolean;
        control?: boolean;
        rateLimit?: number;
      }) => {
        const { rateLimit, ...rest } = opts;
        await runSimulatorFromCli({
          ...rest,
          ...(rateLimit !== undefined ? { rateLimitPerSecond: rateLimit } : {}),
        });
      },
    );

  const techniques = program.command('techniques').description('browse FLORA techniques');
  techniques
    .command('list')
    .description('list techniques')
    .option('--limit <n>', 'list at most n techniques', parseInteger('--limit', 1, 10_000))
    .option('--json', 'print a JSON array')
    .action(async (opts: { limit?: number; json?: boolean }) => {
      const flora = floraFromEnv(io);
      try {
        const list = await listTechniques(flora, opts.limit);
        if (opts.json) io.stdout(json(list));
        else if (list.length === 0) io.stderr('no techniques\n');
        else {
          io.stdout(
            table([
              ['SLUG', 'TECHNIQUE_ID', 'NAME', 'PRICE'],
              ...list.map((t) => [
                t.slug ?? '-',
                t.technique_id,
                t.name,
                t.run_cost == null ? '-' : `$${t.run_cost}`,
              ]),
            ]),
          );
        }
      } finally {
        await flora.close();
      }
    });
  techniques
    .command('get <slug>')
    .description("show a technique's inputs, outputs and price")
    .option('--json', 'print the schema as JSON')
    .action(async (slug: string, opts: { json?: boolean }) => {
      const flora = floraFromEnv(io);
      try {
        const technique = await flora.getTechnique(slug);
        io.stdout(opts.json ? json(technique) : describeTechnique(technique));
      } finally {
        await flora.close();
      }
    });

  program
    .command('pipeline <file> [file]')
    .usage('[options] <file> | validate <file>')
    .description('run a pipeline file (JSON or YAML); "pipeline validate <file>" checks it without spending')
    .option('--workflow-id <id>', 'Temporal workflow id (attaches if that workflow is running)')
    .option('--wait', 'wait for the result')
    .option('--download <dir>', 'with --wait: save every step’s outputs in dir, with a manifest')
    .option('--json', 'machine-readable output on stdout')
    .action(async (first: string, second: string | undefined, opts: PipelineRunOpts) => {
      if (first === 'validate') {
        if (second === undefined) throw new CliError('usage: flora-temporal pipeline validate <file>');
        outcome.exitCode = await pipelineValidateCommand(second, opts, io);
        return;
      }
      if (second !== undefined) throw new CliError(`unexpected argument "${second}"`);
      outcome.exitCode = await pipelineRunCommand(first, opts, io);
    });

  program
    .command('status <workflowId>')
    .description("a run's or pipeline's state: Temporal status and the workflow's own progress")
    .option('--json', 'print JSON')
    .action(async (workflowId: string, opts: { json?: boolean }) => {
      outcome.exitCode = await statusCommand(workflowId, opts, io);
    });
  program
    .command('watch <workflowId>')
    .description('follow a run or pipeline with live progress (stderr) until it ends, then print its result')
    .option('--json', 'print the result (or failure) as JSON on stdout')
    .action(async (workflowId: string, opts: { json?: boolean }) => {
      outcome.exitCode = await watchCommand(workflowId, opts, io);
    });
  program
    .command('cancel <workflowId>')
    .description('cancel a run or pipeline (FLORA runs already created keep going: FLORA has no cancel)')
    .option('--json', 'print JSON')
    .action(async (workflowId: string, opts: { json?: boolean }) => {
      outcome.exitCode = await cancelCommand(workflowId, opts, io);
    });
  program
    .command('runs')
    .description('runs and pipelines in Temporal')
    .command('list')
    .description('our workflows, newest first')
    .option('--limit <n>', 'at most n', parseInteger('--limit', 1, 1000), 20)
    .option('--technique <slug>', 'only runs of this technique (search attribute FloraTechnique)')
    .option('--run-id <run_id>', 'the workflow that created this FLORA run (search attribute FloraRunId)')
    .option('--pipeline <name>', 'only this pipeline and its steps (search attribute FloraPipeline)')
    .addOption(
      new Option('--status <status>', 'only workflows in this state').choices([
        'Running',
        'Completed',
        'Failed',
        'Canceled',
        'Terminated',
        'TimedOut',
        'ContinuedAsNew',
      ]),
    )
    .option('--json', 'print a JSON array')
    .action(async (opts: RunsListOpts) => {
      outcome.exitCode = await runsListCommand(opts, io);
    });

  program
    .command('run [slug]')
    .description('run a technique as a durable workflow')
    .option('-i, --input <id=value>', 'an input (repeatable)', collectInput, {} as Record<string, string>)
    .option('--technique-id <tech_id>', 'run by id on the top-level route (with --workspace-id)')
    .option('--workspace-id <ws_id>', 'workspace for --technique-id')
    .option('--workflow-id <id>', 'Temporal workflow id (attaches if that workflow is running)')
    .option('--max-cost <usd>', 'refuse techniques priced above this', parseNumber('--max-cost'))
    .option('--deadline <duration>', 'give up after this long, e.g. 30m or 6h')
    .option('--idempotency-key <key>', 'idempotency key of the first create')
    .option('--attach-run-id <run_id>', 'create nothing; follow this existing FLORA run')
    .option(
      '--max-run-attempts <n>',
      'runs to create after transient failures',
      parseInteger('--max-run-attempts', 1, 10),
    )
    .option('--wait', 'wait for the result')
    .option(
      '--download <dir>',
      'with --wait: save the outputs in dir (manifest.json has content types and sha256)',
    )
    .option('--json', 'machine-readable output on stdout')
    .action(async (slug: string | undefined, opts: RunOpts) => {
      outcome.exitCode = await runCommand(slug, opts, io);
    });

  return program;
}

interface RunOpts {
  input: Record<string, string>;
  techniqueId?: string;
  workspaceId?: string;
  workflowId?: string;
  maxCost?: number;
  deadline?: string;
  idempotencyKey?: string;
  attachRunId?: string;
  maxRunAttempts?: number;
  wait?: boolean;
  download?: string;
  json?: boolean;
}

async function runCommand(slug: string | undefined, opts: RunOpts, io: CliIo): Promise<number> {
  const options: RunTechniqueOptions = {};
  if (opts.maxCost !== undefined) options.maxCostUsd = opts.maxCost;
  if (opts.deadline !== undefined) options.deadline = opts.deadline;
  if (opts.idempotencyKey !== undefined) options.idempotencyKey = opts.idempotencyKey;
  if (opts.attachRunId !== undefined) options.attachRunId = opts.attachRunId;
  if (opts.maxRunAttempts !== undefined) options.maxRunAttempts = opts.maxRunAttempts;
  const input: RunTechniqueInput = { inputs: opts.input, options };
  if (slug !== undefined) input.technique = slug;
  if (opts.techniqueId !== undefined) input.techniqueId = opts.techniqueId;
  if (opts.workspaceId !== undefined) input.workspaceId = opts.workspaceId;

  const checked = checkRequest(input);
  if (!checked.ok) throw new CliError(`invalid run request: ${describeProblems(checked.problems)}`);
  if (opts.download !== undefined && !opts.wait)
    throw new CliError('--download needs --wait: outputs exist only once the run completes');

  const { client, settings, close } = await connectFromEnv(io.env);
  try {
    let handle;
    try {
      handle = await startTechniqueRun(client, input, {
        taskQueue: settings.taskQueue,
        workflowId: opts.workflowId,
      });
    } catch (err) {
      if (err instanceof InvalidRunRequestError) throw new CliError(`invalid run request: ${err.message}`);
      throw err;
    }
    const workflowId = handle.workflowId;
    if (!opts.wait) {
      io.stdout(opts.json ? json({ workflowId }) : `${workflowId}\n`);
      return ExitCode.Ok;
    }
    io.stderr(`workflow ${workflowId} started on task queue ${settings.taskQueue}; waiting for the result\n`);
    return await awaitWorkflow<RunTechniqueResult>({
      workflowId,
      result: () => handle.result(),
      progress: async () => renderRunStatus(await runStatus(handle)),
      describe: describeRunResult,
      ...(opts.download !== undefined ? { finish: withDownloads(opts.download, saveRunOutputs, io) } : {}),
      exitCode: () => ExitCode.Ok,
      json: opts.json ?? false,
      io,
    });
  } finally {
    await close();
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
  program.exitOverride();
  try {
    await program.parseAsync(argv);
    return outcome.exitCode;
  } catch (err) {
    // Commander has already printed its own usage errors and help; --help and --version end with 0.
    if (err instanceof CommanderError) return err.exitCode;
    const message = explainError(err);
    io.stderr(`error: ${message}\n`);
    if (program.opts<{ verbose?: boolean }>().verbose && err instanceof Error && err.stack)
      io.stderr(`${err.stack}\n`);
    if (argv.includes('--json') && !printed)
      io.stdout(json({ status: 'error', error: { type: errorType(err), message } }));
    return err instanceof CliError ? err.exitCode : ExitCode.Failed;
  }
}

function errorType(err: unknown): string {
  if (err instanceof CliError) return 'invalid_usage';
  if (err instanceof Error && err.name === 'ConfigError') return 'invalid_configuration';
  if (err instanceof Error && 'code' in err && typeof err.code === 'string' && err.name.startsWith('Flora'))
    return err.code;
  return 'error';
}
