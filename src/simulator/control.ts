/**
 * The control plane under `/_sim/`: lets a process that did not start the simulator (a benchmark,
 * the chaos harness) inject faults and read stats. No auth: it is a test fixture, so it is served only
 * with the simulator's `control` option (`--control`), and only to loopback callers.
 */
import { z } from 'zod';
import { ApiError } from './errors';
import { parseJsonBody, type SimResponse } from './http-io';
import {
  FaultSpecSchema,
  FaultTargetSchema,
  IdempotencyModeSchema,
  RunErrorCodeSchema,
  type FaultSpec,
  type FaultTarget,
  type IdempotencyMode,
  type RunErrorCode,
} from './schemas';
import type { RequestLogEntry, SimActivity } from './observe';
import type { SimRunView } from './runs';
import type { SimStats } from './stats';
import { parseOrThrow } from './validation';

export const CONTROL_PREFIX = '/_sim';

/** The part of the simulator the control plane drives. */
export interface ControlTarget {
  stats(): SimStats;
  addFault(route: FaultTarget, fault: FaultSpec): void;
  clearFaults(): void;
  queueRunFailure(slugOrTechniqueId: string, code: RunErrorCode, message?: string): void;
  setIdempotencyMode(mode: IdempotencyMode): void;
  setRunDuration(ms: number, slugOrTechniqueId?: string): void;
  getRun(runId: string): SimRunView | undefined;
  expireFiles(): void;
  reset(): void;
  hasTechnique(slugOrTechniqueId: string): boolean;
  setRateLimit(perSecond: number | undefined): void;
  requests(afterSeq: number): { entries: RequestLogEntry[]; last: number };
  activity(): SimActivity;
}

const FaultBody = z.strictObject({ route: FaultTargetSchema, fault: FaultSpecSchema });
const RunFailureBody = z.strictObject({
  technique: z.string().min(1),
  code: RunErrorCodeSchema,
  message: z.string().optional(),
});
const IdempotencyBody = z.strictObject({ mode: IdempotencyModeSchema });
const RunDurationBody = z.strictObject({ ms: z.number().nonnegative() });
const RateLimitBody = z.strictObject({ perSecond: z.number().positive().nullable() });
const AfterQuery = z.coerce.number().int().nonnegative();

const OK: SimResponse = { status: 200, body: { ok: true } };

export function handleControl(
  target: ControlTarget,
  method: string,
  pathname: string,
  rawBody: string,
  query: URLSearchParams = new URLSearchParams(),
): SimResponse {
  const path = pathname.slice(CONTROL_PREFIX.length);
  const body = (): unknown => parseJsonBody(rawBody);
  const key = `${method} ${path}`;
  switch (key) {
    case 'GET /stats':
      return { status: 200, body: target.stats() };
    case 'POST /faults': {
      const { route, fault } = parseOrThrow(FaultBody, body());
      target.addFault(route, fault);
      return OK;
    }
    case 'DELETE /faults':
      target.clearFaults();
      return OK;
    case 'POST /run-failures': {
      const { technique, code, message } = parseOrThrow(RunFailureBody, body());
      if (!target.hasTechnique(technique)) {
        throw ApiError.notFound(`No technique with slug or id "${technique}".`);
      }
      target.queueRunFailure(technique, code, message);
      return OK;
    }
    case 'POST /idempotency':
      target.setIdempotencyMode(parseOrThrow(IdempotencyBody, body()).mode);
      return OK;
    case 'POST /run-duration':
      target.setRunDuration(parseOrThrow(RunDurationBody, body()).ms);
      return OK;
    case 'POST /expire-files':
      target.expireFiles();
      return OK;
    case 'POST /reset':
      target.reset();
      return OK;
    case 'POST /rate-limit':
      target.setRateLimit(parseOrThrow(RateLimitBody, body()).perSecond ?? undefined);
      return OK;
    case 'GET /requests':
      return { status: 200, body: target.requests(parseOrThrow(AfterQuery, query.get('after') ?? '0')) };
    case 'GET /activity':
      return { status: 200, body: target.activity() };
  }
  const runMatch = /^\/runs\/([^/]+)$/.exec(path);
  if (method === 'GET' && runMatch?.[1]) {
    const view = target.getRun(runMatch[1]);
    if (!view) throw ApiError.notFound(`No run "${runMatch[1]}".`);
    return { status: 200, body: view };
  }
  throw ApiError.notFound(
    `No control endpoint ${method} ${pathname}. Available: GET /_sim/stats, POST|DELETE /_sim/faults, ` +
      'POST /_sim/run-failures, POST /_sim/idempotency, POST /_sim/run-duration, POST /_sim/expire-files, ' +
      'POST /_sim/reset, POST /_sim/rate-limit, GET /_sim/requests?after=N, GET /_sim/activity, GET /_sim/runs/{run_id}.',
  );
}
