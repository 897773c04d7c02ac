/**
 * The package as a user gets it: `npm pack`, the tarball installed into a fresh project with plain `tsc`
 * and `node` (no tsx). One consumer serving its own workflow next to flora's workflows and activities,
 * compiled from the same sources twice: as CommonJS, and as ESM (NodeNext) in a `"type": "module"`
 * package; and an ESM consumer calling flora's worker on another task queue by workflow type name.
 * docs/embedding.md shows exactly these files (test/fixtures/consumer).
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cp, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { temporal as proto } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { FloraWorkflows } from '../src/client';
import { resolveTemporalCli } from '../src/dev/temporal-cli';
import { startLocalTemporal } from '../src/dev/test-server';
import { startSimulator } from '../src/simulator';
import { waitFor } from './helpers/failures';

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

/** The lowest version a peer range allows: `^1.24.0`, `~1.24.0` and `>=1.24.0` all start at 1.24.0. */
function lowestOf(range: string): string {
  const m = /^(?:\^|~|>=)?\s*(\d+\.\d+\.\d+)$/.exec(range.trim());
  assert.ok(m?.[1], `peer range ${range} has a plain lowest version this test understands`);
  return m[1];
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
    // The same .ts sources again in a "type": "module" package, so NodeNext compiles them as ESM. It sits
    // inside the consumer, whose node_modules it resolves from.
    const esm = join(consumer, 'esm-package');
    await cp(join(consumer, 'src'), join(esm, 'src'), {
      recursive: true,
      filter: (from) => !from.endsWith(join('src', 'esm')),
    });
    await writeFile(
      join(esm, 'package.json'),
      JSON.stringify({ name: 'flora-consumer-esm', private: true, type: 'module' }),
    );
    await writeFile(
      join(esm, 'tsconfig.json'),
      JSON.stringify({
        extends: '../tsconfig.json',
        compilerOptions: { outDir: 'dist', rootDir: 'src' },
        include: ['src'],
      }),
    );
    await run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', esm], { cwd: esm });
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
      'dist/workflow-bundle-tracing.js',
      'dist/replay-histories/completed-nested.json',
      'docs/embedding.md',
      'CHANGELOG.md',
      'LICENSE',
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

  test('the consumer runs on the lowest @temporalio/* version the peer range claims', async () => {
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {
      peerDependencies: Record<string, string>;
      peerDependenciesMeta: Record<string, { optional?: boolean }>;
    };
    // Optional peers (@temporalio/testing) are not installed in the consumer.
    const temporalPeers = Object.entries(pkg.peerDependencies).filter(
      ([n]) => n.startsWith('@temporalio/') && !pkg.peerDependenciesMeta[n]?.optional,
    );
    assert.ok(temporalPeers.length >= 5);
    for (const [name, range] of temporalPeers) {
      const installed = join(consumer, 'node_modules', ...name.split('/'), 'package.json');
      const found = (JSON.parse(await readFile(installed, 'utf8')) as { version: string }).version;
      assert.equal(
        found,
        lowestOf(range),
        `${name}: the consumer test installs ${found}, but the peer range ${range} claims ${lowestOf(range)}; ` +
          'pin the lowest version in the consumer install (or raise the range)',
      );
    }
  });

  test('a traced worker from the installed package runs the prebuilt bundle and exports workflow spans', async () => {
    const sim = await startSimulator({ runDurationMs: 300 });
    const bodies: string[] = [];
    const otlp = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('latin1')));
      req.on('end', () => {
        if (req.url === '/v1/traces') bodies.push(body);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    otlp.listen(0, '127.0.0.1');
    await once(otlp, 'listening');
    const queue = `package-tracing-${Date.now()}`;
    const worker = spawn(join(consumer, 'node_modules', '.bin', 'flora-temporal'), ['worker'], {
      cwd: consumer,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        TEMPORAL_ADDRESS: temporal.address,
        FLORA_TASK_QUEUE: queue,
        FLORA_BASE_URL: sim.baseUrl,
        FLORA_API_KEY: sim.apiKey,
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(otlp.address() as AddressInfo).port}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    worker.stdout.on('data', (c: Buffer) => (output += c.toString()));
    worker.stderr.on('data', (c: Buffer) => (output += c.toString()));
    try {
      await waitFor(
        'the worker to start',
        () => Promise.resolve(/flora-temporal worker on/.test(output) || undefined),
        120_000,
      );
      assert.match(output, /tracing on, prebuilt workflow bundle/, output);
      const flora = new FloraWorkflows(temporal.client, { taskQueue: queue, allowFastPolling: true });
      const run = await flora.startRun({
        technique: 'text-to-image',
        inputs: { prompt: 'fox' },
        options: { pollMinMs: 50, pollMaxMs: 150 },
      });
      assert.equal((await run.result()).status, 'completed', output);
      const all = await waitFor('workflow and activity spans over OTLP', () => {
        const text = bodies.join('\n');
        return Promise.resolve(
          text.includes('RunWorkflow:runTechnique') && text.includes('RunActivity:flora.createRun')
            ? text
            : undefined,
        );
      });
      assert.ok(!all.includes(sim.apiKey), 'the API key is in no span');
      worker.kill('SIGTERM');
      const [code] = (await once(worker, 'exit')) as [number | null];
      assert.equal(code, 0, output);
    } finally {
      if (worker.exitCode === null) worker.kill('SIGKILL');
      otlp.close();
      await sim.close();
    }
  });

  test('flora-temporal demo runs from the installed package, without @temporalio/testing', async () => {
    await assert.rejects(
      stat(join(consumer, 'node_modules', '@temporalio', 'testing')),
      'the optional peer @temporalio/testing is not installed',
    );
    const cli = await resolveTemporalCli({ install: false });
    assert.ok(cli, 'a Temporal CLI (npm test builds one into the cache)');
    const { stdout } = await run(
      join(consumer, 'node_modules', '.bin', 'flora-temporal'),
      ['demo', '--json'],
      {
        cwd: consumer,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TEMPORAL_CLI_PATH: cli.path },
        maxBuffer: 1 << 24,
        timeout: 240_000,
      },
    );
    const summary = JSON.parse(stdout) as { result: { status: string }; floraRuns: number };
    assert.equal(summary.result.status, 'completed');
    assert.equal(summary.floraRuns, 7);
  });

  /** The parentClosePolicy each child was started with, from the parent's history, by child id. */
  async function childPolicies(workflowId: string): Promise<Record<string, string>> {
    const history = await temporal.client.workflow.getHandle(workflowId).fetchHistory();
    const policies: Record<string, string> = {};
    for (const event of history.events ?? []) {
      const started = event.startChildWorkflowExecutionInitiatedEventAttributes;
      if (started?.workflowId) {
        policies[started.workflowId] =
          proto.api.enums.v1.ParentClosePolicy[started.parentClosePolicy ?? 0] ?? '?';
      }
    }
    return policies;
  }

  const requestCancel = 'PARENT_CLOSE_POLICY_REQUEST_CANCEL';

  async function runOwnWorkflowConsumer(main: string, format: 'commonjs' | 'esm'): Promise<void> {
    // tsc chose the module format from the package's "type": check it compiled what this test claims.
    const compiled = await readFile(main, 'utf8');
    assert.equal(/^import .* from '@temporalio\/worker';$/m.test(compiled), format === 'esm', main);
    assert.equal(/require\("@temporalio\/worker"\)/.test(compiled), format === 'commonjs', main);
    const { stdout } = await run(process.execPath, [main], {
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
    assert.deepEqual(
      await childPolicies(result.workflowId),
      { [`${result.workflowId}/poster`]: requestCancel, [`${result.workflowId}/clips`]: requestCancel },
      'executeTechniqueRun and executePipeline start their children with REQUEST_CANCEL',
    );
  }

  test('CommonJS: its own workflow calls a technique run and a pipeline served by the same worker', async () => {
    await runOwnWorkflowConsumer(join(consumer, 'dist', 'main.js'), 'commonjs');
  });

  test('ESM (NodeNext): the same sources as ESM, its own workflow calls a technique run and a pipeline served by the same worker', async () => {
    await runOwnWorkflowConsumer(join(consumer, 'esm-package', 'dist', 'main.js'), 'esm');
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
    assert.deepEqual(await childPolicies(result.workflowId), {
      [`${result.workflowId}/still`]: requestCancel,
      [`${result.workflowId}/story`]: requestCancel,
    });
  });
});
