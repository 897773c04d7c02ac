/**
 * Every row, in the order `npm run chaos` runs them; secrets comes last, to search what all others left.
 *
 * The smoke version (`--smoke`, in `npm test`) runs the rows in lanes: the rows of one lane one after
 * another, the lanes side by side, each lane with a simulator of its own (faults, limits and counters
 * are the simulator's, per process). Most of a smoke row is waiting (a kill's activity timeout, a
 * restart, a run's duration), so the lanes overlap their waits. Rows without a lane run after every
 * lane. The full run stays serial: its figures of time and throughput must not share the machine.
 *
 * A row's `prestart` starts its workers ahead: once the first row of every lane has its workers up, the
 * later rows' workers boot while those rows wait (a worker start is seconds of CPU on a busy machine, and
 * the first rows' starts come first so the longest lane is not slowed).
 */
import type { ChaosContext, RowResult } from '../context';
import { badInput, prestartBadInput } from './bad-input';
import { deploys, prestartDeploys } from './deploys';
import { floraFaults, prestartFloraFaults } from './flora-faults';
import { prestartRateLimit, rateLimit } from './rate-limit';
import { secrets } from './secrets';
import { devServerCrash, postgresServerCrash } from './temporal-crash';
import { workerCrashes } from './worker-crashes';

export interface Row {
  id: string;
  title: string;
  /** The smoke version's lane; none: after every lane. */
  lane?: number;
  run(ctx: ChaosContext): Promise<RowResult>;
  /** Starts the row's workers ahead of it (smoke lanes only), on the shared Temporal server. */
  prestart?(ctx: ChaosContext): void;
}

export const ROWS: Row[] = [
  // The longest smoke row (its kills wait out activity timeouts) has a lane to itself.
  { id: 'worker-crashes', title: 'Worker crashes', lane: 0, run: workerCrashes },
  { id: 'flora-faults', title: 'FLORA faults', lane: 1, run: floraFaults, prestart: prestartFloraFaults },
  { id: 'bad-input', title: 'Bad input', lane: 1, run: badInput, prestart: prestartBadInput },
  {
    id: 'temporal-crash-dev',
    title: 'Temporal server crash (dev server, SQLite)',
    lane: 2,
    run: devServerCrash,
  },
  { id: 'deploys', title: 'Deploys (rolling restarts)', lane: 2, run: deploys, prestart: prestartDeploys },
  { id: 'rate-limit', title: 'Rate limit', lane: 1, run: rateLimit, prestart: prestartRateLimit },
  {
    id: 'temporal-crash-postgres',
    title: 'Temporal server crash (PostgreSQL)',
    lane: 0,
    run: postgresServerCrash,
  },
  { id: 'secrets', title: 'Secrets', run: secrets },
];
