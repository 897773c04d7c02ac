/**
 * The flags `run` and `pipeline run` share, defined once so their help reads the same: which workflow a
 * start is (`--workflow-id`, `--rerun`), and what happens after it (`--wait`, `--download`, `--json`).
 */
import { Option } from 'commander';

/** `--workflow-id` and `--rerun`: an idempotent start, or a deliberate second one. */
export function workflowIdFlags(): Option[] {
  return [
    new Option(
      '--workflow-id <id>',
      'Temporal workflow id: the same request attaches to it (or returns its result); a different one is refused',
    ),
    new Option(
      '--rerun',
      'with --workflow-id: start again a workflow that failed or was cancelled (billed again)',
    ),
  ];
}

/** `--wait`, `--download <dir>` (what it saves, in `downloadHelp`), `--overwrite` and `--json`. */
export function waitFlags(downloadHelp: string): Option[] {
  return [
    new Option('--wait', 'wait for the result'),
    new Option('--download <dir>', downloadHelp),
    new Option('--overwrite', 'with --download: use a directory that is not empty (same names are replaced)'),
    new Option('--json', 'machine-readable output on stdout'),
  ];
}
