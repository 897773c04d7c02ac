/** Every row, in the order `npm run chaos` runs them. */
import type { ChaosContext, RowResult } from '../context';
import { workerCrashes } from './worker-crashes';

export interface Row {
  id: string;
  title: string;
  run(ctx: ChaosContext): Promise<RowResult>;
}

export const ROWS: Row[] = [{ id: 'worker-crashes', title: 'Worker crashes', run: workerCrashes }];
