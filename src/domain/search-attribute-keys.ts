/**
 * Custom search attributes, so a FLORA run can be found in the Temporal UI by technique, FLORA run id
 * or pipeline. Pure definitions: safe in workflow code. `FLORA_SEARCH_ATTRIBUTES` is the one list of
 * their names and types: the dev server's flags, the register command (src/temporal/search-attributes.ts),
 * the chaos harness's PostgreSQL server and the docs are all derived from it or checked against it
 * (test/unit/search-attributes.test.ts). Registering and querying them: src/temporal/search-attributes.ts.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** The technique's slug (or `tech_` id). */
export const FloraTechniqueKey = defineSearchAttributeKey('FloraTechnique', SearchAttributeType.KEYWORD);
/** Every FLORA run id the workflow created or attached. */
export const FloraRunIdKey = defineSearchAttributeKey('FloraRunId', SearchAttributeType.KEYWORD_LIST);
/** The pipeline's name, on the pipeline and on each of its step workflows. */
export const FloraPipelineKey = defineSearchAttributeKey('FloraPipeline', SearchAttributeType.KEYWORD);

export const FLORA_SEARCH_ATTRIBUTES = [FloraTechniqueKey, FloraRunIdKey, FloraPipelineKey] as const;

/** Each type as Temporal's tools spell it (`temporal … --type Keyword`, `--search-attribute name=Keyword`, tcld, the UI). */
export const SEARCH_ATTRIBUTE_TYPE_NAMES: Record<SearchAttributeType, string> = {
  [SearchAttributeType.TEXT]: 'Text',
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.INT]: 'Int',
  [SearchAttributeType.DOUBLE]: 'Double',
  [SearchAttributeType.BOOL]: 'Bool',
  [SearchAttributeType.DATETIME]: 'Datetime',
  [SearchAttributeType.KEYWORD_LIST]: 'KeywordList',
};

const typeName = (key: { type: SearchAttributeType }) => SEARCH_ATTRIBUTE_TYPE_NAMES[key.type];

/** `--name FloraTechnique --type Keyword …`: the arguments of `temporal operator search-attribute create`. */
export function searchAttributeCreateArgs(): string[] {
  return FLORA_SEARCH_ATTRIBUTES.flatMap((key) => ['--name', key.name, '--type', typeName(key)]);
}

/** `--search-attribute FloraTechnique=Keyword …`: registers them as `temporal server start-dev` starts. */
export function startDevSearchAttributeArgs(): string[] {
  return FLORA_SEARCH_ATTRIBUTES.flatMap((key) => ['--search-attribute', `${key.name}=${typeName(key)}`]);
}
