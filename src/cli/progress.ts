/**
 * Live progress for the CLI, always on stderr: a block redrawn in place on a terminal, plain lines (only
 * the ones that changed) otherwise, so logs and CI output stay readable.
 */
import type { PipelineProgress, StepProgress } from '../pipelines/types';
import type { RunTechniqueStatus } from '../workflows/types';

export function bar(percent: number, width = 20): string {
  const clamped = Math.min(100, Math.max(0, Number.isFinite(percent) ? percent : 0));
  const filled = Math.round((clamped / 100) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

function usd(value: number): string {
  return `$${(Math.round(value * 10000) / 10000).toString()}`;
}

export function renderRunStatus(s: RunTechniqueStatus, label = s.technique?.slug ?? 'run'): string[] {
  const run = s.runId ? ` ${s.runId}` : '';
  const attempt = s.attempt > 1 ? ` attempt ${s.attempt}` : '';
  return [
    `${label} ${bar(s.progress)} ${String(s.progress).padStart(3)}% ${s.phase}${run}${attempt} · ${s.polls} polls · ${usd(s.chargedCost)}` +
      (s.error ? ` · ${s.error.type}: ${s.error.message}` : ''),
  ];
}

function stepPercent(step: StepProgress): number {
  if (step.phase === 'completed') return 100;
  if (step.runs.length === 0) return 0;
  const done = (p: string) => p === 'completed' || p === 'failed' || p === 'cancelled';
  return Math.round(
    step.runs.reduce((sum, r) => sum + (done(r.phase) ? 100 : r.progress), 0) / step.runs.length,
  );
}

export function renderPipelineProgress(p: PipelineProgress): string[] {
  const width = Math.max(4, ...p.steps.map((s) => s.id.length));
  const lines = [
    `${p.name} ${bar(p.percent)} ${String(p.percent).padStart(3)}% ${p.phase} · charged ${usd(p.ledger.chargedUsd)}` +
      ` · reserved ${usd(p.ledger.reservedUsd)}${p.ledger.budgetUsd === undefined ? '' : ` of ${usd(p.ledger.budgetUsd)}`}` +
      (p.note ? ` · ${p.note}` : ''),
  ];
  for (const step of p.steps) {
    const finished = step.runs.filter((r) => r.phase === 'completed').length;
    const polls = step.runs.reduce((sum, r) => sum + r.polls, 0);
    const cost = step.runs.reduce((sum, r) => sum + r.chargedUsd, 0);
    const runs =
      step.runs.length > 1
        ? ` ${finished}/${step.runs.length} runs`
        : step.runs[0]?.runId
          ? ` ${step.runs[0].runId}`
          : '';
    const detail = step.skippedReason ?? step.runs.find((r) => r.error)?.error?.type ?? '';
    lines.push(
      `  ${step.id.padEnd(width)} ${bar(stepPercent(step), 12)} ${String(stepPercent(step)).padStart(3)}% ${step.phase}${runs}` +
        ` · ${polls} polls · ${usd(cost)}${detail ? ` · ${detail}` : ''}`,
    );
  }
  return lines;
}

export interface ProgressSink {
  write: (text: string) => void;
  isTTY: boolean;
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
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const show = (lines: string[]) => {
    if (sink.isTTY) {
      // Move to the start of the block, clear it, draw the new one.
      const up = shown.length > 0 ? `\x1b[${shown.length}F\x1b[J` : '';
      if (lines.join('\n') !== shown.join('\n')) sink.write(`${up}${lines.join('\n')}\n`);
    } else {
      for (const [i, line] of lines.entries()) if (shown[i] !== line) sink.write(`${line}\n`);
    }
    shown = lines;
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
