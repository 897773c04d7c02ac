/** What the load rows share: a fleet with its load, and the figures: runs lost, creates per key and per logical run, completed. */
import { figure, type ChaosContext, type Figure } from '../context';
import type { Fleet } from '../fleet';
import { moneyFigures } from '../figures';
import type { SimProcess } from '../sim';
import { Workload, type Outcome } from '../workload';

export async function outcomeFigures(sim: SimProcess, outcomes: readonly Outcome[]): Promise<Figure[]> {
  const { runs } = await sim.activity();
  const money = moneyFigures(runs);
  const lost = outcomes.filter((o) => o.status !== 'completed');
  const stuck = outcomes.filter((o) => o.status === 'stuck');
  const late = outcomes.filter((o) => o.late === true);
  const describeLost = lost
    .slice(0, 3)
    .map(
      (o) =>
        `${o.workflowId}: ${o.status}${o.failureType ? ` ${o.failureType}` : ''}` +
        (o.workflowTaskAttempt !== undefined && o.workflowTaskAttempt > 1
          ? ` (workflow task attempt ${o.workflowTaskAttempt})`
          : ''),
    )
    .join('; ');
  return [
    figure(
      'runs lost (failed or wedged)',
      lost.length === 0 ? '0' : `${lost.length} (${stuck.length} wedged) e.g. ${describeLost}`,
      '0',
      lost.length === 0,
    ),
    figure(
      'FLORA creates per idempotency key (max)',
      money.keysBilledTwice.length === 0
        ? `${money.maxCreatesPerKey} (${money.keys} keys)`
        : `${money.maxCreatesPerKey}: ${money.keysBilledTwice.length} keys billed twice, e.g. ${money.keysBilledTwice.slice(0, 2).join(', ')}`,
      'exactly 1',
      money.maxCreatesPerKey === 1 && money.createsWithoutKey === 0,
    ),
    figure(
      'FLORA creates per logical run',
      money.logicalRunsOverCreated.length === 0
        ? `1 + designed re-creates (${money.creates} creates for ${money.logicalRuns} logical runs, ${money.designedRecreates} re-creates after transient failures)`
        : `${money.logicalRunsOverCreated.length} logical runs created more than designed, e.g. ${money.logicalRunsOverCreated.slice(0, 2).join('; ')}`,
      '1 + re-creates after transient failures',
      money.logicalRunsOverCreated.length === 0,
    ),
    figure(
      'completed',
      `${outcomes.length - lost.length} / ${outcomes.length} workflows`,
      'all',
      lost.length === 0,
    ),
    // Slow is not lost: these completed, but only after the server's backoff between workflow-task
    // attempts (up to ~10 min) let a retry through, past the row's own wait. A loaded machine's figure.
    figure(
      'slow: completed only in the extra wait for workflow-task retries (tasks had timed out, server backing off)',
      late.length === 0
        ? '0'
        : `${late.length}, e.g. ${late
            .slice(0, 3)
            .map((o) => o.workflowId)
            .join(', ')}`,
      'reported',
      undefined,
    ),
  ];
}

export function statusOf(figures: readonly { ok: boolean | undefined }[]): 'pass' | 'fail' {
  return figures.some((f) => f.ok === false) ? 'fail' : 'pass';
}

/**
 * `workers` workers on a fresh task queue, every one polling, and the load's client on that queue; on
 * `server` (a row's own Temporal server) or the shared one. `tag` makes the row's workflow ids its own.
 */
export async function loadedFleet(
  ctx: ChaosContext,
  workers: number,
  tag: string,
  options: { env?: Record<string, string>; server?: { readonly address: string } } = {},
): Promise<{ fleet: Fleet; load: Workload; close: () => Promise<void> }> {
  const server = options.server ?? ctx.temporal;
  const fleet = await ctx.startedFleet(tag, workers, options.env, () => server.address);
  // Every worker started, whether or not it is still up (a prestarted one that died reports it here).
  await ctx.timed(`${tag}: ${workers} worker(s) ready`, () => Promise.all(fleet.all.map((w) => w.ready)));
  const { load, close } = await Workload.connect(
    server.address,
    fleet.config.taskQueue,
    `${tag}${ctx.options.seed}`,
  );
  return { fleet, load, close };
}
