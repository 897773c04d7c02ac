/** The URL rules FLORA applies to what it fetches or calls (https only), and how a wrong value is named. Pure. */

/** A problem message, or undefined for a well-formed https:// URL with a host. */
export function checkHttpsUrl(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `expected an https:// URL, got "${truncate(value)}"`;
  }
  if (url.protocol === 'http:')
    return `expected an https:// URL (FLORA rejects plain http), got "${truncate(value)}"`;
  if (url.protocol !== 'https:') return `expected an https:// URL, got a ${url.protocol} URL`;
  if (!url.hostname) return `expected an https:// URL with a host, got "${truncate(value)}"`;
  return undefined;
}

function truncate(value: string): string {
  return value.length > 80 ? `${value.slice(0, 77)}...` : value;
}

/** `null`, `an array`, `an object`, `a number`...: for "expected X, got Y". */
export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
