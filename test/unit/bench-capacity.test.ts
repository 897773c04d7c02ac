/**
 * The capacity summary's derivations (pure, no servers): the largest N meeting the scale target on the
 * fixed-length ladder, what runs out first, and the sparse-fallback rule for flora-webhook. The ladder
 * itself runs in the bench smoke test.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { meetsTarget } from '../../bench/capacity';
import { capacitySummary } from '../../bench/report';
import type { Row } from '../../bench/scenarios';
import type { Figures } from '../../bench/summarize';

function figures(over: Partial<Figures> & Pick<Figures, 'system' | 'n'>): Figures {
  return {
    completed: over.n,
    maxCreatesPerKey: 1,
    requestsPerRun: 13,
    floorPerRun: 13,
    gapP50: 4_500,
    gapP95: 5_200,
    gapMax: 6_000,
    gapMean: 4_600,
    latencyP50: 1_000,
    latencyP95: 2_000,
    latencyMax: 3_000,
    afterStarts: { runs: over.n, latencyP50: 1_000, latencyP95: 2_000, latencyMax: 3_000 },
    steady: undefined,
    eventsPerRun: 90,
    eventsPerPoll: 7,
    marginalEventsPerPoll: 6,
    fixedEvents: 20,
    workflowTasksPerPoll: 1.2,
    marginalWorkflowTasksPerPoll: 1,
    actionsPerRun: 30,
    workerCpuPer1kPolls: 14,
    serverCpuPer1kPolls: 15,
    pollsPerSecond: 20,
    workerRssMb: 800,
    serverRssMb: 300,
    wallS: 90,
    timedOut: false,
    ...over,
  };
}

const row = (f: Figures): Row => ({ ...f, gapP95Range: [f.gapP95, f.gapP95], latencyP95Range: [0, 0] });
const box = { cores: 2, memMb: 24_000 };
const line = (table: string, system: string) =>
  table.split('\n').find((l) => l.startsWith(`| ${system} |`)) ?? `no row for ${system}`;

test('capacity: the largest N meeting the target, and the CPU named at the first N that missed it', () => {
  const ladder = [
    figures({ system: 'flora', n: 300 }),
    // 60 polls/s at 30 ms each: 1.8 of 2 cores busy, gap p95 over 5.5 s.
    figures({
      system: 'flora',
      n: 600,
      gapP95: 8_400,
      pollsPerSecond: 60,
      workerCpuPer1kPolls: 12,
      serverCpuPer1kPolls: 18,
    }),
    figures({ system: 'flora', n: 1_000, gapP95: 20_000, completed: 990, timedOut: true }),
    figures({ system: 'flora-activity', n: 300, gapP95: 6_800 }),
  ];
  const table = capacitySummary(ladder, [], box, 60);
  assert.match(
    line(table, 'flora'),
    /^\| flora \| 300 \| CPU at N = 600: worker 0\.72 \+ server 1\.08 of 2 cores \(server the larger\) \|/,
  );
  assert.match(line(table, 'flora-activity'), /^\| flora-activity \| < 300 \| none saturated at N = 300/);
});

test('capacity: a duplicate create or an unfinished run misses the target whatever the gaps', () => {
  assert.ok(meetsTarget(figures({ system: 'flora', n: 300 })));
  assert.ok(!meetsTarget(figures({ system: 'flora', n: 300, maxCreatesPerKey: 2 })));
  assert.ok(!meetsTarget(figures({ system: 'flora', n: 300, completed: 299 })));
  assert.ok(!meetsTarget(figures({ system: 'flora', n: 300, gapP95: 5_501 })));
});

test('capacity: flora-webhook (sparse fallback polls) is judged on seen-after-done p95, marked †', () => {
  const sparse = figures({ system: 'flora-webhook', n: 600, gapP95: 30_000, latencyP95: 1_500 });
  assert.ok(meetsTarget(sparse));
  assert.ok(!meetsTarget({ ...sparse, latencyP95: 6_000 }));
  const table = capacitySummary([], [row(figures({ system: 'flora', n: 600 })), row(sparse)], box, 60);
  assert.match(line(table, 'flora-webhook'), /^\| flora-webhook \| - \| - \| 600 † \|/);
  assert.match(table, /^† polls only as a sparse fallback/m);
});
