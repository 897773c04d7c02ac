/**
 * The chart: gap p95 and completion-seen latency p95 against N, one line per system, drawn as SVG and
 * rendered to PNG with resvg (no browser).
 */
import { writeFile } from 'node:fs/promises';
import { Resvg } from '@resvg/resvg-js';
import type { Figures } from './summarize';
import { SYSTEMS } from './systems';

const COLORS: Record<string, string> = {
  flora: '#d62728',
  'flora-activity': '#ff7f0e',
  'flora-webhook': '#9467bd',
  'flora-tuned': '#8c564b',
  loop: '#7f7f7f',
  frequent: '#1f77b4',
  infrequent: '#2ca02c',
};

const W = 460;
const H = 320;
const PAD = { left: 56, right: 16, top: 36, bottom: 44 };

function panel(
  rows: Figures[],
  pick: (f: Figures) => number,
  title: string,
  offsetX: number,
  guide?: number,
): string {
  const loads = [...new Set(rows.map((r) => r.n))].sort((a, b) => a - b);
  const values = rows.map(pick).filter((v) => Number.isFinite(v));
  const yMax = Math.max(guide ?? 0, ...values, 1) * 1.1;
  const xMin = Math.min(...loads);
  const xMax = Math.max(...loads);
  const x = (n: number) =>
    offsetX + PAD.left + (xMax === xMin ? 0.5 : (n - xMin) / (xMax - xMin)) * (W - PAD.left - PAD.right);
  const y = (v: number) => PAD.top + (1 - v / yMax) * (H - PAD.top - PAD.bottom);
  const parts: string[] = [];
  parts.push(`<text x="${offsetX + W / 2}" y="20" text-anchor="middle" font-size="14">${title}</text>`);
  parts.push(
    `<line x1="${offsetX + PAD.left}" y1="${y(0)}" x2="${offsetX + W - PAD.right}" y2="${y(0)}" stroke="#000"/>`,
  );
  parts.push(
    `<line x1="${offsetX + PAD.left}" y1="${PAD.top}" x2="${offsetX + PAD.left}" y2="${y(0)}" stroke="#000"/>`,
  );
  for (let i = 0; i <= 4; i += 1) {
    const v = (yMax / 1.1) * (i / 4);
    parts.push(
      `<text x="${offsetX + PAD.left - 6}" y="${y(v) + 4}" text-anchor="end" font-size="11">${v.toFixed(1)}</text>`,
    );
  }
  for (const n of loads) {
    parts.push(
      `<text x="${x(n)}" y="${H - PAD.bottom + 16}" text-anchor="middle" font-size="11">${n}</text>`,
    );
  }
  parts.push(
    `<text x="${offsetX + W / 2}" y="${H - 8}" text-anchor="middle" font-size="12">concurrent runs (N)</text>`,
  );
  parts.push(
    `<text x="${offsetX + 14}" y="${H / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 ${offsetX + 14} ${H / 2})">seconds</text>`,
  );
  if (guide !== undefined) {
    parts.push(
      `<line x1="${offsetX + PAD.left}" y1="${y(guide)}" x2="${offsetX + W - PAD.right}" y2="${y(guide)}" stroke="#999" stroke-dasharray="4 3"/>`,
    );
  }
  for (const system of SYSTEMS) {
    const pts = rows
      .filter((r) => r.system === system && Number.isFinite(pick(r)))
      .sort((a, b) => a.n - b.n)
      .map((r) => [x(r.n), y(pick(r))] as const);
    if (pts.length === 0) continue;
    const color = COLORS[system] ?? '#000';
    parts.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map(([a, b]) => `${a},${b}`).join(' ')}"/>`,
    );
    for (const [a, b] of pts) parts.push(`<circle cx="${a}" cy="${b}" r="3" fill="${color}"/>`);
  }
  return parts.join('\n');
}

export async function writeChart(rows: Figures[], path: string, subtitle: string): Promise<void> {
  const shown = SYSTEMS.filter((s) => rows.some((r) => r.system === s));
  const step = (2 * W - 20) / Math.max(1, shown.length);
  const legend = shown
    .map(
      (s, i) =>
        `<rect x="${20 + i * step}" y="${H + 8}" width="14" height="4" fill="${COLORS[s]}"/>` +
        `<text x="${40 + i * step}" y="${H + 14}" font-size="12">${s}</text>`,
    )
    .join('\n');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${H + 44}">
<rect width="100%" height="100%" fill="#fff"/>
<g font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif">
${panel(rows, (f) => f.gapP95 / 1000, 'gap between polls, p95 (dashed: 5.5 s)', 0, 5.5)}
${panel(rows, (f) => f.latencyP95 / 1000, 'completion seen after FLORA finished, p95', W)}
${legend}
<text x="${W}" y="${H + 36}" text-anchor="middle" font-size="11" fill="#555">${subtitle}</text>
</g></svg>`;
  const png = new Resvg(svg, { font: { loadSystemFonts: true } }).render().asPng();
  await writeFile(path, png);
}
