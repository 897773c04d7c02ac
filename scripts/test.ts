/**
 * `npm test`: makes sure a Temporal CLI is at hand (building the pinned one once into a cache outside the
 * repo if needed), then runs every test file with Node's test runner.
 *
 * Usage: npm test [-- test/some.test.ts ...]
 */
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { resolveTemporalCli } from '../src/dev/temporal-cli';

async function findTests(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await findTests(path)));
    else if (entry.name.endsWith('.test.ts')) out.push(path);
  }
  return out.sort();
}

async function main(): Promise<void> {
  const root = join(__dirname, '..');
  const log = (line: string) => process.stderr.write(`[test] ${line}\n`);
  const cli = await resolveTemporalCli({ install: true, log });
  if (cli) log(`Temporal CLI: ${cli.path} (${cli.source})`);
  else log('No Temporal CLI found or built: the Temporal SDK will download its dev server (needs internet)');

  const args = process.argv.slice(2);
  const files = args.length > 0 ? args : (await findTests(join(root, 'test'))).map((f) => relative(root, f));
  const concurrency = process.env.TEST_CONCURRENCY ?? '2';
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files],
    {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, ...(cli ? { TEMPORAL_CLI_PATH: cli.path } : {}) },
    },
  );
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
