/**
 * `--download DIR`: saves a finished run's or pipeline's outputs on this machine (streamed, with content
 * type and sha256 in DIR/manifest.json) before FLORA's URLs expire.
 */
import { downloadOutputs, type ManifestEntry } from '../downloads';
import type { PipelineResult } from '../pipelines/types';
import type { RunTechniqueResult } from '../workflows/types';
import type * as Errors from './errors';
import { CliError } from './support';

export async function saveRunOutputs(result: RunTechniqueResult, dir: string): Promise<ManifestEntry[]> {
  return (await downloadOutputs(result.outputs, dir)).files;
}

/** Each step run's outputs, prefixed `<step>-<index>-` so steps never overwrite each other. */
export async function savePipelineOutputs(result: PipelineResult, dir: string): Promise<ManifestEntry[]> {
  const saved: ManifestEntry[] = [];
  for (const [stepId, step] of Object.entries(result.steps)) {
    for (const run of step.runs) {
      if (run.outputs.length === 0) continue;
      saved.push(...(await downloadOutputs(run.outputs, dir, { prefix: `${stepId}-${run.index}-` })).files);
    }
  }
  return saved;
}

/**
 * Wraps a saver for `awaitWorkflow`'s `finish`: saves, reports on stderr, adds `downloads` to the result.
 * A failure names the command that saves them again (files already saved are kept, not fetched again).
 */
export function withDownloads<R extends object>(
  dir: string,
  save: (result: R, dir: string) => Promise<ManifestEntry[]>,
  io: { stderr: (text: string) => void },
  workflowId: string,
): (result: R) => Promise<R & { downloads: ManifestEntry[] }> {
  return async (result) => {
    let downloads: ManifestEntry[];
    try {
      downloads = await save(result, dir);
    } catch (err) {
      const { explainError } = require('./errors') as typeof Errors;
      throw new CliError(
        `${explainError(err).replace(/\.?$/, '.')} Save them again with: flora-temporal download ${workflowId} ${dir} --overwrite ` +
          '(files already saved are kept)',
        1,
        'download_failed',
      );
    }
    const bytes = downloads.reduce((sum, d) => sum + d.bytes, 0);
    io.stderr(
      `saved ${downloads.length} file(s), ${bytes} bytes, to ${dir} (manifest.json lists content types and sha256)\n`,
    );
    return { ...result, downloads };
  };
}
