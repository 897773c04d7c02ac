/**
 * Counters a test reads to assert what reached the server and, above all, how many billable runs
 * were created per idempotency key.
 */
import { SIM_ROUTES, type SimRoute } from './schemas';

export interface SimStats {
  /** Every request that reached routing, including faulted ones. */
  requests: Record<SimRoute, number>;
  /**
   * By `"<route> <status>"`; `"unmatched <status>"` for unknown paths. Requests that got no response
   * are counted as `"<route> reset"` (socket destroyed before handling) or `"<route> dropped"`
   * (handled, then the response was dropped); `"getFile truncated"` is a file cut off mid-body;
   * `"<route> aborted"`: handled, but the client had closed the connection before the answer was written.
   */
  responses: Record<string, number>;
  /** Billable runs actually created. */
  runsCreated: number;
  /** Runs actually created per idempotency key (1 in every healthy test). */
  createsByIdempotencyKey: Record<string, number>;
  /** Sum of charged_cost of completed runs. */
  billedUsd: number;
}

function zeroRoutes(): Record<SimRoute, number> {
  return Object.fromEntries(SIM_ROUTES.map((r) => [r, 0])) as Record<SimRoute, number>;
}

export class StatsRecorder {
  private requests = zeroRoutes();
  private responses: Record<string, number> = {};
  private runsCreated = 0;
  private createsByKey: Record<string, number> = {};

  request(route: SimRoute): void {
    this.requests[route] += 1;
  }

  response(
    route: SimRoute | 'unmatched',
    outcome: number | 'reset' | 'dropped' | 'truncated' | 'aborted',
  ): void {
    const key = `${route} ${outcome}`;
    this.responses[key] = (this.responses[key] ?? 0) + 1;
  }

  runCreated(idempotencyKey: string | undefined): void {
    this.runsCreated += 1;
    if (idempotencyKey !== undefined) {
      this.createsByKey[idempotencyKey] = (this.createsByKey[idempotencyKey] ?? 0) + 1;
    }
  }

  snapshot(billedUsd: number): SimStats {
    return {
      requests: { ...this.requests },
      responses: { ...this.responses },
      runsCreated: this.runsCreated,
      createsByIdempotencyKey: { ...this.createsByKey },
      billedUsd,
    };
  }

  clear(): void {
    this.requests = zeroRoutes();
    this.responses = {};
    this.runsCreated = 0;
    this.createsByKey = {};
  }
}
