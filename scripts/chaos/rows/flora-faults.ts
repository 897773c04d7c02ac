/**
 * FLORA faults from the simulator, one kind at a time under a few runs: transient ones must be
 * survived with one create per key, permanent ones must fail fast with the right type, and every
 * `retry-after` must be honoured (the simulator's request log gives the real gap between a 429 and
 * the next request about the same thing).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FaultSpec, SimRoute } from '../../../src/simulator';
import { figure, fmtMs, type ChaosContext, type Figure, type RowResult } from '../context';
import { moneyFigures } from '../figures';
import { Workload, type Outcome } from '../workload';
import { statusOf } from './common';

interface Case {
  name: string;
  faults: [SimRoute | '*', FaultSpec][];
  /** undefined: transient, every run completes; else the failure type every run must end with. */
  expectType?: string;
  technique?: string;
  queueFailure?: string;
}

/** A stand-in for "another host": counts every request, so a followed foreign poll_url shows up. */
async function foreignHost(): Promise<{ server: Server; origin: string; hits: () => number }> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits += 1;
    res.writeHead(500).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits: () => hits };
}

/** The row's worker, started ahead (smoke lanes). */
export function prestartFloraFaults(ctx: ChaosContext): void {
  ctx.prestart('faults', 1);
}

export async function floraFaults(ctx: ChaosContext): Promise<RowResult> {
  const t0 = Date.now();
  const smoke = ctx.options.smoke;
  const rng = ctx.rng.fork('flora-faults');
  const foreign = await foreignHost();
  // 0 s stays in the smoke version: it used to fail the run (a 0 ms retry delay); now it waits 1 s.
  const retryAfters = smoke ? [0, 1] : [0, 1, 2, 5, 30, 120];
  const storm: [SimRoute, FaultSpec][] = [];
  // Creates and polls only: their subjects (idempotency key, run id) belong to one workflow, so the
  // next request about the same subject is that workflow's retry. A technique read is shared by all.
  for (const route of ['createRunNested', 'getRun', 'createRunNested'] as const) {
    storm.push([route, { kind: 'rateLimit', retryAfterSeconds: rng.pick(retryAfters), count: 1 }]);
  }
  storm.push(['getRun', { kind: 'rateLimit', retryAfterSeconds: retryAfters.at(-1) ?? 1, count: 1 }]);
  const allCases: Case[] = [
    {
      name: '5xx burst',
      faults: [
        ['*', { kind: 'status5xx', count: smoke ? 2 : 6 }],
        ['*', { kind: 'status5xx', status: 500, count: smoke ? 1 : 3 }],
      ],
    },
    { name: `429 storm (retry-after ${retryAfters.join(', ')} s)`, faults: storm },
    {
      name: 'latency past the HTTP timeout (3 s)',
      faults: [
        ['createRunNested', { kind: 'latency', latencyMs: 4_000, count: 1 }],
        ['createRunNested', { kind: 'slowResponse', latencyMs: 4_000, count: 1 }],
        ['getRun', { kind: 'slowResponse', latencyMs: 4_000, count: 1 }],
      ],
    },
    { name: 'connection resets', faults: [['*', { kind: 'reset', count: 4 }]] },
    {
      name: 'malformed JSON',
      faults: [
        ['createRunNested', { kind: 'malformedJson', count: 1 }],
        ['getRun', { kind: 'malformedJson', count: 2 }],
      ],
    },
    {
      name: 'a response missing a required field',
      faults: [
        ['createRunNested', { kind: 'missingField', count: 1 }],
        ['getRun', { kind: 'missingField', count: 2 }],
      ],
    },
    {
      name: 'poll_url on another host',
      faults: [
        ['createRunNested', { kind: 'foreignPollUrl', foreignOrigin: foreign.origin, count: 2 }],
        ['getRun', { kind: 'foreignPollUrl', foreignOrigin: foreign.origin, count: 4 }],
      ],
    },
    {
      name: 'run fails: safety_blocked (permanent)',
      faults: [],
      queueFailure: 'safety_blocked',
      expectType: 'safety_blocked',
    },
    {
      name: 'unknown technique: 404 (permanent)',
      faults: [],
      technique: 'no-such-technique',
      expectType: 'not_found',
    },
  ];

  // The smoke version keeps one fault of each family: 5xx, 429, garbled body, permanent failure; with a
  // planted bug, only the garbled body (a create retried after it shows a key per attempt).
  const cases = !smoke
    ? allCases
    : ctx.options.plantBug
      ? allCases.filter((c) => c.name === 'malformed JSON')
      : allCases.filter((_, i) => [0, 1, 4, 7].includes(i));
  await ctx.sim.reset();
  await ctx.sim.setRunDuration(1_500);
  const fleet = await ctx.startedFleet('faults', 1);
  await ctx.timed('flora-faults: worker ready', () => Promise.all(fleet.all.map((w) => w.ready)));
  const figures: Figure[] = [];
  const perRun = smoke ? 1 : 2;
  let caseNo = 0;
  for (const c of cases) {
    caseNo += 1;
    await ctx.sim.clearFaults();
    for (const [route, fault] of c.faults) await ctx.sim.addFault(route, fault);
    if (c.queueFailure)
      for (let i = 0; i < perRun; i++) await ctx.sim.queueRunFailure('text-to-image', c.queueFailure);
    const before = (await ctx.sim.activity()).runs.length;
    const { load, close } = await Workload.connect(
      ctx.temporal.address,
      fleet.config.taskQueue,
      `faults${ctx.options.seed}c${caseNo}`,
    );
    for (let i = 0; i < perRun; i++) {
      const options = { pollMinMs: 300, pollMaxMs: 600, maxRunAttempts: 1, deadline: '30m' };
      if (c.technique) {
        const run = await load.flora.startRun(
          { technique: c.technique, inputs: { prompt: `chaos fault case ${caseNo} ${i}` }, options },
          { workflowId: `chaos-faults${ctx.options.seed}-c${caseNo}-${i}` },
        );
        load.started.push({ kind: 'run', workflowId: run.workflowId, handle: run });
      } else {
        await load.startRun(i, options);
      }
    }
    const outcomes: Outcome[] = await ctx.timed(`flora-faults: case ${c.name} settled`, () =>
      load.settle(smoke ? 120_000 : 400_000),
    );
    await close();
    const created = (await ctx.sim.activity()).runs.slice(before);
    const money = moneyFigures(created);
    const slowest = Math.max(...outcomes.map((o) => o.ms));
    if (c.expectType === undefined) {
      const ok =
        outcomes.every((o) => o.status === 'completed') &&
        money.maxCreatesPerKey <= 1 &&
        money.logicalRunsOverCreated.length === 0;
      figures.push(
        figure(
          `${c.name}: survived`,
          `${outcomes.filter((o) => o.status === 'completed').length}/${outcomes.length} completed, ${money.creates} creates for ${money.logicalRuns} runs (max ${money.maxCreatesPerKey} per key), slowest ${fmtMs(slowest)}` +
            (outcomes.some((o) => o.status !== 'completed')
              ? `; ${outcomes.map((o) => `${o.failureType ?? o.status}${o.message ? ` (${o.message.slice(0, 300)})` : ''}`).join(', ')}`
              : ''),
          'all complete, 1 create per run',
          ok,
        ),
      );
    } else {
      const types = outcomes.map((o) => o.failureType ?? o.status);
      const ok =
        outcomes.every((o) => o.status === 'failed' && o.failureType === c.expectType) &&
        money.creates <= perRun &&
        slowest < 30_000;
      figures.push(
        figure(
          `${c.name}: failed fast`,
          `${types.join(', ')} in ${fmtMs(slowest)}; ${money.creates} creates`,
          `type ${c.expectType}, < 30 s, no extra create`,
          ok,
        ),
      );
    }
  }
  await ctx.sim.clearFaults();
  figures.push(
    figure('requests that reached the foreign poll_url host', foreign.hits(), '0', foreign.hits() === 0),
  );

  // retry-after: the gap between each 429 and the next request about the same subject.
  const log = await ctx.sim.requests();
  let honoured = 0;
  let worst: { gapMs: number; header: number } | undefined;
  const broken: string[] = [];
  for (const [i, e] of log.entries()) {
    if (e.outcome !== 429 || e.retryAfterS === undefined || e.subject === undefined) continue;
    const next = log.slice(i + 1).find((n) => n.route === e.route && n.subject === e.subject);
    if (!next) continue;
    const gapMs = next.atMs - e.atMs;
    if (gapMs >= e.retryAfterS * 1000) honoured += 1;
    else broken.push(`${e.route} retry-after ${e.retryAfterS} s, next after ${gapMs} ms`);
    if (!worst || gapMs - e.retryAfterS * 1000 < worst.gapMs - worst.header * 1000)
      worst = { gapMs, header: e.retryAfterS };
  }
  figures.push(
    figure(
      'retry-after honoured (measured gap >= header)',
      `${honoured} of ${honoured + broken.length}` +
        (worst ? `; tightest: ${worst.header} s header, next request after ${fmtMs(worst.gapMs)}` : '') +
        (broken.length ? `; broken: ${broken.slice(0, 3).join('; ')}` : ''),
      'every one',
      // Judged whenever a 429 storm ran (then at least one must have been measured).
      cases.some((c) => c.faults.some(([, f]) => f.kind === 'rateLimit'))
        ? broken.length === 0 && honoured > 0
        : undefined,
    ),
  );
  figures.push(
    figure('worker exits not caused by the harness', fleet.unexpectedExits, '0', fleet.unexpectedExits === 0),
  );
  await ctx.timed('flora-faults: workers stopped', () => fleet.stopAll());
  await new Promise<void>((resolve) => foreign.server.close(() => resolve()));
  return {
    id: 'flora-faults',
    title: 'FLORA faults',
    fault:
      '5xx bursts, 429 storms, latency past the HTTP timeout, resets, malformed JSON, a missing field, a foreign poll_url; permanent run failure and 404',
    load: `${perRun} runs per fault kind, 1 worker, FLORA_HTTP_TIMEOUT_MS=3000`,
    status: statusOf(figures),
    figures,
    seconds: (Date.now() - t0) / 1000,
  };
}
