/**
 * Which hosts are loopback: plain http there never leaves the machine. One rule for the FLORA client's
 * configuration (warn about an http:// base URL), the downloader (http:// output URLs) and the client
 * library's polling floor (fast polling only against a loopback simulator). Pure: no Node built-ins.
 */

/** An IPv4 address in dotted-quad form, octets without leading zeros (as `net.isIPv4` accepts). */
const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]\\d|\\d)';
const LOOPBACK_IPV4 = new RegExp(`^127(?:\\.${OCTET}){3}$`);

/** 127.0.0.0/8, `localhost` and `::1`. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (host === 'localhost' || host === '[::1]' || host === '::1') return true;
  // WHATWG URL parsing already normalised `127.1` and `0x7f.1` to dotted-quad form.
  return LOOPBACK_IPV4.test(host);
}
