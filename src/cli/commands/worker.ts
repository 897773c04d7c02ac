/** `flora-temporal worker`: the workflows and FLORA activities, until SIGINT or SIGTERM. */
import type { Command } from 'commander';
import type * as Worker from '../../worker/worker';
import type { CliContext } from '../support';

export function registerWorker(program: Command, { io }: CliContext): void {
  program
    .command('worker')
    .description('run a worker: the workflows and FLORA activities, until SIGINT or SIGTERM')
    .action(async () => {
      // Loaded on use: the worker (bundler, native runtime, OpenTelemetry) is the heaviest module of all.
      const { runWorkerFromEnv } = require('../../worker/worker') as typeof Worker;
      await runWorkerFromEnv((line) => io.stderr(`${line}\n`));
    });
}
