/** `flora-temporal techniques list|get`: browse FLORA's techniques (needs FLORA_API_KEY). */
import type { Command } from 'commander';
import type { FloraClient } from '../../flora/client';
import type * as FloraFromEnv from '../../flora/from-env';
import type * as TechniqueCheck from '../technique-check';
import type { TechniqueListItem } from '../../flora/schemas';
import { describeTechnique } from '../describe';
import { usd } from '../format';
import { parseInteger } from '../parse';
import { json, table, type CliContext, type CliIo } from '../support';

export function registerTechniques(program: Command, { io }: CliContext): void {
  const techniques = program.command('techniques').description('browse FLORA techniques');
  techniques
    .command('list')
    .description('list techniques')
    .option('--limit <n>', 'list at most n techniques', parseInteger('--limit', 1, 1000))
    .option('--json', 'print a JSON array')
    .action(async (opts: { limit?: number; json?: boolean }) => {
      const flora = floraFromEnv(io);
      try {
        const list = await listTechniques(flora, opts.limit);
        if (opts.json) io.stdout(json(list));
        else if (list.length === 0) io.stderr('no techniques\n');
        else {
          io.stdout(
            table([
              ['SLUG', 'TECHNIQUE_ID', 'NAME', 'PRICE'],
              ...list.map((t) => [
                t.slug ?? '-',
                t.technique_id,
                t.name,
                t.run_cost == null ? '-' : usd(t.run_cost),
              ]),
            ]),
          );
        }
      } finally {
        await flora.close();
      }
    });
  techniques
    .command('get <slug>')
    .description("show a technique's inputs, outputs and price")
    .option('--json', 'print the schema as JSON')
    .action(async (slug: string, opts: { json?: boolean }) => {
      const flora = floraFromEnv(io);
      try {
        const { suggestTechniques } = require('../technique-check') as typeof TechniqueCheck;
        const technique = await flora.getTechnique(slug).catch(async (err: unknown) => {
          throw (await suggestTechniques(flora, slug, err)) ?? err;
        });
        io.stdout(opts.json ? json(technique) : describeTechnique(technique));
      } finally {
        await flora.close();
      }
    });
}

/** A FLORA API client from FLORA_BASE_URL, FLORA_API_KEY and FLORA_HTTP_TIMEOUT_MS; warnings go to stderr. */
export function floraFromEnv(io: CliIo): FloraClient {
  // Loaded on use: the HTTP client (undici) is heavy and `--help` must stay fast.
  const { floraClientFromEnv } = require('../../flora/from-env') as typeof FloraFromEnv;
  const { flora, config } = floraClientFromEnv(io.env);
  for (const warning of config.warnings) io.stderr(`warning: ${warning}\n`);
  return flora;
}

async function listTechniques(flora: FloraClient, limit: number | undefined): Promise<TechniqueListItem[]> {
  const out: TechniqueListItem[] = [];
  let cursor: string | undefined;
  do {
    const want = limit === undefined ? 100 : Math.min(100, limit - out.length);
    const page = await flora.listTechniques({ limit: want, cursor });
    out.push(...page.techniques);
    cursor = page.meta?.next_cursor ?? undefined;
  } while (cursor !== undefined && (limit === undefined || out.length < limit));
  return limit === undefined ? out : out.slice(0, limit);
}
