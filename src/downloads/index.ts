/**
 * Durable copies of FLORA run outputs: files streamed to disk with their sha256, recorded in a
 * manifest, before the output URLs expire.
 */
export { DownloadableOutput, downloadOutputs } from './download';
export { DownloadError, DownloadErrorCode, redactUrl } from './errors';
export { fetchToFile } from './fetch-file';
export { ManifestEntry, readManifest } from './manifest';
export { extensionFor, sanitizeFileName } from './names';
export { checkDownloadUrl } from './url-policy';
