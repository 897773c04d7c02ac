/** The table on stdout and docs/RELIABILITY.md: for each row the fault, the load, the figures, the goals, the command. */
import { cpus, loadavg, totalmem } from 'node:os';
import type { RowResult } from './context';

const MARK = { pass: 'PASS', fail: 'FAIL', waiting: 'WAITING', skipped: 'SKIPPED' } as const;

export function printTable(rows: readonly RowResult[], out: (line: string) => void): void {
  for (const row of rows) {
    out(`\n${MARK[row.status].padEnd(8)} ${row.title}  (${row.seconds.toFixed(0)} s)`);
    out(`         fault: ${row.fault}`);
    out(`         load:  ${row.load}`);
    if (row.note) out(`         note:  ${row.note}`);
    for (const f of row.figures) {
      const mark = f.ok === undefined ? '   ' : f.ok ? 'ok ' : 'NO ';
      out(`   ${mark} ${f.name}: ${f.value}   [goal: ${f.goal}]`);
    }
  }
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function machine(): string {
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}, ${process.platform}`;
}

export function reliabilityMarkdown(
  rows: readonly RowResult[],
  meta: {
    seed: number;
    command: string;
    startedAt: Date;
    seconds: number;
    plantBug?: string | undefined;
    /** The machine's load average at the start and now: other work on the box slows every figure of time. */
    loadAtStart?: number | undefined;
  },
): string {
  const lines: string[] = [
    '# Reliability in numbers',
    '',
    'Written by `npm run chaos` (scripts/chaos/). Everything runs on one machine: a real Temporal server,',
    'the FLORA simulator as its own process, and real worker processes. Every FLORA figure comes from the',
    "simulator's own records (runs created per idempotency key and per logical run, its request log), read",
    'through its loopback-only `/_sim` control plane, never from a worker.',
    '',
    `- Date: ${meta.startedAt.toISOString()} (${Math.round(meta.seconds / 60)} min)`,
    `- Machine: ${machine()}`,
    ...(meta.loadAtStart !== undefined
      ? [
          `- Load: 1-minute load average ${meta.loadAtStart.toFixed(1)} at the start, ${(loadavg()[0] ?? 0).toFixed(1)} when written, on ${cpus().length} cores (everything else running on the machine counts too; times are slower than on a quiet machine)`,
        ]
      : []),
    `- Seed: ${meta.seed} — repeat with \`${meta.command}\``,
    ...(meta.plantBug
      ? [`- **Planted bug: ${meta.plantBug}** (a deliberate defect in the harness's worker entry)`]
      : []),
    '',
    '| Row | Fault | Load | Figure | Goal | Met | Command |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const row of rows) {
    const figures =
      row.figures.length > 0 ? row.figures : [{ name: '—', value: row.note ?? '', goal: '—', ok: undefined }];
    figures.forEach((f, i) => {
      const met = f.ok === undefined ? '' : f.ok ? 'yes' : '**no**';
      lines.push(
        `| ${i === 0 ? `**${cell(row.title)}** (${MARK[row.status]})` : ''} | ${i === 0 ? cell(row.fault) : ''} | ${i === 0 ? cell(row.load) : ''} | ${cell(`${f.name}: ${f.value}`)} | ${cell(f.goal)} | ${met} | ${i === 0 ? `\`npm run chaos -- --only ${row.id} --seed ${meta.seed}\`` : ''} |`,
      );
    });
  }
  lines.push('', '## Notes', '');
  for (const row of rows) if (row.note) lines.push(`- **${row.title}**: ${row.note}`);
  lines.push(
    '',
    '## Commands',
    '',
    '- `npm run chaos` — every row at full load (about 30 min on 2 cores); exits non-zero when a goal is missed.',
    '- `npm run chaos -- --seed N` — the same moments again.',
    '- `npm run chaos -- --only worker-crashes,flora-faults` — some rows.',
    "- `npm run chaos -- --smoke` — tiny loads, rows side by side in lanes with a simulator each, later rows' workers started ahead (the version `npm test` runs in test/chaos-smoke.test.ts).",
    '- `npm run chaos -- --plant-bug key-per-attempt` — a deliberate money bug, to see the harness fail; `leak-key` (the worker prints its API key) a secrets bug; both: `key-per-attempt,leak-key`.',
    '',
  );
  return lines.join('\n');
}
