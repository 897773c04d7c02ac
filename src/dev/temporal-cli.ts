/**
 * Finds (or builds) the Temporal CLI that serves `temporal server start-dev` for tests and the demo.
 *
 * Order: `TEMPORAL_CLI_PATH`; `temporal` on PATH; the build cache outside the repo; `go install` of the
 * pinned version into that cache (when Go is present); otherwise undefined, and the caller lets the
 * Temporal SDK download its own dev server (the normal path on a machine with internet).
 */
import { execFile } from 'node:child_process';
import { access, constants, mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** v1.6 and later carry a `replace` directive that `go install` refuses. */
export const PINNED_TEMPORAL_CLI_VERSION = 'v1.5.1';
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';

export type TemporalCliSource = 'env' | 'path' | 'cache' | 'go-install';

export interface ResolvedTemporalCli {
  path: string;
  source: TemporalCliSource;
}

export interface ResolveOptions {
  /** Build with `go install` when nothing else is found. @default true */
  install?: boolean;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

/** The cache folder: `FLORA_TEMPORAL_CACHE_DIR`, else `$XDG_CACHE_HOME/flora-temporal`, else `~/.cache/flora-temporal`. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FLORA_TEMPORAL_CACHE_DIR) return env.FLORA_TEMPORAL_CACHE_DIR;
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'flora-temporal');
}

export function cachedCliPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheDir(env), `temporal-cli-${PINNED_TEMPORAL_CLI_VERSION}`, 'temporal');
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function onPath(name: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export async function resolveTemporalCli(
  options: ResolveOptions = {},
): Promise<ResolvedTemporalCli | undefined> {
  const { install = true, env = process.env, log = () => {} } = options;
  if (env.TEMPORAL_CLI_PATH) {
    if (!(await isExecutable(env.TEMPORAL_CLI_PATH))) {
      throw new Error(`TEMPORAL_CLI_PATH=${env.TEMPORAL_CLI_PATH} is not an executable file`);
    }
    return { path: env.TEMPORAL_CLI_PATH, source: 'env' };
  }
  const fromPath = await onPath('temporal', env);
  if (fromPath) return { path: fromPath, source: 'path' };
  const cached = cachedCliPath(env);
  if (await isExecutable(cached)) return { path: cached, source: 'cache' };
  if (!install) return undefined;
  const go = await onPath('go', env);
  if (!go) {
    log('Temporal CLI not found and Go is not installed; the Temporal SDK will download its dev server');
    return undefined;
  }
  const binDir = join(cacheDir(env), `temporal-cli-${PINNED_TEMPORAL_CLI_VERSION}`);
  await mkdir(binDir, { recursive: true });
  log(
    `Building the Temporal CLI ${PINNED_TEMPORAL_CLI_VERSION} with go install into ${binDir} (a few minutes, once)`,
  );
  const started = Date.now();
  try {
    await execFileAsync(go, ['install', `${TEMPORAL_CLI_MODULE}@${PINNED_TEMPORAL_CLI_VERSION}`], {
      env: { ...env, GOBIN: binDir, GOFLAGS: [env.GOFLAGS, '-buildvcs=false'].filter(Boolean).join(' ') },
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    log(
      `go install failed; falling back to the SDK's download: ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
    );
    return undefined;
  }
  log(`Built the Temporal CLI in ${Math.round((Date.now() - started) / 1000)} s`);
  if (!(await isExecutable(cached))) return undefined;
  return { path: cached, source: 'go-install' };
}
