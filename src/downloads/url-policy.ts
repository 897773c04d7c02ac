/**
 * Which URLs the downloader will fetch. Output URLs come from the network (FLORA's responses), so a
 * hostile or broken one must not make a worker fetch `file://`, talk plain HTTP across the internet,
 * or be redirected into either. Applied to every redirect hop as well as to the first URL.
 */
import { isLoopbackHost } from '../domain/loopback';
import { DownloadError } from './errors';

/** Parses and checks a URL; throws a `refused_url` DownloadError naming what is allowed. */
export function checkDownloadUrl(url: string | URL, allowHttpLoopback: boolean, outputId?: string): URL {
  const text = String(url);
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw DownloadError.refused(text, 'it is not a valid absolute URL.', outputId);
  }
  if (parsed.protocol === 'https:') return parsed;
  if (parsed.protocol === 'http:') {
    if (allowHttpLoopback && isLoopbackHost(parsed.hostname)) return parsed;
    const why = allowHttpLoopback
      ? 'plain http:// is accepted only for loopback hosts (127.0.0.0/8, localhost, ::1); use https://.'
      : 'plain http:// is not accepted (allowHttpLoopback is off); use https://.';
    throw DownloadError.refused(text, why, outputId);
  }
  throw DownloadError.refused(
    text,
    `the ${parsed.protocol.replace(/:$/, '')} scheme is not supported; only https:// URLs are downloaded.`,
    outputId,
  );
}
