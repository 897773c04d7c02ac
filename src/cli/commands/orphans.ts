/**
 * `flora-temporal runs orphans`: FLORA runs created in a time window that no workflow records (a crash
 * between create and record, a reset, a bug), each with the command that attaches a workflow to it so
 * its paid outputs are not lost.
 */
import { InvalidArgumentError, type Command } from 'commander';
import type { FloraClient } from '../../flora/client';
import type * as Orphans from '../../client/orphans';
import type { OrphanRun } from '../../client/orphans';
import type * as WorkflowAccess from '../workflow-access';
import { usd } from '../format';
import { ExitCode, json, table, type CliContext, type CliIo } from '../support';
import { floraFromEnv } from './techniques';

export interface OrphansOpts {
  since: Date;
  until?: Date;
  technique?: string;
  json?: boolean;
}

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `30m`, `6h`, `2d` (before now) or an ISO 8601 time. */
export function parseInstant(flag: string, now = Date.now()) {
  return (value: string): Date => {
    const duration = /^(\d+(?:\.\d+)?)(s|m|h|d|w)$/.exec(value.trim());
    if (duration) return new Date(now - Number(duration[1]) * (UNITS[duration[2] ?? ''] ?? 0));
    const at = Date.parse(value);
    if (/^\d{4}-\d{2}-\d{2}/.test(value) && Number.isFinite(at)) return new Date(at);
    throw new InvalidArgumentError(
      `${flag} must be a duration before now (e.g. 30m, 6h, 2d) or an ISO time (e.g. 2026-11-28T14:00:00Z)`,
    );
  };
}

export function registerOrphans(runs: Command, { io, outcome }: CliContext): void {
  runs
    .command('orphans')
    .description(
      'FLORA runs created in a time window that no workflow records, with the command to attach each',
    )
    .requiredOption(
      '--since <when>',
      'start of the window: a duration before now (6h, 2d) or an ISO time',
      parseInstant('--since'),
    )
    .option('--until <when>', 'end of the window (default now)', parseInstant('--until'))
    .option('--technique <slug|tech_id>', 'only runs of this technique')
    .option('--json', 'print the report as JSON')
    .action(async (opts: OrphansOpts) => {
      outcome.exitCode = await orphansCommand(opts, io);
    });
}

export async function orphansCommand(opts: OrphansOpts, io: CliIo): Promise<number> {
  const { withClient } = require('../workflow-access') as typeof WorkflowAccess;
  const { findOrphanRuns } = require('../../client/orphans') as typeof Orphans;
  if (opts.until && opts.until.getTime() < opts.since.getTime())
    throw new InvalidArgumentError('--until is before --since');
  const flora = floraFromEnv(io);
  try {
    return await withClient(io, async (client) => {
      const techniqueId =
        opts.technique === undefined || opts.technique.startsWith('tech_')
          ? opts.technique
          : (await flora.getTechnique(opts.technique)).technique_id;
      const report = await findOrphanRuns(client, flora, {
        since: opts.since,
        until: opts.until,
        techniqueId,
      });
      const slugs = report.orphans.length > 0 ? await slugsById(flora) : new Map<string, string>();
      const orphans = report.orphans.map((o) => ({ ...o, attachCommand: attachCommand(o, slugs) }));
      if (report.caveat) io.stderr(`warning: ${report.caveat}\n`);
      if (report.truncated)
        io.stderr(
          `warning: stopped after ${report.scanned} runs, before reaching --since; narrow the window\n`,
        );
      if (opts.json) {
        io.stdout(json({ ...report, orphans }));
        return ExitCode.Ok;
      }
      const window = `between ${report.since} and ${report.until}`;
      if (orphans.length === 0) {
        io.stderr(`no orphaned FLORA runs ${window} (${report.scanned} run(s) checked)\n`);
        return ExitCode.Ok;
      }
      io.stdout(
        table([
          ['RUN ID', 'STATUS', 'CREATED', 'TECHNIQUE', 'CHARGED'],
          ...orphans.map((o) => [
            o.runId + (o.recent ? ' (recent)' : ''),
            o.status,
            o.createdAt ?? '-',
            o.techniqueName ?? o.techniqueId ?? '-',
            o.chargedCost == null ? '-' : usd(o.chargedCost),
          ]),
        ]),
      );
      io.stdout(`\nAttach a workflow to each (it creates nothing; it polls and returns the outputs):\n`);
      for (const o of orphans) io.stdout(`  ${o.attachCommand}\n`);
      if (orphans.some((o) => o.recent))
        io.stderr(
          'note: runs marked (recent) were created in the last minute; their workflow may not be visible yet\n',
        );
      io.stderr(
        `${orphans.length} of ${report.scanned} FLORA run(s) ${window} are recorded by no workflow\n`,
      );
      return ExitCode.Ok;
    });
  } finally {
    await flora.close();
  }
}

function attachCommand(o: OrphanRun, slugs: Map<string, string>): string {
  const slug = o.techniqueId ? slugs.get(o.techniqueId) : undefined;
  const technique = slug
    ? slug
    : `--technique-id ${o.techniqueId ?? '<tech_id>'} --workspace-id ${o.workspaceId ?? '<ws_id>'}`;
  return `flora-temporal run ${technique} --attach-run-id ${o.runId} --workflow-id attach-${o.runId}`;
}

/** technique_id → slug, for attach commands on the slug route (best effort: ids work too). */
async function slugsById(flora: FloraClient): Promise<Map<string, string>> {
  const slugs = new Map<string, string>();
  try {
    let cursor: string | undefined;
    do {
      const page = await flora.listTechniques({ limit: 100, cursor });
      for (const t of page.techniques) if (t.slug) slugs.set(t.technique_id, t.slug);
      cursor = page.meta?.next_cursor ?? undefined;
    } while (cursor !== undefined);
  } catch {
    // The commands fall back to --technique-id/--workspace-id.
  }
  return slugs;
}
