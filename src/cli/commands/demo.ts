/** `flora-temporal demo`: a two-step chain on an embedded Temporal dev server and the FLORA simulator. */
import type { Command } from 'commander';
import type * as DemoSession from '../demo-session';
import type { CliContext } from '../support';

/** One y/N question on the terminal; anything but y or yes is a no. */
async function ask(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

export function registerDemo(program: Command, { io, outcome }: CliContext): void {
  program
    .command('demo')
    .description('run a two-step chain on an embedded Temporal dev server and the FLORA simulator')
    .option('--real', 'use the real FLORA API with FLORA_API_KEY (runs are billed)')
    .option('--yes', 'with --real: spend without asking (for scripts)')
    .option('--json', 'print the summary and the pipeline result as JSON on stdout')
    .action(async (opts: { real?: boolean; yes?: boolean; json?: boolean }, command: Command) => {
      // Loaded on use: the demo brings the worker, the dev server and the simulator.
      const { DemoInterrupted, runDemo } = require('../demo-session') as typeof DemoSession;
      try {
        await runDemo({
          real: opts.real ?? false,
          yes: opts.yes ?? false,
          verbose: command.optsWithGlobals<{ verbose?: boolean }>().verbose ?? false,
          ...(process.stdin.isTTY ? { confirm: (question: string) => ask(question) } : {}),
          json: opts.json ?? false,
          env: io.env,
          out: io.stdout,
          err: io.stderr,
          stderrIsTTY: io.stderrIsTTY,
          stderrColumns: io.stderrColumns,
        });
      } catch (err) {
        if (err instanceof DemoInterrupted) {
          outcome.exitCode = 130;
          return;
        }
        throw err;
      }
    });
}
