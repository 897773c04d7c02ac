/**
 * Starts a real Temporal dev server for tests and the demo, through the SDK's `createLocal`, with the
 * CLI found by `resolveTemporalCli` (or, when none is found, the SDK's own download).
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { resolveTemporalCli } from './temporal-cli';

export interface LocalServerOptions {
  /** Build the CLI with `go install` if it is missing. @default false (`npm test` builds it up front) */
  install?: boolean;
  log?: (line: string) => void;
}

export async function startLocalTemporal(options: LocalServerOptions = {}): Promise<TestWorkflowEnvironment> {
  const cli = await resolveTemporalCli({ install: options.install ?? false, log: options.log });
  return TestWorkflowEnvironment.createLocal({
    server: {
      ...(cli ? { executable: { type: 'existing-path', path: cli.path } } : {}),
      log: { format: 'pretty', level: 'error' },
    },
  });
}
