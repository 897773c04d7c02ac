/**
 * The two baseline workflows (Temporal's frequent- and infrequent-polling patterns). Benchmark only:
 * they exist to be compared with runTechnique, not to be used.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { BaselineActivities, BaselineOutcome } from './activities';

export interface BaselineInput {
  slug: string;
  prompt: string;
  /** Poll interval, in ms: the sleep in the frequent pattern, the retry interval in the infrequent one. */
  intervalMs: number;
  /** How long the frequent pattern's activity may go without a heartbeat, in ms. */
  heartbeatTimeoutMs: number;
}

const { baselineCreate } = proxyActivities<BaselineActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
});

function idempotencyKey(prompt: string): string {
  return `baseline-${prompt}`;
}

export async function frequentPolling(input: BaselineInput): Promise<BaselineOutcome> {
  const run = await baselineCreate({
    slug: input.slug,
    prompt: input.prompt,
    idempotencyKey: idempotencyKey(input.prompt),
  });
  const { baselinePollHeartbeating } = proxyActivities<BaselineActivities>({
    startToCloseTimeout: '7h',
    heartbeatTimeout: input.heartbeatTimeoutMs,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
  });
  return baselinePollHeartbeating({ ...run, intervalMs: input.intervalMs });
}

export async function infrequentPolling(input: BaselineInput): Promise<BaselineOutcome> {
  const run = await baselineCreate({
    slug: input.slug,
    prompt: input.prompt,
    idempotencyKey: idempotencyKey(input.prompt),
  });
  const { baselineCheckOnce } = proxyActivities<BaselineActivities>({
    startToCloseTimeout: '30s',
    // The retry policy is the poll timer: a fixed interval, unlimited attempts.
    retry: { initialInterval: input.intervalMs, backoffCoefficient: 1, maximumInterval: input.intervalMs },
  });
  return baselineCheckOnce(run);
}
