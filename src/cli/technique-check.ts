/**
 * Checks, before `run` or `pipeline run` starts anything, that FLORA knows each technique: a typo'd slug
 * is refused with the closest slugs FLORA lists, instead of a workflow that fails later (or, without
 * --wait, an exit 0 for a request that could never run). Only when FLORA_API_KEY is set here: the CLI
 * never needs the key, the worker has its own. When FLORA cannot be asked, the start goes on.
 */
import type { FloraClient } from '../flora/client';
import type * as FloraErrors from '../flora/errors';
import { closest } from './closest';
import { floraFromEnv } from './commands/techniques';
import { CliError, type CliIo } from './support';

export async function checkTechniquesKnown(keys: readonly string[], io: CliIo): Promise<void> {
  if (!io.env.FLORA_API_KEY?.trim() || keys.length === 0) return;
  const { FloraError } = require('../flora/errors') as typeof FloraErrors;
  let flora: FloraClient;
  try {
    flora = floraFromEnv(io);
  } catch {
    return; // A FLORA setting this CLI cannot use: the worker's own settings decide.
  }
  try {
    const unknown: string[] = [];
    for (const key of new Set(keys)) {
      try {
        await flora.getTechnique(key);
      } catch (err) {
        if (err instanceof FloraError && err.status === 404) unknown.push(key);
        else {
          const why =
            err instanceof FloraError && (err.status === 401 || err.status === 403)
              ? `FLORA rejected FLORA_API_KEY (${err.code})`
              : err instanceof Error
                ? err.message
                : String(err);
          io.stderr(`warning: could not check technique "${key}" with FLORA: ${why}; starting anyway\n`);
          return;
        }
      }
    }
    if (unknown.length === 0) return;
    const slugs = await allSlugs(flora);
    const lines = unknown.map((key) => {
      const near = closest(key, slugs);
      return `unknown technique "${key}"${near.length > 0 ? `; did you mean ${near.join(', ')}?` : ''}`;
    });
    throw new CliError(
      `${lines.join('; ')} (flora-temporal techniques list shows them all); nothing was started`,
      1,
      'not_found',
    );
  } finally {
    await flora.close();
  }
}

/** For `techniques get`: a 404 becomes "unknown technique, did you mean ..."; undefined otherwise. */
export async function suggestTechniques(
  flora: FloraClient,
  key: string,
  err: unknown,
): Promise<CliError | undefined> {
  const { FloraError } = require('../flora/errors') as typeof FloraErrors;
  if (!(err instanceof FloraError) || err.status !== 404) return undefined;
  const near = closest(key, await allSlugs(flora));
  return new CliError(
    `unknown technique "${key}"${near.length > 0 ? `; did you mean ${near.join(', ')}?` : ''} ` +
      '(flora-temporal techniques list shows them all)',
    1,
    'not_found',
  );
}

async function allSlugs(flora: FloraClient): Promise<string[]> {
  const slugs: string[] = [];
  try {
    let cursor: string | undefined;
    do {
      const page = await flora.listTechniques({ limit: 100, cursor });
      for (const t of page.techniques) if (t.slug) slugs.push(t.slug);
      cursor = page.meta?.next_cursor ?? undefined;
    } while (cursor !== undefined);
  } catch {
    // No suggestions then; the error still names the slug.
  }
  return slugs;
}
