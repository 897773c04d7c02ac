/**
 * FLORA's run callbacks (FLORA_API.md, "Webhooks"): when a run created with a `callback_url` ends, one
 * signed event is POSTed to that URL, and retried up to 3 times while the receiver does not answer 2xx.
 * Test knobs model what goes wrong on the way: lost, late, duplicated, forged or stale deliveries.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { isTerminal, runStateAt } from './lifecycle';
import type { RunRecord } from './runs';

export const DEFAULT_WEBHOOK_SECRET = 'whsec_simulator';
export const WEBHOOK_API_VERSION = '2025-01-01';
/** FLORA retries a delivery up to 3 times after the first attempt. */
export const DELIVERY_RETRIES = 3;

export interface CallbackSettings {
  /**
   * Deliver to this origin (`http://127.0.0.1:PORT`) instead of the callback URL's, keeping its path and
   * query: the TLS-terminating proxy a real receiver sits behind, since FLORA only calls https URLs.
   */
  deliverTo: string | undefined;
  /** Share of runs whose callback is never sent (0..1), drawn per run. */
  dropRate: number;
  /** Extra wait before the first attempt, in ms. */
  delayMs: number;
  /** Send every delivery twice with the same id, as a retry after a lost 2xx answer would. */
  duplicate: boolean;
  /** Sign with a secret that is not the workspace's. */
  forge: boolean;
  /** Date the signature this many seconds in the past (over 300 makes it stale). */
  ageSeconds: number;
  /** Wait before a retry, doubling each time, in ms. */
  retryDelayMs: number;
}

export const DEFAULT_CALLBACK_SETTINGS: CallbackSettings = {
  deliverTo: undefined,
  dropRate: 0,
  delayMs: 0,
  duplicate: false,
  forge: false,
  ageSeconds: 0,
  retryDelayMs: 1_000,
};

/** One attempt to deliver one event, for tests to inspect. */
export interface DeliveryRecord {
  deliveryId: string;
  runId: string;
  type: string;
  attempt: number;
  /** The receiver's HTTP status, 'dropped' (never sent) or 'error' (no answer). */
  outcome: number | 'dropped' | 'error';
}

/**
 * FLORA's side of the signature, written apart from the receiver's verifier (src/webhooks) so each checks
 * the other: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body" keyed with the whsec_ secret>`.
 */
export function floraSignature(secret: string, timestamp: number, body: string): string {
  const v1 = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${v1}`;
}

export class CallbackSender {
  settings: CallbackSettings = { ...DEFAULT_CALLBACK_SETTINGS };
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly aborts = new Set<AbortController>();
  private readonly log: DeliveryRecord[] = [];
  private closed = false;

  constructor(
    private readonly secret: string,
    private readonly now: () => number,
    private readonly random: () => number,
  ) {}

  /** Schedules the run's end event, if it asked for one. Called once per run actually created. */
  runCreated(run: RunRecord): void {
    if (run.callbackUrl === undefined || this.closed) return;
    const settings = { ...this.settings };
    const deliveryId = `whd_${randomBytes(12).toString('hex')}`;
    if (this.random() < settings.dropRate) {
      this.log.push({ deliveryId, runId: run.runId, type: 'run.end', attempt: 0, outcome: 'dropped' });
      return;
    }
    const endsInMs = Math.max(0, run.createdAtMs + run.durationMs - this.now());
    // +1: the run must read as ended when the timer fires.
    this.after(endsInMs + 1 + settings.delayMs, () => {
      const copies = settings.duplicate ? 2 : 1;
      for (let i = 0; i < copies; i++) void this.deliver(run, deliveryId, settings, 1);
    });
  }

  deliveries(): DeliveryRecord[] {
    return this.log.map((d) => ({ ...d }));
  }

  /** Cancels pending deliveries and forgets the log; settings go back to their defaults. */
  reset(): void {
    this.cancelAll();
    this.log.length = 0;
    this.settings = { ...DEFAULT_CALLBACK_SETTINGS };
  }

  close(): void {
    this.closed = true;
    this.cancelAll();
  }

  private cancelAll(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const a of this.aborts) a.abort();
    this.aborts.clear();
  }

  private after(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }

  private async deliver(
    run: RunRecord,
    deliveryId: string,
    settings: CallbackSettings,
    attempt: number,
  ): Promise<void> {
    if (this.closed || run.callbackUrl === undefined) return;
    const nowMs = this.now();
    const state = runStateAt(run, nowMs);
    if (!isTerminal(state.status)) return; // a reset clock; nothing to say yet
    const type = state.status === 'completed' ? 'run.completed' : 'run.failed';
    const data: Record<string, unknown> = {
      run_id: run.runId,
      run_type: 'technique',
      workspace_id: run.workspaceId,
      status: state.status,
    };
    if (run.outcome.kind === 'failed') {
      data.error_code = run.outcome.code;
      data.error_message = run.outcome.message;
    }
    const body = JSON.stringify({
      id: deliveryId,
      type,
      api_version: WEBHOOK_API_VERSION,
      created_at: nowMs,
      data,
    });
    const timestamp = Math.floor(nowMs / 1000) - settings.ageSeconds;
    const secret = settings.forge ? `whsec_forged_${randomBytes(8).toString('hex')}` : this.secret;
    const url = new URL(run.callbackUrl);
    const target = settings.deliverTo
      ? `${settings.deliverTo.replace(/\/+$/, '')}${url.pathname}${url.search}`
      : url.href;
    const abort = new AbortController();
    this.aborts.add(abort);
    const timeout = setTimeout(() => abort.abort(), 10_000);
    let outcome: DeliveryRecord['outcome'];
    try {
      const res = await fetch(target, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'FLORA-Webhooks/simulator',
          'flora-signature': floraSignature(secret, timestamp, body),
          'flora-webhook-id': deliveryId,
          'flora-event': type,
        },
        body,
        signal: abort.signal,
      });
      await res.arrayBuffer().catch(() => undefined);
      outcome = res.status;
    } catch {
      outcome = 'error';
    } finally {
      clearTimeout(timeout);
      this.aborts.delete(abort);
    }
    if (this.closed) return;
    this.log.push({ deliveryId, runId: run.runId, type, attempt, outcome });
    const delivered = typeof outcome === 'number' && outcome >= 200 && outcome < 300;
    if (!delivered && attempt <= DELIVERY_RETRIES) {
      this.after(
        settings.retryDelayMs * 2 ** (attempt - 1),
        () => void this.deliver(run, deliveryId, settings, attempt + 1),
      );
    }
  }
}
