/**
 * Secrets, after every other row: the FLORA API key must appear nowhere — not in any workflow history
 * on the server (searched as raw protobuf bytes, where payloads are plain JSON), not in worker, server
 * or simulator output, CLI output, error messages, nor exported traces. A canary (a prompt every row
 * sent) must be found in the same places, so a search that looks nowhere cannot pass.
 */
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { figure, type ChaosContext, type RowResult } from '../context';
import { statusOf } from './common';

export async function secrets(ctx: ChaosContext): Promise<RowResult> {
  const t0 = Date.now();
  const key = ctx.apiKey;
  const canary = 'chaos ';
  // Every server still running: the shared one, and any a row started for itself (a stopped one, like
  // the PostgreSQL row's, has only its output left to search).
  const servers = [ctx.temporal, ...ctx.extraServers.filter((s) => s.running())];
  let executions = 0;
  let bytes = 0;
  let leaked = 0;
  let canaries = 0;
  const needle = Buffer.from(key, 'utf8');
  for (const server of servers) {
    const connection = await Connection.connect({ address: server.address, connectTimeout: '10s' });
    const client = new Client({ connection, namespace: 'default' });
    const listed: { workflowId: string; runId: string }[] = [];
    for await (const info of client.workflow.list())
      listed.push({ workflowId: info.workflowId, runId: info.runId });
    executions += listed.length;
    for (let i = 0; i < listed.length; i += 8) {
      await Promise.all(
        listed.slice(i, i + 8).map(async ({ workflowId, runId }) => {
          const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
          const raw = Buffer.from(temporal.api.history.v1.History.encode(history).finish());
          bytes += raw.length;
          if (raw.includes(needle)) leaked += 1;
          if (raw.includes(Buffer.from(canary))) canaries += 1;
        }),
      );
    }
    await connection.close();
  }

  const sources: [string, string][] = [
    ['worker logs', ctx.fleets.map((f) => f.output()).join('\n')],
    ['Temporal server output', [ctx.temporal, ...ctx.extraServers].map((s) => s.output()).join('\n')],
    ['simulator output', ctx.sims.map((sim) => sim.proc.output()).join('\n')],
    ['CLI output and error messages', ctx.transcripts.join('\n')],
  ];
  const found = sources.filter(([, text]) => text.includes(key)).map(([name]) => name);
  const traces = ctx.traces;
  const traceLeak = traces?.contains(key) ?? false;
  // Activity spans are named after the activity (RunActivity:flora.createRun), workflow spans after the
  // workflow (RunWorkflow:runTechnique, exported by the interceptors inside the workflow bundle): both
  // kinds must be there, or the search proves nothing about them.
  const workflowSpans = traces?.contains('RunWorkflow:runTechnique') ?? false;
  const activitySpans = traces?.contains('RunActivity:') ?? false;
  const traceCanary =
    workflowSpans && activitySpans ? 'RunWorkflow:runTechnique and RunActivity:' : undefined;
  const figures = [
    figure(
      'workflow histories containing the API key',
      `${leaked} of ${executions} (${(bytes / 2 ** 20).toFixed(1)} MiB searched; canary prompt found in ${canaries})`,
      '0 (canary found in > 0)',
      leaked === 0 && canaries > 0,
    ),
    figure(
      'logs and output containing the API key',
      found.length === 0
        ? `none of: ${sources.map(([n, t]) => `${n} (${Math.round(t.length / 1024)} KiB)`).join(', ')}`
        : found.join(', '),
      'none',
      found.length === 0 && sources[0] !== undefined && sources[0][1].length > 0,
    ),
    figure(
      'exported traces containing the API key',
      traces
        ? `${traceLeak ? 'yes' : 'no'} (${traces.exports} OTLP exports, ${Math.round(traces.bytes / 1024)} KiB; workflow spans ${workflowSpans ? 'found' : 'NOT found'}, activity spans ${activitySpans ? 'found' : 'NOT found'})`
        : 'no traces collected',
      'no (workflow and activity spans found)',
      traces !== undefined && !traceLeak && traceCanary !== undefined,
    ),
  ];
  return {
    id: 'secrets',
    title: 'Secrets',
    fault: 'none: a search for the FLORA API key after every other row',
    load: 'everything the other rows produced (no row runs a webhook receiver, so there is no webhook secret here to search for: test/webhook-receiver.test.ts checks that one)',
    status: statusOf(figures),
    figures,
    seconds: (Date.now() - t0) / 1000,
  };
}
