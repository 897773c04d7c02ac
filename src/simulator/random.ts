/**
 * A small seeded PRNG (mulberry32). Fault rates and generated ids must be reproducible from the
 * `seed` option so a flaky-network benchmark can be replayed exactly.
 */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** `length` lower-case base-36 characters. */
  token(length: number): string {
    let out = '';
    while (out.length < length) {
      out += Math.floor(this.next() * 36).toString(36);
    }
    return out;
  }
}
