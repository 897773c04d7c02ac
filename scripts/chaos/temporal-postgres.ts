/**
 * A production-style Temporal server for the chaos harness, without containers: PostgreSQL (Debian's
 * binaries, run as the `postgres` user) and the Temporal server built by `go install` (v1.29.1) with
 * its schema tool, configured from the server's own `config/development-postgres12.yaml` and
 * `schema/postgresql/v12` in the Go module cache. Missing pieces make the row skip, saying which.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cacheDir, resolveTemporalCli } from '../../src/dev/temporal-cli';
import { searchAttributeCreateArgs } from '../../src/domain/search-attribute-keys';
import { freeLowPort, freePort, spawnProc, stopProc, type Proc } from './procs';
import { waitForTemporal, type TemporalServer } from './temporal';

const run = promisify(execFile);
export const SERVER_VERSION = 'v1.29.1';

function which(name: string, extra: string[] = []): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(':'), ...extra]) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

async function goEnv(name: string): Promise<string> {
  return (await run('go', ['env', name])).stdout.trim();
}

/** Why the row cannot run here, or the paths it needs. */
export async function findPostgresParts(
  options: { build: boolean } = { build: true },
): Promise<
  | { ok: false; why: string }
  | { ok: true; server: string; sqlTool: string; pgBin: string; moduleDir: string; cli: string }
> {
  const go = which('go');
  const pgDirs = ['/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/16/bin', '/usr/local/bin'];
  const initdb = which('initdb', pgDirs);
  if (!initdb)
    return { ok: false, why: 'PostgreSQL is not installed (no initdb; apt-get install postgresql)' };
  const binDir = join(cacheDir(), `temporal-server-${SERVER_VERSION}`);
  const server = join(binDir, 'server');
  const sqlTool = join(binDir, 'sql');
  if (!existsSync(server) || !existsSync(sqlTool)) {
    if (!go) return { ok: false, why: 'Go is not installed, and the Temporal server is not built' };
    if (!options.build)
      return {
        ok: false,
        why: `the Temporal server ${SERVER_VERSION} is not built yet (the full run builds it)`,
      };
    await mkdir(binDir, { recursive: true });
    await run(
      'go',
      [
        'install',
        `go.temporal.io/server/cmd/server@${SERVER_VERSION}`,
        `go.temporal.io/server/cmd/tools/sql@${SERVER_VERSION}`,
      ],
      { env: { ...process.env, GOBIN: binDir, GOFLAGS: '-buildvcs=false' }, maxBuffer: 64 * 2 ** 20 },
    );
  }
  if (!go)
    return { ok: false, why: 'Go is not installed (needed to find the server config in the module cache)' };
  const moduleDir = join(await goEnv('GOMODCACHE'), `go.temporal.io/server@${SERVER_VERSION}`);
  if (!existsSync(join(moduleDir, 'config/development-postgres12.yaml')))
    return { ok: false, why: `no ${moduleDir}/config/development-postgres12.yaml in the Go module cache` };
  const cli = await resolveTemporalCli({ install: false });
  if (!cli) return { ok: false, why: 'no Temporal CLI to register the namespace' };
  return { ok: true, server, sqlTool, pgBin: initdb.replace(/\/initdb$/, ''), moduleDir, cli: cli.path };
}

