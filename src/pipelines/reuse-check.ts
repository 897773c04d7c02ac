/**
 * Checking a resume's offered runs before they are taken: which output URLs and saved files to ask the
 * worker about (one `checkOutputs` activity call), and what its answer means for each run. Pure: the
 * workflow makes the call.
 */
import type { OutputRef } from '../domain/run-request';
import type { ReuseCheck, ReuseOffer } from './scheduler-types';

/** What one `checkOutputs` call answers: per URL null (it answers) or why not; per file whether it exists. */
export interface OutputCheckAnswer {
  urls: (string | null)[];
  files: boolean[];
}

/** The answer used when the check itself could not be made: every output taken unchecked. */
export const NO_ANSWER: OutputCheckAnswer = { urls: [], files: [] };

/**
 * Only an answer that says so means expired: a 4xx (403 on a signed URL past its time, 404, 410). No
 * answer at all (DNS, a timeout) may be this worker's network, so the paid output is taken, noted; the
 * check activity reports a throttled or timed-out request (408, 425, 429) as no answer too.
 */
export function isExpiredAnswer(problem: string): boolean {
  return /^HTTP 4\d\d/.test(problem);
}

function listed(offers: readonly ReuseOffer[]) {
  const runs = offers.flatMap((o) => o.runs);
  return {
    urls: runs.flatMap((r) => r.outputs.filter((o) => o.type !== 'text')),
    files: runs.flatMap((r) => r.localFiles ?? []),
  };
}

/** The request: every offered output that is a URL (text outputs are not), and every saved copy. */
export function outputsToCheck(offers: readonly ReuseOffer[]): { urls: string[]; files: string[] } {
  const { urls, files } = listed(offers);
  return { urls: urls.map((o) => o.url), files: files.map((f) => f.file) };
}

/** Per offer, per run (in their order): its expired and unchecked outputs, and the saved copies found. */
export function reuseChecks(offers: readonly ReuseOffer[], answer: OutputCheckAnswer): ReuseCheck[][] {
  const { urls, files } = listed(offers);
  const problemOf = new Map(urls.map((o, i) => [o, answer.urls[i] ?? null]));
  const hasFile = new Map(files.map((f, i) => [f, answer.files[i] ?? false]));
  const problems = (outputs: readonly OutputRef[]) =>
    outputs.flatMap((o) => {
      const problem = problemOf.get(o);
      return problem ? [{ outputId: o.outputId, url: o.url, problem }] : [];
    });
  return offers.map((offer) =>
    offer.runs.map((run) => ({
      expired: problems(run.outputs).filter((p) => isExpiredAnswer(p.problem)),
      unchecked: problems(run.outputs).filter((p) => !isExpiredAnswer(p.problem)),
      localFiles: (run.localFiles ?? []).filter((f) => hasFile.get(f) === true),
    })),
  );
}
