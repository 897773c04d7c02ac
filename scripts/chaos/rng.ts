/**
 * The simulator's seeded PRNG (mulberry32) with what the harness draws from it: every random moment of
 * a chaos run comes from the printed seed.
 */
import { Prng } from '../../src/simulator/random';

export class Rng extends Prng {
  constructor(readonly seed: number) {
    super(seed);
  }

  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  /** An independent stream for one row, so adding a row never shifts another row's moments. */
  fork(label: string): Rng {
    let h = this.seed ^ 0x9e3779b9;
    for (const ch of label) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
    return new Rng(h >>> 0);
  }
}
