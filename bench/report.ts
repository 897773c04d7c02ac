/** The tables: printed to stdout and written to bench/RESULTS.md, in Markdown either way. */
import { meetsTarget, POLL_CEILING_MS, SPARSE_GAP_SYSTEMS } from './capacity';
import type { KillResult, LongResult, Row } from './scenarios';
import type { SystemName } from './worker-protocol';
import type { Figures } from './summarize';
import { fmt, s } from './stats';
import { SYSTEM_LABELS, SYSTEMS } from './systems';

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
      `${fmt(r.requestsPerRun, 2)} (${fmt(r.floorPerRun, 2)})`,
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

const table = (head: string, lines: string[]): string =>
  [
    head,
    `|${head
      .split('|')
      .slice(1, -1)
      .map(() => '---')
      .join('|')}|`,
    ...lines.map((l) => `| ${l} |`),
  ].join('\n');

/** CPU cores a process kept busy over the batch, from its CPU ms per poll and the polls per second. */
const cores = (msPerPoll: number, f: Figures): number => (msPerPoll / 1000) * f.pollsPerSecond;

/** The capacity ladder's rows: runs of one fixed length (`runS`), every figure from that workload. */
export function capacityTable(rows: Figures[], runS: number): string {
  if (rows.length === 0) return '_not run_';
  return table(
    `| N × ${runS} s | system | done | creates/key | gap p50 / p95 / max s | seen-after-done p95 s | worker + server CPU ms/poll (sum) | polls/s delivered (N ÷ mean gap) / needed (N ÷ 5 s) | worker / server CPU cores | steady state (last create → first end): s, gap p95 s, polls/s, worker + server cores | worker / server peak RSS MB | wall s |`,
    rows.map((r) =>
      [
        r.n,
        r.system,
        `${r.completed}/${r.n}${r.timedOut ? ' (timed out)' : ''}`,
        r.maxCreatesPerKey,
        `${s(r.gapP50)} / ${s(r.gapP95)} / ${s(r.gapMax)}`,
        s(r.latencyP95),
        `${fmt(r.workerCpuPer1kPolls, 1)} + ${fmt(r.serverCpuPer1kPolls, 1)} (${fmt(r.workerCpuPer1kPolls + r.serverCpuPer1kPolls, 1)})`,
        `${fmt(r.n / (r.gapMean / 1000), 1)} / ${fmt(r.n / (POLL_CEILING_MS / 1000), 1)}`,
        `${fmt(cores(r.workerCpuPer1kPolls, r), 2)} / ${fmt(cores(r.serverCpuPer1kPolls, r), 2)}`,
        r.steady
          ? `${fmt(r.steady.spanMs / 1000, 0)}, ${s(r.steady.gapP95)}, ${fmt(r.steady.pollsPerSecond, 1)}, ` +
            `${fmt(r.steady.workerCores, 2)} + ${fmt(r.steady.serverCores, 2)}`
          : '-',
        `${fmt(r.workerRssMb, 0)} / ${fmt(r.serverRssMb, 0)}`,
        fmt(r.wallS, 0),
      ].join(' | '),
    ),
  );
}

/**
 * What runs out first at the smallest N that missed the target (or the largest measured, if none did): the
 * CPU when the worker and the server kept the box's cores busy, memory when the worker came near the box's.
 */
function firstShortage(rows: Figures[], machine: { cores: number; memMb: number }): string {
  const at = rows.find((r) => !meetsTarget(r)) ?? rows[rows.length - 1];
  if (!at) return '-';
  // The steady state's cores when there is one: averaged over the whole batch, the ramp and the tail
  // hide how busy the box was while every run was polling.
  const w = at.steady?.workerCores ?? cores(at.workerCpuPer1kPolls, at);
  const sv = at.steady?.serverCores ?? cores(at.serverCpuPer1kPolls, at);
  const busy = `worker ${fmt(w, 2)} + server ${fmt(sv, 2)} of ${machine.cores} cores${at.steady ? ' in the steady state' : ''}`;
  if (at.workerRssMb >= 0.8 * machine.memMb)
    return `memory at N = ${at.n} (worker ${fmt(at.workerRssMb, 0)} MB)`;
  if (w + sv >= 0.8 * machine.cores)
    return `CPU at N = ${at.n}: ${busy} (${w >= sv ? 'worker' : 'server'} the larger)`;
  return `none saturated at N = ${at.n}: ${busy}`;
}

