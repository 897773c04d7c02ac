/**
 * The bench's Temporal dev server: the project's own launcher (src/dev/dev-server.ts, the same
 * arguments and search attributes as the demo's), started directly rather than through the SDK's test
 * environment so the bench knows its pid and can read its CPU time and peak RSS.
 */
import { spawnDevServer, type DevServerProcess } from '../src/dev/dev-server';
import { resolveTemporalCli } from '../src/dev/temporal-cli';

export async function startDevServer(
  dynamicConfig?: Record<string, string | number | boolean>,
): Promise<DevServerProcess> {
  const cli = await resolveTemporalCli({ install: true });
  if (!cli) throw new Error('No Temporal CLI: run `npx tsx scripts/ensure-temporal-cli.ts` first');
  // Its errors (and its start-up banner) go to the bench's stderr; the bench's tables are on stdout.
  return spawnDevServer(cli.path, dynamicConfig ? { dynamicConfig } : {});
}