export async function startPostgresTemporal(
  log: (line: string) => void,
): Promise<TemporalServer | { skipped: string }> {
  const parts = await findPostgresParts();
  if (!parts.ok) return { skipped: parts.why };
  const dir = await mkdtemp(join(tmpdir(), 'flora-chaos-pg-'));
  const pgData = join(dir, 'pgdata');
  await mkdir(pgData);
  await chmod(dir, 0o755);
  await run('chown', ['-R', 'postgres', pgData]);
  const pgPort = await freePort();
  const asPostgres = (cmd: string): Promise<unknown> =>
    run('su', ['postgres', '-c', cmd], { maxBuffer: 16 * 2 ** 20 });
  await asPostgres(`${parts.pgBin}/initdb -D ${pgData} -A trust -U postgres`);
  await asPostgres(
    `${parts.pgBin}/pg_ctl -D ${pgData} -o "-p ${pgPort} -k ${pgData} -c listen_addresses=127.0.0.1" -l ${pgData}/log -w start`,
  );
  log(`PostgreSQL on 127.0.0.1:${pgPort}`);
  await run('psql', [
    '-h',
    '127.0.0.1',
    '-p',
    String(pgPort),
    '-U',
    'postgres',
    '-c',
    "CREATE USER temporal WITH SUPERUSER PASSWORD 'temporal'",
  ]);
  const sql = (db: string, ...args: string[]): Promise<unknown> =>
    run(parts.sqlTool, [
      '--plugin',
      'postgres12',
      '--ep',
      '127.0.0.1',
      '-p',
      String(pgPort),
      '-u',
      'temporal',
      '--pw',
      'temporal',
      '--db',
      db,
      ...args,
    ]);
  for (const [db, schema] of [
    ['temporal', 'temporal'],
    ['temporal_visibility', 'visibility'],
  ] as const) {
    await sql(db, 'create-database');
    await sql(db, 'setup-schema', '-v', '0.0');
    await sql(db, 'update-schema', '-d', join(parts.moduleDir, 'schema/postgresql/v12', schema, 'versioned'));
  }

  // The server's own development config, with every port moved to a free one.
  let config = await readFile(join(parts.moduleDir, 'config/development-postgres12.yaml'), 'utf8');
  config = config.replace(/127\.0\.0\.1:5432/g, `127.0.0.1:${pgPort}`).replace(/level: info/, 'level: warn');
  const frontend = await freeLowPort();
  config = config.replace(/\b7233\b/g, String(frontend));
  for (const port of ['6933', '7243', '7235', '6935', '7234', '6934', '7239', '6939', '7936', '8000']) {
    config = config.replace(new RegExp(`\\b${port}\\b`, 'g'), String(await freeLowPort()));
  }
  config = config.replace(
    'config/dynamicconfig/development-sql.yaml',
    join(parts.moduleDir, 'config/dynamicconfig/development-sql.yaml'),
  );
  await mkdir(join(dir, 'config'));
  await writeFile(join(dir, 'config/development-postgres12.yaml'), config);
  const address = `127.0.0.1:${frontend}`;
  const args = [
    '--root',
    dir,
    '--config',
    'config',
    '--env',
    'development-postgres12',
    '--allow-no-auth',
    'start',
  ];
  const outputs: string[] = [];
  let proc: Proc = spawnProc('temporal-postgres', parts.server, args, { cwd: dir });
  await waitForTemporal(address, 120_000, proc);
  const cli = (...a: string[]): Promise<unknown> => run(parts.cli, [...a, '--address', address]);
  await cli('operator', 'namespace', 'create', '--namespace', 'default', '--retention', '24h').catch(
    () => undefined,
  );
  for (let attempt = 0; ; attempt++) {
    try {
      await cli(
        'operator',
        'search-attribute',
        'create',
        '--namespace',
        'default',
        ...searchAttributeCreateArgs(),
      );
      break;
    } catch (err) {
      // The new namespace reaches every service's cache within a few seconds.
      if (attempt > 30) throw err;
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
  return {
    address,
    kind: `Temporal server ${SERVER_VERSION} with PostgreSQL`,
    async crash() {
      proc.kill('SIGKILL');
      await proc.exited;
    },
    async restart() {
      outputs.push(proc.output());
      proc = spawnProc('temporal-postgres', parts.server, args, { cwd: dir });
      await waitForTemporal(address, 120_000, proc);
    },
    async stop() {
      await stopProc(proc, 10_000);
      await asPostgres(`${parts.pgBin}/pg_ctl -D ${pgData} -m immediate stop`).catch(() => undefined);
    },
    output: () => outputs.join('') + proc.output(),
    running: () => proc.alive(),
  };
}
