/**
 * Durable copies of FLORA run outputs: files streamed to disk with their sha256, recorded in a
 * manifest, before the output URLs expire.
 */
export { DEFAULT_MAX_BYTES, DownloadableOutput, downloadOutputs, type DownloadOptions } from './download';
export { DownloadError, DownloadErrorCode, redactUrl, type DownloadErrorInit } from './errors';
export { fetchToFile, type FetchToFileOptions, type FetchedFile } from './fetch-file';
export { DownloadManifest, ManifestEntry, mergeManifest, readManifest } from './manifest';
export { extensionFor, fileStem, mimeEssence, sanitizeFileName } from './names';
export { checkDownloadUrl, isLoopbackHost } from './url-policy';
