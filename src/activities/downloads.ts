/**
 * The download activity: FLORA's output URLs expire, so a workflow can have the worker save them under
 * its download root (FLORA_DOWNLOAD_ROOT), each file with its content type and sha256 in a manifest.
 */
import { isAbsolute, join, normalize, sep } from 'node:path';
import { Context } from '@temporalio/activity';
import { downloadFailure, downloadsDisabled, invalidDownloadDir } from '../domain/failures';
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
      if (root === undefined) throw downloadsDisabled();
      const dir = resolveUnder(root, req.subdir);
      if (dir === undefined) throw invalidDownloadDir(req.subdir);
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
        if (err instanceof DownloadError) throw downloadFailure(err);
        throw err;
      } finally {
        clearInterval(timer);
      }
    },
  };
}
