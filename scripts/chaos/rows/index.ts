/**
 * Every row, in the order `npm run chaos` runs them; secrets comes last, to search what all others left.
 *
 * The smoke version (`--smoke`, in `npm test`) runs the rows in lanes: the rows of one lane one after
 * another, the lanes side by side, each lane with a simulator of its own (faults, limits and counters
 * are the simulator's, per process). Most of a smoke row is waiting (a kill's activity timeout, a
 * restart, a run's duration), so the lanes overlap their waits. Rows without a lane run after every
 * lane. The full run stays serial: its figures of time and throughput must not share the machine.
 */
import type { ChaosContext, RowResult } from '../context';
import { badInput } from './bad-input';
import { deploys } from './deploys';
import { floraFaults } from './flora-faults';
import { rateLimit } from './rate-limit';
import { secrets } from './secrets';
import { devServerCrash, postgresServerCrash } from './temporal-crash';
import { workerCrashes } from './worker-crashes';

export interface Row {
  id: string;
  title: string;
  /** The smoke version's lane; none: after every lane. */
  lane?: number;
  run(ctx: ChaosContext): Promise<RowResult>;
}

export const ROWS: Row[] = [
  // The longest smoke row (its kills wait out activity timeouts) has a lane to itself.
  { id: 'worker-crashes', title: 'Worker crashes', lane: 0, run: workerCrashes },
  { id: 'flora-faults', title: 'FLORA faults', lane: 1, run: floraFaults },
  { id: 'bad-input', title: 'Bad input', lane: 1, run: badInput },
  {
    id: 'temporal-crash-dev',
    title: 'Temporal server crash (dev server, SQLite)',
    lane: 2,
    run: devServerCrash,
  },
  { id: 'deploys', title: 'Deploys (rolling restarts)', lane: 2, run: deploys },
  { id: 'rate-limit', title: 'Rate limit', lane: 1, run: rateLimit },
  {
    id: 'temporal-crash-postgres',
    title: 'Temporal server crash (PostgreSQL)',
    lane: 0,
    run: postgresServerCrash,
  },
  { id: 'secrets', title: 'Secrets', run: secrets },
];
