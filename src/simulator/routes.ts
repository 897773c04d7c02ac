/**
 * Maps a method and a path below `/api/v1` to a FLORA route, and a path below `/files` to the
 * output-file route. Paths are matched exactly (no trailing slash, no double slash) so a client that
 * builds URLs sloppily is caught here, not in production.
 */
import type { ApiRoute, SimRoute } from './schemas';

export const API_PREFIX = '/api/v1';
/** Output files live outside the API, unauthenticated, the way signed CDN URLs are. */
export const FILES_PREFIX = '/files';

export type RouteMatch =
  | { kind: 'route'; route: ApiRoute; params: Record<string, string> }
  | { kind: 'route'; route: Extract<SimRoute, 'getFile'>; params: Record<string, string> }
  | { kind: 'methodNotAllowed'; allowed: string[] }
  | { kind: 'notFound' };

function decodeSegments(path: string): string[] | undefined {
  try {
    return path.split('/').map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
}

export function matchApiRoute(method: string, pathname: string): RouteMatch {
  if (!pathname.startsWith(`${API_PREFIX}/`)) return { kind: 'notFound' };
  const segments = decodeSegments(pathname.slice(API_PREFIX.length + 1));
  if (!segments || segments.some((s) => s === '')) return { kind: 'notFound' };

  const candidates: Array<{ method: string; route: ApiRoute; params: Record<string, string> }> = [];
  const [a, b, c, d] = segments;
  switch (segments.length) {
    case 1:
      if (a === 'techniques') candidates.push({ method: 'GET', route: 'listTechniques', params: {} });
      if (a === 'technique-runs') candidates.push({ method: 'GET', route: 'listRuns', params: {} });
      break;
    case 2:
      if (a === 'techniques' && b)
        candidates.push({ method: 'GET', route: 'getTechnique', params: { technique: b } });
      if (a === 'runs' && b === 'technique')
        candidates.push({ method: 'POST', route: 'createRunTopLevel', params: {} });
      break;
    case 3:
      if (a === 'techniques' && b && c === 'runs') {
        candidates.push({ method: 'POST', route: 'createRunNested', params: { technique: b } });
      }
      break;
    case 4:
      if (a === 'techniques' && b && c === 'runs' && d) {
        candidates.push({ method: 'GET', route: 'getRun', params: { technique: b, runId: d } });
      }
      break;
  }
  const hit = candidates.find((r) => r.method === method);
  if (hit) return { kind: 'route', route: hit.route, params: hit.params };
  if (candidates.length > 0) return { kind: 'methodNotAllowed', allowed: candidates.map((r) => r.method) };
  return { kind: 'notFound' };
}

/** `/files/runs/{run_id}/{output file}`; the file segment is the output id plus an extension. */
export function matchFileRoute(method: string, pathname: string): RouteMatch {
  if (!pathname.startsWith(`${FILES_PREFIX}/`)) return { kind: 'notFound' };
  const segments = decodeSegments(pathname.slice(FILES_PREFIX.length + 1));
  if (!segments || segments.length !== 3 || segments.some((s) => s === '')) return { kind: 'notFound' };
  const [a, runId, file] = segments;
  if (a !== 'runs' || !runId || !file) return { kind: 'notFound' };
  // HEAD comes free: node:http sends the headers of a GET answer and drops its body.
  if (method !== 'GET' && method !== 'HEAD') return { kind: 'methodNotAllowed', allowed: ['GET', 'HEAD'] };
  return { kind: 'route', route: 'getFile', params: { runId, file } };
}
