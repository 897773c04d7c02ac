/** The tables: printed to stdout and written to bench/RESULTS.md, in Markdown either way. */
import type { KillResult, LongResult, Row } from './scenarios';
import { fmt, s } from './stats';
import { SYSTEM_LABELS, SYSTEMS } from './systems';

const GAP_TARGET_MS = 5_500;
/**
 * Systems whose polls are a sparse fallback by design (a callback ends the run; fallback polls come about
 * `fallbackPollMaxMs`, 30 s, apart): a gap target says nothing of them, their capacity is judged on
 * seen-after-done p95 instead.
 */
const SPARSE_GAP_SYSTEMS: ReadonlySet<string> = new Set(['flora-webhook']);

export function matrixTable(rows: Row[]): string {
  const head =
    '| N | system | done | creates/key | requests/run (floor) | ×floor | gap p50 / p95 / max s | seen-after-done p50 / p95 / max s | events/run | events/poll (per extra poll) | WF tasks/poll (per extra poll) | actions/run | worker CPU s/1k polls | server CPU s/1k polls | polls/s | worker / server peak RSS MB | wall s |';
  const sep = `|${head
    .split('|')
    .slice(1, -1)
    .map(() => '---')
    .join('|')}|`;
  const lines = rows.map((r) =>
    [
      r.n,
      r.system,
      `${r.completed}/${r.n}${r.timedOut ? ' (timed out)' : ''}`,
      r.maxCreatesPerKey,
      `${fmt(r.requestsPerRun)} (${fmt(r.floorPerRun)})`,
      fmt(r.requestsPerRun / r.floorPerRun, 2),
      `${s(r.gapP50)} / ${s(r.gapP95)} / ${s(r.gapMax)}`,
      `${s(r.latencyP50)} / ${s(r.latencyP95)} / ${s(r.latencyMax)}`,
      fmt(r.eventsPerRun, 0),
      `${fmt(r.eventsPerPoll, 1)} (${fmt(r.marginalEventsPerPoll, 1)})`,
      `${fmt(r.workflowTasksPerPoll, 2)} (${fmt(r.marginalWorkflowTasksPerPoll, 2)})`,
      fmt(r.actionsPerRun, 0),
      fmt(r.workerCpuPer1kPolls, 1),
      fmt(r.serverCpuPer1kPolls, 1),
      fmt(r.pollsPerSecond, 1),
      `${fmt(r.workerRssMb, 0)} / ${fmt(r.serverRssMb, 0)}`,
      fmt(r.wallS, 0),
    ].join(' | '),
  );
  return [head, sep, ...lines.map((l) => `| ${l} |`)].join('\n');
}

/** Per system: the largest N whose runs all completed, one create each, gap p95 ≤ 5.5 s. */
export function capacityTable(rows: Row[]): string {
  const lines = SYSTEMS.filter((system) => rows.some((r) => r.system === system)).map((system) => {
    const mine = rows.filter((r) => r.system === system).sort((a, b) => a.n - b.n);
    const sparse = SPARSE_GAP_SYSTEMS.has(system);
    const ok = mine.filter(
      (r) =>
        r.completed === r.n && r.maxCreatesPerKey <= 1 && (sparse ? r.latencyP95 : r.gapP95) <= GAP_TARGET_MS,
    );
    const best = ok[ok.length - 1];
    const flora = rows.filter((r) => r.system === 'flora');
    const cpu = (list: Row[]) =>
      list.length === 0
        ? Number.NaN
        : list.reduce((a, r) => a + r.workerCpuPer1kPolls + r.serverCpuPer1kPolls, 0) / list.length;
    const largest = `${best ? best.n : `< ${mine[0]?.n ?? '-'}`}${sparse ? ' †' : ''}`;
    return `| ${system} | ${largest} | ${fmt(cpu(mine), 1)} | ${fmt(cpu(mine) / cpu(flora), 2)} |`;
  });
  const footnote = lines.some((l) => l.includes(' † |'))
    ? [
        '',
        '† polls only as a sparse fallback (about 30 s apart, `fallbackPollMaxMs`): gaps are long by design, so this row uses seen-after-done p95 ≤ 5.5 s instead of gap p95.',
      ]
    : [];
  return [
    '| system | largest N with gap p95 ≤ 5.5 s (all done, 1 create each) | worker + server CPU s per 1k polls (mean over loads) | CPU per poll ÷ flora |',
    '|---|---|---|---|',
    ...lines,
    ...footnote,
  ].join('\n');
}

export function killTable(results: KillResult[]): string {
  if (results.length === 0) return '_not run_';
  return [
    '| system | runs (in flight at the kill) | new worker ready after s | SIGKILL → next poll p50 / max s | completed | creates/key |',
    '|---|---|---|---|---|---|',
    ...results.map(
      (k) =>
        `| ${k.system} | ${k.runs} (${k.inFlight}) | ${s(k.restartMs)} | ${s(k.p50)} / ${s(k.max)} | ${k.completed}/${k.runs} | ${k.maxCreatesPerKey} |`,
    ),
  ].join('\n');
}

export function longTable(results: LongResult[]): string {
  if (results.length === 0) return '_not run_';
  return [
    '| system | time ÷ | polls made (a real 6 h run: ~) | history events (executions) | projected events for a real 6 h run (executions at 2,000 each) | actions in the last execution | completed |',
    '|---|---|---|---|---|---|---|',
    ...results.map(
      (l) =>
        `| ${l.system} | ${l.compression} | ${l.polls} (~${Math.round(l.realPolls)}) | ${l.events} (${l.executions}) | ${l.projectedEvents} (${Math.max(1, Math.ceil(l.projectedEvents / 2_000))}) | ${fmt(l.actions, 0)} | ${l.completed ? 'yes' : 'no'} |`,
    ),
  ].join('\n');
}

/** `tuning`: the name and settings flora-tuned ran with. */
export function legend(tuning: string): string {
  return SYSTEMS.map(
    (sys) => `- **${sys}**: ${SYSTEM_LABELS[sys]}${sys === 'flora-tuned' ? `: ${tuning}` : ''}`,
  ).join('\n');
}
