/**
 * File names for downloaded outputs: `<prefix><outputId><ext>`, reduced to `[A-Za-z0-9._-]` so that an
 * output id from the network can never name a path outside the target directory.
 */

/** Extensions by MIME type (the essence, without parameters). */
const EXTENSIONS_BY_TYPE: Readonly<Record<string, string>> = {
  'image/png': '.png',
  'image/jpeg': '.jpg',
  'image/jpg': '.jpg',
  'image/webp': '.webp',
  'image/gif': '.gif',
  'video/mp4': '.mp4',
  'video/webm': '.webm',
  'video/quicktime': '.mov',
  'audio/mpeg': '.mp3',
  'audio/mp3': '.mp3',
  'audio/wav': '.wav',
  'audio/wave': '.wav',
  'audio/x-wav': '.wav',
  'application/pdf': '.pdf',
  'text/plain': '.txt',
};

/** File systems cap names at 255 bytes; leave room for the extension and `.partial`. */
const MAX_STEM_LENGTH = 200;

/**
 * Replaces every character outside `[A-Za-z0-9._-]` with `_`, and leading dots too (no hidden files,
 * no `.` or `..`). `../../etc/passwd` becomes `___.._etc_passwd`: a plain name in the target directory.
 */
export function sanitizeFileName(name: string): string {
  const safe = name
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/^\.+/, (dots) => '_'.repeat(dots.length))
    .slice(0, MAX_STEM_LENGTH);
  return safe === '' ? '_' : safe;
}

/** The part of a file name before its extension: `<prefix><outputId>`, sanitized. */
export function fileStem(prefix: string, outputId: string): string {
  return sanitizeFileName(`${prefix}${outputId}`);
}

/** `image/png; charset=binary` → `image/png`. */
export function mimeEssence(contentType: string | undefined): string | undefined {
  const essence = contentType?.split(';', 1)[0]?.trim().toLowerCase();
  return essence === '' ? undefined : essence;
}

/**
 * The extension (with its dot) for a file: from the content-type when it is one we know, else from the
 * last segment of the URL's path (`.../clip.MOV?sig=...` → `.mov`), else `.bin`.
 */
export function extensionFor(contentType: string | undefined, url: string): string {
  const essence = mimeEssence(contentType);
  const known = essence === undefined ? undefined : EXTENSIONS_BY_TYPE[essence];
  if (known) return known;
  let pathname: string;
  try {
    pathname = new URL(url).pathname;
  } catch {
    return '.bin';
  }
  const last = pathname.split('/').pop() ?? '';
  const match = /\.([A-Za-z0-9]{1,8})$/.exec(last);
  return match?.[1] ? `.${match[1].toLowerCase()}` : '.bin';
}

/** A file name without its extension (the last `.xxx`): the stem it was built from. */
export function stemOf(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  return dot > 0 ? fileName.slice(0, dot) : fileName;
}
