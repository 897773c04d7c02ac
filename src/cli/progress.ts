/**
 * Live progress for the CLI, always on stderr: a block redrawn in place on a terminal, plain lines (only
 * the ones that changed) otherwise, so logs and CI output stay readable.
 */
import type { PipelineProgress } from '../pipelines/types';
import type { RunTechniqueStatus } from '../workflows/types';
import { count, usd } from './format';

export function bar(percent: number, width = 20): string {
  const clamped = Math.min(100, Math.max(0, Number.isFinite(percent) ? percent : 0));
  const filled = Math.round((clamped / 100) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

export function renderRunStatus(s: RunTechniqueStatus, label = s.technique?.slug ?? 'run'): string[] {
  const run = s.runId ? ` ${s.runId}` : '';
  const attempt = s.attempt > 1 ? ` attempt ${s.attempt}` : '';
  return [
    `${label} ${bar(s.progress)} ${String(s.progress).padStart(3)}% ${s.phase}${run}${attempt} · ${count(s.polls, 'poll')} · ${usd(s.chargedCost)}` +
      (s.error ? ` · ${s.error.type}: ${s.error.message}` : ''),
  ];
}

type ProgressStep = PipelineProgress['steps'][number];

function stepPercent(step: ProgressStep): number {
  if (step.phase === 'completed') return 100;
  const done = (p: string) => p === 'completed' || p === 'failed' || p === 'cancelled';
  // A large pipeline lists only its running runs: the others count through `counts`.
  const c = step.counts;
  const total = c?.total ?? step.runs.length;
  if (total === 0) return 0;
  const ended = c ? c.completed + c.failed + c.cancelled : 0;
  const listed = step.runs.reduce((sum, r) => sum + (done(r.phase) ? 100 : r.progress), 0);
  return Math.round((c && step.runsListed === 'running' ? ended * 100 + listed : listed) / total);
}

export function renderPipelineProgress(p: PipelineProgress): string[] {
  const width = Math.max(4, ...p.steps.map((s) => s.id.length));
  const lines = [
    `${p.name} ${bar(p.percent)} ${String(p.percent).padStart(3)}% ${p.phase} · charged ${usd(p.ledger.chargedUsd)}` +
      ` · reserved ${usd(p.ledger.reservedUsd)}${p.ledger.budgetUsd === undefined ? '' : ` of ${usd(p.ledger.budgetUsd)}`}` +
      (p.note ? ` · ${p.note}` : ''),
  ];
  for (const step of p.steps) {
    const total = step.counts?.total ?? step.runs.length;
    const finished = step.counts?.completed ?? step.runs.filter((r) => r.phase === 'completed').length;
    const polls = step.runs.reduce((sum, r) => sum + r.polls, 0);
    const cost = p.ledger.steps[step.id]?.chargedUsd ?? step.runs.reduce((sum, r) => sum + r.chargedUsd, 0);
    const runs =
      total > 1 ? ` ${finished}/${total} runs` : step.runs[0]?.runId ? ` ${step.runs[0].runId}` : '';
    const detail =
      step.skippedReason ??
      step.failures?.[0]?.error?.type ??
      step.runs.find((r) => r.error)?.error?.type ??
      '';
    lines.push(
      `  ${step.id.padEnd(width)} ${bar(stepPercent(step), 12)} ${String(stepPercent(step)).padStart(3)}% ${step.phase}${runs}` +
        ` · ${count(polls, 'poll')} · ${usd(cost)}${detail ? ` · ${detail}` : ''}`,
    );
  }
  return lines;
}

export interface ProgressSink {
  write: (text: string) => void;
  isTTY: boolean;
  /** The terminal's width now (it changes on resize); lines are fitted to it on a terminal. */
  columns?: () => number | undefined;
}

/** The essential segments of a progress line: what, polls (or charged), cost (or reserved). */
const ESSENTIAL_SEGMENTS = 3;
const SEPARATOR = ' · ';

/**
 * Fits one progress line into `width` columns without wrapping (a wrapped line would be left behind by
 * the next in-place redraw). Gives way in this order: the bar, the FLORA run id (`status` shows it),
 * details after the cost (error, note), the label; polls and cost stay as long as possible.
 */
export function fitLine(line: string, width: number): string {
  // The last column is left free: some terminals wrap as soon as it is written.
  const max = Math.max(1, width - 1);
  if (line.length <= max) return line;
  for (const compact of [/ \[[#.]+\]/, / run_[A-Za-z0-9]+/]) {
    line = line.replace(compact, '');
    if (line.length <= max) return line;
  }
  const segments = line.split(SEPARATOR);
  const length = () => segments.join(SEPARATOR).length;
  while (segments.length > ESSENTIAL_SEGMENTS && length() > max) {
    const last = segments[segments.length - 1] ?? '';
    const keep = last.length - (length() - max) - 1;
    if (keep >= 8) segments[segments.length - 1] = `${last.slice(0, keep)}…`;
    else segments.pop();
  }
  const head = segments[0] ?? '';
  const keep = head.length - (length() - max) - 1;
  if (length() > max && keep >= 6) segments[0] = `${head.slice(0, keep)}…`;
  const fitted = segments.join(SEPARATOR);
  return fitted.length <= max ? fitted : `${fitted.slice(0, max - 1)}…`;
}

/** Rows a block takes on a terminal `width` columns wide (a terminal re-wraps lines when it narrows). */
function rowsOf(lines: string[], width: number | undefined): number {
  if (!width) return lines.length;
  return lines.reduce((rows, line) => rows + Math.max(1, Math.ceil(line.length / width)), 0);
}

/**
 * Polls `render` every `intervalMs` and shows its lines. Returns a function that stops it; with
 * `{ final: true }` it first shows the last state once more (the 100 % block after a success).
 */
export function followProgress(
  render: () => Promise<string[]>,
  sink: ProgressSink,
  intervalMs = 1000,
): (options?: { final?: boolean }) => Promise<void> {
  let shown: string[] = [];
  let shownWidth: number | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const show = (lines: string[]) => {
    if (sink.isTTY) {
      const width = sink.columns?.() || undefined;
      const fitted = width ? lines.map((line) => fitLine(line, width)) : lines;
      // Redraw when the text changed or the terminal was resized: move to the start of the block,
      // counting the rows its lines take at today's width, clear to the end, draw the new block.
      if (fitted.join('\n') !== shown.join('\n') || width !== shownWidth) {
        const up = shown.length > 0 ? `\x1b[${rowsOf(shown, width)}F\x1b[J` : '';
        sink.write(`${up}${fitted.join('\n')}\n`);
      }
      shown = fitted;
      shownWidth = width;
    } else {
      for (const [i, line] of lines.entries()) if (shown[i] !== line) sink.write(`${line}\n`);
      shown = lines;
    }
  };
  const tick = async () => {
    if (stopped) return;
    try {
      const lines = await render();
      if (!stopped) show(lines);
    } catch {
      // No worker has picked the workflow up yet, or it just finished.
    }
    if (!stopped) timer = setTimeout(() => void tick(), intervalMs);
  };
  timer = setTimeout(() => void tick(), Math.min(250, intervalMs));
  return async (options = {}) => {
    if (stopped) return;
    stopped = true;
    if (timer) clearTimeout(timer);
    if (options.final) {
      try {
        show(await render());
      } catch {
        // The final state is a courtesy; the result follows anyway.
      }
    }
  };
}
