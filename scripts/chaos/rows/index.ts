/** Every row, in the order `npm run chaos` runs them; secrets comes last, to search what all others left. */
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
  run(ctx: ChaosContext): Promise<RowResult>;
}

export const ROWS: Row[] = [
  { id: 'worker-crashes', title: 'Worker crashes', run: workerCrashes },
  { id: 'flora-faults', title: 'FLORA faults', run: floraFaults },
  { id: 'bad-input', title: 'Bad input', run: badInput },
  { id: 'temporal-crash-dev', title: 'Temporal server crash (dev server, SQLite)', run: devServerCrash },
  { id: 'deploys', title: 'Deploys (rolling restarts)', run: deploys },
  { id: 'rate-limit', title: 'Rate limit', run: rateLimit },
  { id: 'temporal-crash-postgres', title: 'Temporal server crash (PostgreSQL)', run: postgresServerCrash },
  { id: 'secrets', title: 'Secrets', run: secrets },
];
