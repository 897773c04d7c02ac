/** `flora-temporal demo`: a two-step chain on an embedded Temporal dev server and the FLORA simulator. */
import type { Command } from 'commander';
import type * as DemoSession from '../demo-session';
import type { CliContext } from '../support';

export function registerDemo(program: Command, { io, outcome }: CliContext): void {
  program
    .command('demo')
    .description('run a two-step chain on an embedded Temporal dev server and the FLORA simulator')
    .option('--real', 'use the real FLORA API with FLORA_API_KEY (runs are billed)')
    .option('--json', 'print the summary and the pipeline result as JSON on stdout')
    .action(async (opts: { real?: boolean; json?: boolean }) => {
      // Loaded on use: the demo brings the worker, the dev server and the simulator.
      const { DemoInterrupted, runDemo } = require('../demo-session') as typeof DemoSession;
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
}
