/**
 * Starts a real Temporal dev server for tests and the demo, through the SDK's `createLocal`, with the
 * CLI found by `resolveTemporalCli` (or, when none is found, the SDK's own download).
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as Testing from '@temporalio/testing';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { FLORA_SEARCH_ATTRIBUTES } from '../domain/search-attribute-keys';
import { cacheDir, resolveTemporalCli } from './temporal-cli';

export interface LocalServerOptions {
  /** Build the CLI with `go install` if it is missing. @default false (`npm test` builds it up front) */
  install?: boolean;
  log?: (line: string) => void;
  /**
   * Keep the dev server's banner and its start-up log lines ("Frontend is not healthy yet") off the
   * terminal: they go to a log file in the cache directory instead. @default false (they go to stderr)
   */
  quiet?: boolean;
}

/**
 * The dev server prints a banner on stdout, which would break `--json` output and clutter test logs.
 * A two-line wrapper sends the server's stdout to stderr.
 */
async function stderrWrapper(cliPath: string, quiet = false): Promise<string> {
  const dir = join(cacheDir(), 'wrappers');
  await mkdir(dir, { recursive: true });
  const name = `temporal-${Buffer.from(cliPath).toString('hex').slice(-32)}${quiet ? '-quiet' : ''}`;
  const path = join(dir, `${name}.sh`);
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const redirect = quiet ? `>> ${quote(join(dir, 'dev-server.log'))} 2>&1` : '1>&2';
  await writeFile(path, `#!/bin/sh\nexec ${quote(cliPath)} "$@" ${redirect}\n`);
  await chmod(path, 0o755);
  return path;
}

/**
 * `@temporalio/testing` is an optional peer dependency (production workers never need it), so it is loaded
 * only here, with a message saying what to install when it is missing.
 */
async function loadTestingPackage(): Promise<typeof Testing> {
  try {
    return await import('@temporalio/testing');
  } catch (err) {
    if (
      (err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND' &&
      (err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND'
    )
      throw err;
    throw new Error(
      'The embedded Temporal dev server needs the optional peer dependency @temporalio/testing: ' +
        '`npm install @temporalio/testing` (the same version as your other @temporalio packages), ' +
        'or set TEMPORAL_ADDRESS to a running Temporal server',
    );
  }
}

export async function startLocalTemporal(options: LocalServerOptions = {}): Promise<TestWorkflowEnvironment> {
  const { TestWorkflowEnvironment } = await loadTestingPackage();
  const cli = await resolveTemporalCli({ install: options.install ?? false, log: options.log });
  const executable = cli
    ? { type: 'existing-path' as const, path: await stderrWrapper(cli.path, options.quiet) }
    : undefined;
  return TestWorkflowEnvironment.createLocal({
    server: {
      ...(executable ? { executable } : {}),
      log: { format: 'pretty', level: 'error' },
      searchAttributes: [...FLORA_SEARCH_ATTRIBUTES],
    },
  });
}
