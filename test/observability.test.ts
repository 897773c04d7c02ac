/**
 * The worker process as an operator runs it: Prometheus metrics (the SDK's and ours), OpenTelemetry
 * traces over OTLP/HTTP, structured logs of every FLORA call, and a namespace without our search
 * attributes (one warning, runs still work).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { Client } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { FloraWorkflows } from '../src/client';
import { spawnCli } from './helpers/cli';
import { FAST, startHarness, taskQueue, type Harness } from './helpers/env';
import { waitFor } from './helpers/failures';

let h: Harness;
let otlp: Server;
const spans: string[] = [];
const children: ChildProcess[] = [];

before(async () => {
  h = await startHarness({ runDurationMs: 300 });
  otlp = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('latin1')));
    req.on('end', () => {
      if (req.url === '/v1/traces') spans.push(body);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  otlp.listen(0, '127.0.0.1');
  await once(otlp, 'listening');
});
after(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  otlp?.close();
  await h?.close();
});

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/** A run's result, or a failure with the worker's output as soon as the worker exits: never a silent hang. */
async function resultWhileAlive<T>(
  result: Promise<T>,
  child: ChildProcess,
  output: () => string,
): Promise<T> {
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`the worker exited (${String(code)}) before the run ended:\n${output()}`);
  });
  return Promise.race([result, exited]);
}

function startWorkerProcess(extra: Record<string, string>): { child: ChildProcess; output: () => string } {
  const child = spawnCli(['worker'], {
    TEMPORAL_ADDRESS: h.env.address,
    FLORA_BASE_URL: h.sim.baseUrl,
    FLORA_API_KEY: h.sim.apiKey,
    ...extra,
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  return { child, output: () => output };
}

test('metrics, traces and FLORA request logs from a worker process; clean SIGTERM', async () => {
  const queue = taskQueue();
  const metricsPort = await freePort();
  const otlpPort = (otlp.address() as AddressInfo).port;
  const worker = startWorkerProcess({
    FLORA_TASK_QUEUE: queue,
    FLORA_METRICS_PORT: String(metricsPort),
    FLORA_METRICS_HOST: '127.0.0.1',
    FLORA_LOG_LEVEL: 'DEBUG',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${otlpPort}`,
  });
  const flora = new FloraWorkflows(h.env.client, { taskQueue: queue, allowFastPolling: true });
  const run = await flora.startRun({ technique: 'text-to-image', inputs: { prompt: 'fox' }, options: FAST });
  // A traced worker bundles its workflows itself (the OpenTelemetry plugin), with flora's preloads.
  const result = await resultWhileAlive(run.result(), worker.child, worker.output);
  assert.equal(result.status, 'completed', worker.output());

  const metrics = await waitFor('our counters on /metrics', async () => {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    return /flora_runs\b.*outcome="completed"/.test(text) ? text : undefined;
  });
  assert.match(
    metrics,
    /flora_requests\{[^}]*route="POST \/techniques\/\{slug\}\/runs"[^}]*status="200"[^}]*\} 1/,
  );
  assert.match(metrics, /flora_requests\{[^}]*route="GET \/techniques\/\{id\}\/runs\/\{run_id\}"/);
  assert.match(metrics, /flora_charged_micro_usd\{[^}]*technique="text-to-image"[^}]*\} 40000/);
  assert.match(metrics, /workflow_completed/, 'the SDK runtime’s own metrics are served too');

  const traces = await waitFor('workflow and activity spans exported over OTLP', () => {
    const all = spans.join('\n');
    const done = all.includes('RunWorkflow:runTechnique') && /RunActivity:(flora\.)?createRun/.test(all);
    return Promise.resolve(done ? all : undefined);
  });
  assert.ok(!traces.includes(h.sim.apiKey), 'the API key is in no span');

  assert.match(worker.output(), /FLORA request.*POST \/techniques\/\{slug\}\/runs.*req_/s);
  assert.ok(!worker.output().includes(h.sim.apiKey), 'the API key is never logged');
  assert.doesNotMatch(worker.output(), /not registered on namespace/);

  worker.child.kill('SIGTERM');
  const [code] = (await once(worker.child, 'exit')) as [number | null];
  assert.equal(code, 0, worker.output());
});

test('a namespace without our search attributes: one warning, runs still complete', async () => {
  await h.env.client.workflowService.registerNamespace({
    namespace: 'no-attributes',
    workflowExecutionRetentionPeriod: msToTs('1 day'),
  });
  const queue = taskQueue();
  const worker = startWorkerProcess({ FLORA_TASK_QUEUE: queue, TEMPORAL_NAMESPACE: 'no-attributes' });
  await waitFor(
    'the worker to start',
    () => Promise.resolve(/flora-temporal worker on/.test(worker.output()) ? true : undefined),
    // It bundles the workflows (tsx, no prebuilt bundle): a minute and more on a loaded machine.
    180_000,
  );
  const warnings = worker.output().match(/not registered on namespace no-attributes/g) ?? [];
  assert.equal(warnings.length, 1, worker.output());
  assert.match(worker.output(), /temporal operator search-attribute create --namespace no-attributes/);

  const client = new Client({ connection: h.env.connection, namespace: 'no-attributes' });
  const flora = new FloraWorkflows(client, { taskQueue: queue, allowFastPolling: true });
  const run = await flora.startRun({ technique: 'text-to-speech', inputs: { text: 'hi' }, options: FAST });
  const result = await resultWhileAlive(run.result(), worker.child, worker.output);
  assert.equal(result.status, 'completed');
  worker.child.kill('SIGTERM');
  await once(worker.child, 'exit');
});
