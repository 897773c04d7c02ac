/**
 * Custom search attributes, so a FLORA run can be found in the Temporal UI by technique, FLORA run id
 * or pipeline. Pure definitions: safe in workflow code. Registering and querying them: src/temporal/search-attributes.ts.
 *
 * Register them once per namespace (the dev server started by the tests and the demo does it):
 *   temporal operator search-attribute create --namespace default \
 *     --name FloraTechnique --type Keyword --name FloraRunId --type KeywordList --name FloraPipeline --type Keyword
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** The technique's slug (or `tech_` id). */
export const FloraTechniqueKey = defineSearchAttributeKey('FloraTechnique', SearchAttributeType.KEYWORD);
/** Every FLORA run id the workflow created or attached. */
export const FloraRunIdKey = defineSearchAttributeKey('FloraRunId', SearchAttributeType.KEYWORD_LIST);
/** The pipeline's name, on the pipeline and on each of its step workflows. */
export const FloraPipelineKey = defineSearchAttributeKey('FloraPipeline', SearchAttributeType.KEYWORD);

export const FLORA_SEARCH_ATTRIBUTES = [FloraTechniqueKey, FloraRunIdKey, FloraPipelineKey] as const;
