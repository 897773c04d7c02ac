/**
 * Aimed SIGKILLs for the worker-crashes row, each proven from the simulator's side, never from a worker:
 *
 * - inside a create whose answer is lost: a `holdResponse` fault holds one create's answer (the run
 *   already exists and is billed); once the simulator lists it as held, every worker is killed, and the
 *   kill counts only if the simulator then saw that client leave while it still held the answer;
 * - between create and first poll: a run whose create answer reached the worker and that nobody has
 *   polled; the kill counts only if the request log shows no poll of that run before the kill;
 * - mid-download: a `holdResponse` fault on a file sends half its bytes and holds the rest; the kill
 *   counts only if the simulator saw the download cut off after the kill.
 *
 * A kill whose moment passed before it landed (the worker's own HTTP timeout gave up on a held answer,
 * say) counts as `other`.
 */
import type { SimRunSummary } from '../../../src/simulator';
import type { Fleet } from '../fleet';
import { sleep } from '../procs';
import type { SimProcess } from '../sim';

export type Moment = 'create' | 'pre-poll' | 'download';
export const MOMENTS: readonly Moment[] = ['create', 'pre-poll', 'download'];

export type Landed = Moment | 'other';

const HOLD_ROUTE = { create: 'createRunNested', download: 'getFile' } as const;

function prePoll(run: SimRunSummary): boolean {
  return run.create_answered && run.polls === 0 && run.status !== 'completed' && run.status !== 'failed';
}

async function killEveryWorker(fleet: Fleet): Promise<number> {
  const victims = [...fleet.workers];
  await Promise.all(victims.map((v) => fleet.kill(v)));
  return victims.length;
}

/**
 * Waits up to `waitMs` for the moment, then SIGKILLs every worker (whichever holds the create or the
 * download dies with the rest). Returns where the kill provably landed and how many processes died.
 * `restoreFaults` puts the row's background faults back after an unused hold is cleared.
 */
export async function aimedKill(
  sim: SimProcess,
  fleet: Fleet,
  aim: Moment,
  waitMs: number,
  restoreFaults: () => Promise<void>,
): Promise<{ landed: Landed; killed: number }> {
  const deadline = Date.now() + waitMs;
  if (aim === 'pre-poll') {
    let target: SimRunSummary | undefined;
    while (!target && Date.now() < deadline) {
      target = (await sim.activity()).runs.find(prePoll);
      if (!target) await sleep(50);
    }
    const killAt = Date.now();
    const killed = await killEveryWorker(fleet);
    if (!target) return { landed: 'other', killed };
    const runId = target.run_id;
    const polledBefore = (await sim.requests()).some(
      (e) => e.route === 'getRun' && e.subject === runId && e.atMs <= killAt,
    );
    return { landed: polledBefore ? 'other' : 'pre-poll', killed };
  }

  const route = HOLD_ROUTE[aim];
  const before = Math.max(0, ...(await sim.activity()).held.map((h) => h.id));
  // The hold goes first: the simulator applies the first matching fault, and the row's background
  // faults (a slow answer for a share of requests) would otherwise take most requests.
  await sim.clearFaults();
  await sim.addFault(route, { kind: 'holdResponse', count: 1, latencyMs: 60_000 });
  await restoreFaults();
  let heldId: number | undefined;
  while (heldId === undefined && Date.now() < deadline) {
    heldId = (await sim.activity()).held.find(
      (h) => h.id > before && h.route === route && h.state === 'holding',
    )?.id;
    if (heldId === undefined) await sleep(50);
  }
  const killAt = Date.now();
  const killed = await killEveryWorker(fleet);
  // An unused hold must not catch a request later; the row's other faults go back on.
  await sim.clearFaults();
  await restoreFaults();
  if (heldId === undefined) return { landed: 'other', killed };
  for (let i = 0; i < 100; i++) {
    const entry = (await sim.activity()).held.find((h) => h.id === heldId);
    if (entry?.state === 'client-gone')
      return { landed: (entry.ended_ms ?? 0) >= killAt ? aim : 'other', killed };
    if (entry?.state !== 'holding') return { landed: 'other', killed };
    await sleep(50);
  }
  return { landed: 'other', killed };
}