/**
 * Per system: the largest N on the capacity ladder (fixed-length runs) meeting the target, what runs out
 * first; and, from the mixed workload's matrix, the largest N meeting the same target and the CPU per poll.
 */
export function capacitySummary(
  capacity: Figures[],
  matrix: Row[],
  machine: { cores: number; memMb: number },
  runS: number,
): string {
  const cpu = (list: Row[]) =>
    list.length === 0
      ? Number.NaN
      : list.reduce((a, r) => a + r.workerCpuPer1kPolls + r.serverCpuPer1kPolls, 0) / list.length;
  const flora = matrix.filter((r) => r.system === 'flora');
  const largest = (list: Figures[]) => {
    const sorted = [...list].sort((a, b) => a.n - b.n);
    const ok = sorted.filter(meetsTarget);
    const best = ok[ok.length - 1];
    const mark = sorted.length > 0 && SPARSE_GAP_SYSTEMS.has(sorted[0]?.system ?? '') ? ' †' : '';
    return sorted.length === 0 ? '-' : `${best ? String(best.n) : `< ${sorted[0]?.n ?? '-'}`}${mark}`;
  };
  const shown = SYSTEMS.filter(
    (sys) => capacity.some((r) => r.system === sys) || matrix.some((r) => r.system === sys),
  );
  const summary = table(
    `| system | ${runS} s runs: largest N all done, 1 create each, gap p95 ≤ 5.5 s | ${runS} s runs: resource that runs out first | mixed workload: largest N, same target | mixed workload: worker + server CPU ms/poll (mean over loads) | mixed: CPU per poll ÷ flora |`,
    shown.map((system) => {
      const cap = capacity.filter((r) => r.system === system).sort((a, b) => a.n - b.n);
      const mine = matrix.filter((r) => r.system === system);
      return [
        system,
        largest(cap),
        cap.length === 0 ? '-' : firstShortage(cap, machine),
        largest(mine),
        fmt(cpu(mine), 1),
        fmt(cpu(mine) / cpu(flora), 2),
      ].join(' | ');
    }),
  );
  return summary.includes(' † |')
    ? `${summary}\n\n† polls only as a sparse fallback (about 30 s apart, \`fallbackPollMaxMs\`): gaps are long by design, so this row uses seen-after-done p95 ≤ 5.5 s instead of gap p95.`
    : summary;
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

/**
 * Seen-after-done of the runs that ended after their batch's last create, beside all runs': how much of
 * the tail is the start burst (every run of a batch is started at once).
 */
export function afterStartsTable(rows: Row[]): string {
  return [
    '| N | system | runs ended after the last create | their seen-after-done p50 / p95 / max s | all runs: p50 / p95 / max s |',
    '|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.n} | ${r.system} | ${r.afterStarts.runs}/${r.completed} | ` +
        `${s(r.afterStarts.latencyP50)} / ${s(r.afterStarts.latencyP95)} / ${s(r.afterStarts.latencyMax)} | ` +
        `${s(r.latencyP50)} / ${s(r.latencyP95)} / ${s(r.latencyMax)} |`,
    ),
  ].join('\n');
}

/** `systems`: those this run measured; `tuning`: the name and settings flora-tuned ran with. */
export function legend(systems: readonly SystemName[], tuning: string): string {
  return SYSTEMS.filter((sys) => systems.includes(sys))
    .map((sys) => `- **${sys}**: ${SYSTEM_LABELS[sys]}${sys === 'flora-tuned' ? `: ${tuning}` : ''}`)
    .join('\n');
}
