/**
 * The FLORA simulator as its own process for the chaos harness, with the control plane on (loopback
 * only). The API key comes from CHAOS_FLORA_API_KEY and is never printed.
 */
import { startSimulator } from '../../src/simulator';

async function main(): Promise<void> {
  const apiKey = process.env.CHAOS_FLORA_API_KEY;
  if (!apiKey) throw new Error('CHAOS_FLORA_API_KEY is required');
  const sim = await startSimulator({
    control: true,
    serveFiles: true,
    apiKeys: [apiKey],
    runDurationMs: Number(process.env.CHAOS_SIM_RUN_MS ?? 5000),
    seed: Number(process.env.CHAOS_SEED ?? 1),
  });
  process.stdout.write(`CHAOS sim ${sim.baseUrl}\n`);
  const stop = (): void => {
    void sim.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`sim-entry: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
