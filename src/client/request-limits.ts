/**
 * Checks the client library makes before a run starts, stricter than the workflow's own validation
 * (which stays permissive so recorded histories replay): what FLORA would refuse only after the
 * workflow had started, reported here with the field that causes it.
 */
import type { RunTechniqueInput } from '../workflows/types';

/** FLORA refuses request bodies over 1 MiB (413 payload_too_large); the inputs leave room for the rest. */
export const MAX_INPUTS_BYTES = 1_000_000;

/** FLORA run ids look like `run_…` (FLORA_API.md). */
const RUN_ID = /^run_[A-Za-z0-9_-]{1,200}$/;

export function clientRequestProblems(input: RunTechniqueInput): string[] {
  const problems: string[] = [];
  const attach = input.options?.attachRunId;
  if (typeof attach === 'string' && !RUN_ID.test(attach))
    problems.push(
      `options.attachRunId: expected a FLORA run id such as "run_…", got ${JSON.stringify(attach.slice(0, 40))}`,
    );
  const inputs: Record<string, unknown> =
    input.inputs !== null && typeof input.inputs === 'object' ? input.inputs : {};
  let total = 0;
  let largest: [string, number] | undefined;
  for (const [id, value] of Object.entries(inputs)) {
    const bytes = Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
    total += bytes;
    if (!largest || bytes > largest[1]) largest = [id, bytes];
  }
  if (total > MAX_INPUTS_BYTES && largest)
    problems.push(
      `inputs.${largest[0]}: ${largest[1]} bytes; FLORA refuses requests over 1 MiB (the inputs total ${total} bytes, at most ${MAX_INPUTS_BYTES})`,
    );
  return problems;
}
