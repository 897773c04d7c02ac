/**
 * What makes two starts under one workflow id "the same request": a sha256 over canonical JSON (keys
 * sorted, `undefined` dropped), kept per part so a refusal can say what differs. The client records
 * it in the workflow's memo at start; workflows never read or change it.
 */
import { createHash } from 'node:crypto';
import type { PipelineSpecInput } from '../pipelines/spec';
import type { RunTechniqueInput } from '../workflows/types';

/** The memo key under which the client records the fingerprint. */
export const FINGERPRINT_MEMO_KEY = 'requestFingerprint';

export interface RequestFingerprint {
  version: 1;
  kind: 'run' | 'pipeline';
  /** sha256 of the whole request; equal requests have equal digests. */
  sha256: string;
  /** sha256 per part (technique, inputs, options; or each top-level field of a pipeline spec). */
  parts: Record<string, string>;
}

/** JSON with object keys sorted at every level and `undefined` members left out. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value))
    return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function build(kind: RequestFingerprint['kind'], parts: Record<string, unknown>): RequestFingerprint {
  const digests = Object.fromEntries(
    Object.entries(parts)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, sha256(canonicalJson(v))]),
  );
  return { version: 1, kind, sha256: sha256(canonicalJson({ kind, parts: digests })), parts: digests };
}

/**
 * A technique run's request: which technique (slug, or id and workspace), its inputs, its options.
 * Fields only flora's workflows set (`continued`, formerly `resume`, on continue-as-new; `reportTo` and
 * `schema` from a pipeline: see RunTechniqueWireInput) are not part of the request, so a continued run's
 * input fingerprints like its first one.
 */
export function runFingerprint(input: RunTechniqueInput): RequestFingerprint {
  return build('run', {
    technique: {
      technique: input.technique,
      techniqueId: input.techniqueId,
      workspaceId: input.workspaceId,
    },
    inputs: input.inputs ?? {},
    options: input.options ?? {},
  });
}

/** A pipeline's request is its spec; each top-level field (name, steps, budgetUsd, …) is a part. */
export function pipelineFingerprint(spec: PipelineSpecInput): RequestFingerprint {
  return build('pipeline', { ...(spec as unknown as Record<string, unknown>) });
}

/** Reads a fingerprint back from a memo value; undefined when absent or not one of ours. */
export function readFingerprint(value: unknown): RequestFingerprint | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const v = value as Partial<RequestFingerprint>;
  if (v.version !== 1 || typeof v.sha256 !== 'string' || typeof v.parts !== 'object' || v.parts === null)
    return undefined;
  if (v.kind !== 'run' && v.kind !== 'pipeline') return undefined;
  return v as RequestFingerprint;
}

/** The parts that differ ("technique", "inputs", "steps", …); empty when the requests are equal. */
export function differingParts(recorded: RequestFingerprint, requested: RequestFingerprint): string[] {
  if (recorded.kind !== requested.kind) return ['kind'];
  if (recorded.sha256 === requested.sha256) return [];
  const names = new Set([...Object.keys(recorded.parts), ...Object.keys(requested.parts)]);
  return [...names].filter((n) => recorded.parts[n] !== requested.parts[n]).sort();
}
