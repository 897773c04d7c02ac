/**
 * Finds the Temporal CLI, building the pinned version into the cache outside the repo when it is missing,
 * and prints where it is and how long that took. Used by .ci/run before the tests.
 */
import { resolveTemporalCli } from '../src/dev/temporal-cli';

async function main(): Promise<void> {
  const started = Date.now();
  const cli = await resolveTemporalCli({ install: true, log: (line) => process.stderr.write(`${line}\n`) });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (cli) process.stdout.write(`Temporal CLI: ${cli.path} (${cli.source}, resolved in ${seconds} s)\n`);
  else
    process.stdout.write(`No Temporal CLI: the Temporal SDK will download its dev server (${seconds} s)\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
