/**
 * The simulator's own request log, parsed: when each run was polled, and how many creates reached it.
 * Timing from the server side is what FLORA would see, whatever the client believes it did.
 */
const POLL = /^GET \/api\/v1\/techniques\/[^/]+\/runs\/(run_[A-Za-z0-9]+) -> (\S+)/;
const CREATE = /^POST \/api\/v1\/techniques\/([^/]+)\/runs -> (\S+)/;

export class RequestLog {
  /** Poll times (epoch ms) per FLORA run id. */
  readonly polls = new Map<string, number[]>();
  creates = 0;
  /** Create requests per technique slug: batches running at once tell theirs apart by slug. */
  readonly createsBySlug = new Map<string, number>();
  pollCount = 0;

  readonly sink = (line: string): void => {
    const now = Date.now();
    const poll = POLL.exec(line);
    if (poll?.[1]) {
      this.pollCount += 1;
      const times = this.polls.get(poll[1]);
      if (times) times.push(now);
      else this.polls.set(poll[1], [now]);
      return;
    }
    const create = CREATE.exec(line);
    if (create?.[1]) {
      this.creates += 1;
      this.createsBySlug.set(create[1], (this.createsBySlug.get(create[1]) ?? 0) + 1);
    }
  };

  clear(): void {
    this.polls.clear();
    this.creates = 0;
    this.createsBySlug.clear();
    this.pollCount = 0;
  }
}
