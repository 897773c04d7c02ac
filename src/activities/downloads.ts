/**
 * The download activity: FLORA's output URLs expire, so a workflow can have the worker save them under
 * its download root (FLORA_DOWNLOAD_ROOT), each file with its content type and sha256 in a manifest.
 */
import { isAbsolute, join, normalize, sep } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import { DownloadError, downloadOutputs, type ManifestEntry } from '../downloads';
import type { RunOutputInfo } from './types';

export interface DownloadRequest {
  outputs: RunOutputInfo[];
  /** A relative directory under the worker's download root. */
  subdir: string;
  /** Put in front of every file name. */
  prefix?: string;
}

/**
 * Heartbeats while a download is alive: one per chunk (throttled by the SDK) and one on this interval,
 * so a slow server, which sends no chunk for a while, is not taken for a dead worker. With the preset's
 * `heartbeatTimeout`, a worker that dies mid-download is noticed in seconds and the download retried
 * elsewhere (files already complete are kept), instead of after `startToCloseTimeout`.
 */
export const DOWNLOAD_HEARTBEAT_INTERVAL_MS = 2_000;

export const DownloadFailureType = {
  InvalidDirectory: 'invalid_download_dir',
  NoDownloadRoot: 'downloads_disabled',
} as const;

/** Resolves `subdir` under `root`, refusing absolute paths and `..` so a workflow input cannot write elsewhere. */
export function resolveUnder(root: string, subdir: string): string | undefined {
  if (subdir.trim() === '' || isAbsolute(subdir)) return undefined;
  const normalized = normalize(subdir);
  if (normalized === '..' || normalized.startsWith(`..${sep}`) || normalized.split(sep).includes('..'))
    return undefined;
  return join(root, normalized);
}

export function createDownloadActivities({ root }: { root: string | undefined }) {
  return {
    async downloadRunOutputs(req: DownloadRequest): Promise<ManifestEntry[]> {
      if (root === undefined) {
        throw ApplicationFailure.create({
          type: DownloadFailureType.NoDownloadRoot,
          message:
            'This worker has no download root: set FLORA_DOWNLOAD_ROOT on the worker to enable options.downloadTo',
          nonRetryable: true,
        });
      }
      const dir = resolveUnder(root, req.subdir);
      if (dir === undefined) {
        throw ApplicationFailure.create({
          type: DownloadFailureType.InvalidDirectory,
          message: `options.downloadTo must be a relative directory without "..", got "${req.subdir}"`,
          nonRetryable: true,
        });
      }
      let context: Context | undefined;
      try {
        context = Context.current();
      } catch {
        context = undefined; // called outside an activity (unit tests)
      }
      const signal = context?.cancellationSignal;
      let bytes = 0;
      const beat = (): void => context?.heartbeat({ bytes });
      const timer = setInterval(beat, DOWNLOAD_HEARTBEAT_INTERVAL_MS);
      try {
        const manifest = await downloadOutputs(req.outputs, dir, {
          prefix: req.prefix ?? '',
          ...(signal ? { signal } : {}),
          onChunk: (n) => {
            bytes += n;
            beat();
          },
        });
        return manifest.files;
      } catch (err) {
        if (err instanceof DownloadError) {
          throw ApplicationFailure.create({
            type: `download_${err.code}`,
            message: err.message,
            nonRetryable: !err.retryable,
            details: [{ url: err.url, status: err.status, outputId: err.outputId }],
          });
        }
        throw err;
      } finally {
        clearInterval(timer);
      }
    },
  };
}
