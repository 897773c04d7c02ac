/**
 * What a worker checks before it takes any task: search attributes registered with the wrong type and a
 * FLORA key that FLORA refuses stop it at start with one line naming the problem and the fix; FLORA
 * being unreachable only warns, so an outage never crash-loops the fleet.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { FloraClient } from '../src/flora/client';
import { ConfigError } from '../src/flora/config';
import { checkFloraKey } from '../src/worker/preflight';
import { runCli, spawnCli } from './helpers/cli';
import { startHarness, taskQueue, type Harness } from './helpers/env';
import { waitFor } from './helpers/failures';
import { closedPort, sendJson, startHttpStub } from './helpers/http-stub';

let h: Harness;
const children: ChildProcess[] = [];

before(async () => {
  h = await startHarness();
});
after(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await h?.close();
});

function workerEnv(extra: Record<string, string>): Record<string, string> {
  return {
    TEMPORAL_ADDRESS: h.env.address,
    FLORA_TASK_QUEUE: taskQueue(),
    FLORA_BASE_URL: h.sim.baseUrl,
    FLORA_API_KEY: h.sim.apiKey,
    ...extra,
  };
}

test('FloraRunId registered as Keyword: the worker refuses to start, naming the attribute, both types and the fix', async () => {
  const namespace = `wrong-types-${process.pid}`;
  await h.env.client.workflowService.registerNamespace({
    namespace,
    workflowExecutionRetentionPeriod: msToTs('1 day'),
  });
  // A namespace just registered takes a moment to be known to every service.
  await waitFor(
    'FloraRunId to be registered as Keyword',
    async () => {
      await h.env.connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: { FloraRunId: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD },
      });
      return true;
    },
    60_000,
  );
  const res = await runCli(['worker'], workerEnv({ TEMPORAL_NAMESPACE: namespace }), 120_000);
  assert.notEqual(res.code, 0, 'the worker must not start');
  const lines = res.stderr.split('\n').filter((line) => line.includes('FloraRunId'));
  assert.equal(lines.length, 1, res.stderr);
  assert.match(
    lines[0] ?? '',
    /FloraRunId is registered on namespace \S+ as Keyword, but flora-temporal writes it as KeywordList/,
  );
  assert.match(
    lines[0] ?? '',
    /temporal operator search-attribute create --namespace \S+ --name FloraRunId --type KeywordList/,
  );
  assert.doesNotMatch(res.stderr, /flora-temporal worker on/);
});

test('a key FLORA refuses (401): the worker refuses to start with one line naming FLORA_API_KEY, never the key', async () => {
  const wrongKey = 'sk_test_wrong_key_for_preflight_42';
  const res = await runCli(['worker'], workerEnv({ FLORA_API_KEY: wrongKey }), 120_000);
  assert.notEqual(res.code, 0, 'the worker must not start');
  const lines = res.stderr.split('\n').filter((line) => line.includes('FLORA_API_KEY'));
  assert.equal(lines.length, 1, res.stderr);
  assert.match(lines[0] ?? '', /FLORA rejected FLORA_API_KEY \(HTTP 401 invalid_api_key/);
  assert.ok(!res.stderr.includes(wrongKey) && !res.stdout.includes(wrongKey), 'the key is never printed');
  assert.doesNotMatch(res.stderr, /flora-temporal worker on/);
});

test('FLORA unreachable at start: the worker warns once and starts anyway; SIGTERM stops it cleanly', async () => {
  const port = await closedPort();
  const child = spawnCli(['worker'], workerEnv({ FLORA_BASE_URL: `http://127.0.0.1:${port}/api/v1` }));
  children.push(child);
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = once(child, 'exit');
  await waitFor(
    'the worker to start',
    () => Promise.resolve(/flora-temporal worker on/.test(output) ? true : undefined),
    120_000,
  );
  assert.equal(output.match(/Could not check FLORA_API_KEY against FLORA/g)?.length, 1, output);
  child.kill('SIGTERM');
  const [code] = (await exited) as [number | null];
  assert.equal(code, 0, output);
});

test('checkFloraKey: 401 and 403 refuse, a 503 only warns', async () => {
  const warnings: string[] = [];
  const log = { warn: (line: string) => warnings.push(line) };
  const wrong = new FloraClient({ baseUrl: h.sim.baseUrl, apiKey: 'sk_test_nope_1234' });
  const forbidden = await startHttpStub((_req, res) =>
    sendJson(res, 403, { error: { code: 'forbidden', message: 'no access' } }),
  );
  const denied = new FloraClient({ baseUrl: forbidden.baseUrl, apiKey: h.sim.apiKey });
  try {
    await assert.rejects(checkFloraKey(wrong, log), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /FLORA_API_KEY \(HTTP 401 invalid_api_key/);
      assert.ok(!err.message.includes('sk_test_nope_1234'));
      return true;
    });
    await assert.rejects(checkFloraKey(denied, log), /FLORA rejected FLORA_API_KEY \(HTTP 403 forbidden/);
    assert.deepEqual(warnings, []);
    h.sim.addFault('listTechniques', { kind: 'status5xx', status: 503 });
    await checkFloraKey(h.flora, log);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /Could not check FLORA_API_KEY.*HTTP 503/);
    await checkFloraKey(h.flora, log);
    assert.equal(warnings.length, 1, 'a healthy FLORA and a good key: silent');
  } finally {
    await wrong.close();
    await denied.close();
    await forbidden.close();
  }
});

test('a worker start is quiet: a few lines, no webpack statistics (it bundles here: tsx, no prebuilt bundle)', async () => {
  const child = spawnCli(['worker'], workerEnv({}));
  children.push(child);
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = once(child, 'exit');
  await waitFor(
    'the worker to start',
    () => Promise.resolve(/flora-temporal worker on/.test(output) ? true : undefined),
    120_000,
  );
  child.kill('SIGTERM');
  const [code] = (await exited) as [number | null];
  assert.equal(code, 0, output);
  const lines = output.split('\n').filter((line) => line.trim() !== '');
  // Our start line, the SDK's state changes (one line each) through RUNNING and, on SIGTERM, down to
  // STOPPED, and "worker stopped": nine lines today, where webpack's statistics alone took a hundred.
  assert.ok(lines.length <= 10, `${lines.length} lines:\n${output}`);
  assert.ok(
    lines.every((line) =>
      /^(\d{4}-\d\d-\d\dT\S+ \[[A-Z]+\] |flora-temporal worker on|SIGTERM|worker stopped)/.test(line),
    ),
    `one line per record:\n${output}`,
  );
  assert.doesNotMatch(output, /webpack|orphan modules|asset workflow-bundle/i);
});
