/**
 * The package as a user gets it: `npm pack`, the tarball installed into a fresh project with plain `tsc`
 * and `node` (no tsx), a CommonJS consumer serving its own workflow next to flora's workflows and
 * activities, and an ESM (NodeNext) consumer calling flora's worker on another task queue by workflow
 * type name. docs/embedding.md shows exactly these files (test/fixtures/consumer).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startLocalTemporal } from '../src/dev/test-server';

const run = promisify(execFile);
const root = join(__dirname, '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, (await stat(join(entry.parentPath, entry.name))).mtimeMs);
  }
  return newest;
}

/** `npm ci` built dist/ (prepare); build again only if a source or fixture changed since. */
async function ensureBuilt(): Promise<void> {
  const built = await stat(join(root, 'dist', 'workflow-bundle.json')).then(
    (s) => s.mtimeMs,
    () => 0,
  );
  const sources = Math.max(
    await newestMtime(join(root, 'src')),
    await newestMtime(join(root, 'test', 'fixtures', 'histories')),
  );
  if (built < sources) await run(npm, ['run', 'build'], { cwd: root, maxBuffer: 1 << 24 });
}

async function lockedVersion(name: string): Promise<string> {
  const lock = JSON.parse(await readFile(join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version: string }>;
  };
  const entry = lock.packages[`node_modules/${name}`];
  assert.ok(entry, `${name} is in package-lock.json`);
  return entry.version;
}

describe('the npm package, installed from its tarball', () => {
  let dir: string;
  let consumer: string;
  let files: string[];
  let temporal: TestWorkflowEnvironment;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flora-package-'));
    const [server] = await Promise.all([startLocalTemporal(), ensureBuilt()]);
    temporal = server;
    const { stdout } = await run(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
      cwd: root,
      maxBuffer: 1 << 24,
    });
    const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
    assert.ok(packed);
    files = packed.files.map((f) => f.path);

    consumer = join(dir, 'consumer');
    await cp(join(__dirname, 'fixtures', 'consumer'), consumer, { recursive: true });
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {
      peerDependencies: Record<string, string>;
      peerDependenciesMeta: Record<string, { optional?: boolean }>;
    };
    const peers = Object.keys(pkg.peerDependencies).filter((n) => !pkg.peerDependenciesMeta[n]?.optional);
    const pinned = await Promise.all(
      [...peers, '@types/node'].map(async (n) => `${n}@${await lockedVersion(n)}`),
    );
    await run(
      npm,
      ['install', '--prefer-offline', '--no-audit', '--no-fund', join(dir, packed.filename), ...pinned],
      { cwd: consumer, maxBuffer: 1 << 24 },
    );
    // Plain tsc (ours, not installed in the consumer) over CommonJS .ts and ESM .mts sources.
    await run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', consumer], { cwd: consumer });
  });

  after(async () => {
    await temporal?.teardown();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('the tarball holds the compiled package, docs and replay histories; no sources, tests or tooling', () => {
    for (const f of [
      'bin/flora-temporal.js',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/index.js.map',
      'dist/workflows/public.js',
      'dist/workflow-bundle.js',
      'dist/replay-histories/completed-nested.json',
      'docs/embedding.md',
      'CHANGELOG.md',
      'examples/fox-teaser.json',
    ]) {
      assert.ok(files.includes(f), `${f} is packed`);
    }
    const unwanted = files.filter((f) =>
      /^(src|test|scripts|bench|\.ci)\/|\.ts$(?<!\.d\.ts)|^tsconfig/.test(f),
    );
    assert.deepEqual(unwanted, []);
  });

  test('one copy of the Temporal SDK, no tsx, and the CLI runs the compiled JavaScript', async () => {
    const found: string[] = [];
    for (const entry of await readdir(join(consumer, 'node_modules'), {
      recursive: true,
      withFileTypes: true,
    })) {
      if (entry.name === 'package.json' && entry.parentPath.endsWith(join('@temporalio', 'workflow'))) {
        found.push(relative(consumer, entry.parentPath));
      }
    }
    assert.deepEqual(found, [join('node_modules', '@temporalio', 'workflow')]);
    await assert.rejects(
      stat(join(consumer, 'node_modules', 'tsx')),
      'tsx is not installed with the package',
    );
    const { stdout } = await run(join(consumer, 'node_modules', '.bin', 'flora-temporal'), ['--help'], {
      cwd: consumer,
    });
    assert.match(stdout, /Usage: flora-temporal/);
  });

  test('CommonJS: its own workflow calls a technique run and a pipeline served by the same worker', async () => {
    const { stdout } = await run(process.execPath, [join(consumer, 'dist', 'main.js')], {
      cwd: consumer,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TEMPORAL_ADDRESS: temporal.address },
      maxBuffer: 1 << 24,
    });
    const result = JSON.parse(stdout) as {
      workflowId: string;
      posterPhase: string;
      replayed: number;
      output: {
        poster: { workflowId: string; status: string; outputs: { url: string }[] };
        clips: { workflowId: string; status: string; steps: Record<string, { outputs: unknown[] }> };
        announced: string;
      };
    };
    assert.equal(result.output.poster.status, 'completed');
    assert.equal(result.output.poster.workflowId, `${result.workflowId}/poster`);
    assert.ok(result.output.poster.outputs.length > 0);
    assert.equal(result.output.clips.status, 'completed');
    assert.equal(result.output.clips.workflowId, `${result.workflowId}/clips`);
    assert.equal(result.output.clips.steps.clip?.outputs.length, 1);
    assert.match(result.output.announced, /^announced: /, "the team's own activity ran next to flora's");
    assert.equal(result.posterPhase, 'completed', 'the client library reads the child run');
    assert.ok(
      result.replayed >= 8,
      `the shipped histories replayed on the consumer's bundle (${result.replayed})`,
    );
  });

  test("ESM (NodeNext): flora's worker on its own task queue, called by workflow type name", async () => {
    const { stdout } = await run(process.execPath, [join(consumer, 'dist', 'esm', 'main.mjs')], {
      cwd: consumer,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TEMPORAL_ADDRESS: temporal.address },
      maxBuffer: 1 << 24,
    });
    const result = JSON.parse(stdout) as {
      workflowId: string;
      stillPhase: string;
      output: {
        still: { workflowId: string; status: string; outputs: unknown[] };
        story: { workflowId: string; status: string; steps: Record<string, { outputs: unknown[] }> };
      };
    };
    assert.equal(result.output.still.status, 'completed');
    assert.equal(result.output.still.workflowId, `${result.workflowId}/still`);
    assert.equal(result.output.story.status, 'completed');
    assert.equal(result.output.story.steps.caption?.outputs.length, 1);
    assert.equal(result.stillPhase, 'completed');
  });
});
