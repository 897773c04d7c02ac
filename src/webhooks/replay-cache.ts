/**
 * Webhook ids seen recently, so a delivery replayed inside the signature's tolerance window is not acted
 * on twice. Bounded twice: entries expire after `ttlMs` (past it the signature is stale anyway) and the
 * oldest are evicted beyond `maxEntries`, so a flood of valid deliveries cannot grow it without limit.
 */
export class ReplayCache {
  /** Insertion order is age order: a Map iterates oldest first. */
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
  ) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1)
      throw new RangeError('maxEntries must be a whole number >= 1');
  }

  /** Records `id` unless it was seen within the TTL; true when it is new. */
  claim(id: string, nowMs: number): boolean {
    this.expire(nowMs);
    if (this.seen.has(id)) return false;
    this.seen.set(id, nowMs);
    while (this.seen.size > this.maxEntries) {
      const oldest = this.seen.keys().next();
      if (oldest.done) break;
      this.seen.delete(oldest.value);
    }
    return true;
  }

  /** Forgets `id` (its delivery could not be handled, so the sender's retry must get through). */
  release(id: string): void {
    this.seen.delete(id);
  }

  get size(): number {
    return this.seen.size;
  }

  private expire(nowMs: number): void {
    for (const [id, at] of this.seen) {
      if (nowMs - at < this.ttlMs) break;
      this.seen.delete(id);
    }
  }
}
