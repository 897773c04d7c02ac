/**
 * Maps a method and a path below `/api/v1` to a FLORA route. Paths are matched exactly (no trailing
 * slash, no double slash) so a client that builds URLs sloppily is caught here, not in production.
 */
import type { SimRoute } from './schemas';

export const API_PREFIX = '/api/v1';

export type RouteMatch =
  | { kind: 'route'; route: SimRoute; params: Record<string, string> }
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

  const candidates: Array<{ method: string; route: SimRoute; params: Record<string, string> }> = [];
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
