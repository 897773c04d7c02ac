/**
 * docker-compose.yml and the Dockerfile, read as data (no Docker engine runs here; `docker compose
 * config` is run by hand, see the issue notes).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { MAX_FLORA_HTTP_TIMEOUT_MS } from '../src/flora/config';
import { shutdownGraceMs } from '../src/worker/worker';

const root = join(__dirname, '..');

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  profiles?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  stop_grace_period?: string;
}

test('docker-compose.yml: Temporal on PostgreSQL, the UI, the worker, and the simulator as a profile', async () => {
  const compose = parse(await readFile(join(root, 'docker-compose.yml'), 'utf8')) as {
    services: Record<string, Service>;
  };
  const { postgresql, temporal, worker, simulator } = compose.services;
  assert.match(postgresql?.image ?? '', /^postgres:/);
  assert.match(temporal?.image ?? '', /^temporalio\/auto-setup:/);
  assert.equal(temporal?.environment?.DB, 'postgres12');
  assert.match(compose.services['temporal-ui']?.image ?? '', /^temporalio\/ui:/);
  assert.ok(worker?.build, 'the worker is built from the Dockerfile');
  assert.deepEqual(worker?.command, ['worker']);
  assert.equal(worker?.environment?.TEMPORAL_ADDRESS, 'temporal:7233');
  assert.equal(
    worker?.environment?.FLORA_API_KEY,
    '${FLORA_API_KEY:-}',
    'the key comes from the environment, never the file',
  );
  assert.equal(worker?.depends_on?.temporal?.condition, 'service_healthy');
  // A stopping worker lets a create in flight finish (its grace time outlasts the HTTP timeout); the
  // container must not be killed before that.
  const grace = /^(\d+)s$/.exec(worker?.stop_grace_period ?? '');
  assert.ok(grace?.[1], `the worker's stop_grace_period is in seconds, got ${worker?.stop_grace_period}`);
  assert.ok(Number(grace[1]) * 1000 > shutdownGraceMs(MAX_FLORA_HTTP_TIMEOUT_MS));
  assert.deepEqual(simulator?.profiles, ['simulator']);
  assert.equal(simulator?.command?.[0], 'simulator');
});

test('Dockerfile installs the packed package and runs its compiled CLI, without tsx or dev dependencies', async () => {
  const dockerfile = await readFile(join(root, 'Dockerfile'), 'utf8');
  assert.match(dockerfile, /npm pack/, 'the image installs the tarball a user would install');
  assert.match(dockerfile, /npm install --omit=dev/);
  assert.match(dockerfile, /ENTRYPOINT \["node", "node_modules\/flora-temporal\/bin\/flora-temporal\.js"\]/);
  assert.doesNotMatch(dockerfile, /\btsx\b/);
  const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  assert.equal(pkg.dependencies.tsx, undefined, 'tsx is for tests and scripts only');
  assert.ok(pkg.devDependencies.tsx);
});
