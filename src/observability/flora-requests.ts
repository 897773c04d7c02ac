/**
 * One hook for every FLORA request the worker makes: a structured log line (route, status,
 * request-id, duration; never the API key) and the `flora_requests` counter by route and status.
 */
import type { Logger, MetricMeter } from '@temporalio/common';
import type { FloraRequestEvent } from '../flora/client';

export function floraRequestObserver(logger: Logger, meter: MetricMeter): (event: FloraRequestEvent) => void {
  const requests = meter.createCounter(
    'flora_requests',
    'requests',
    'FLORA HTTP requests by route and status',
  );
  return (event) => {
    const status = event.status === undefined ? (event.errorCode ?? 'error') : String(event.status);
    requests.add(1, { route: event.route, status });
    const attrs = {
      route: event.route,
      status,
      requestId: event.requestId,
      durationMs: event.durationMs,
      ...(event.errorCode ? { errorCode: event.errorCode } : {}),
    };
    if (event.errorCode) logger.warn('FLORA request failed', attrs);
    else if (event.method === 'POST') logger.info('FLORA request', attrs);
    else logger.debug('FLORA request', attrs);
  };
}
