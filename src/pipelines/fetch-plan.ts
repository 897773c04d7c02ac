/**
 * "Fetch the schemas, then plan", once for the workflow (through the getTechnique activity), the CLI's
 * `pipeline validate` and the demo (through the FLORA client). Pure orchestration: the caller brings the
 * fetch, so this stays safe for workflow code.
 */
import type { TechniqueInfo } from '../domain/technique';
import { planPipeline, techniqueKeys } from './plan';
import type { PipelineSpec } from './spec';

export type PlanOutcome = ReturnType<typeof planPipeline>;

/**
 * Fetches each technique's schema once, all at once in `techniqueKeys` order (the workflow schedules its
 * activities in that order: replay depends on it), then plans the spec. A fetch that yields `undefined`
 * (its caller recorded why) leaves that technique without a schema, which the plan reports.
 */
export async function fetchSchemasAndPlan(
  spec: PipelineSpec,
  fetchSchema: (key: string) => Promise<TechniqueInfo | undefined>,
): Promise<PlanOutcome> {
  const keys = techniqueKeys(spec);
  const fetched = await Promise.all(keys.map((key) => fetchSchema(key)));
  const schemas: Record<string, TechniqueInfo> = {};
  keys.forEach((key, i) => {
    const schema = fetched[i];
    if (schema !== undefined) schemas[key] = schema;
  });
  return planPipeline(spec, schemas);
}
