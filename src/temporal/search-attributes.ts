/**
 * Checks whether a namespace has our search attributes registered. Starting a workflow with an
 * unregistered search attribute fails, so clients set them only where they exist, and workflows upsert
 * them only when they were given some at start.
 */
import type { Connection } from '@temporalio/client';
import { FLORA_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';

type OperatorService = Connection['operatorService'];

export const REGISTER_COMMAND =
  'temporal operator search-attribute create --namespace <namespace> --name FloraTechnique --type Keyword --name FloraRunId --type KeywordList --name FloraPipeline --type Keyword';

/** A string literal for a visibility query (`FloraRunId = '…'`). */
export function visibilityString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** The names of our search attributes missing from the namespace (empty when all are registered). */
export async function missingSearchAttributes(
  operator: OperatorService,
  namespace: string,
): Promise<string[]> {
  const response = await operator.listSearchAttributes({ namespace });
  const known = new Set(Object.keys(response.customAttributes ?? {}));
  return FLORA_SEARCH_ATTRIBUTES.map((key) => key.name).filter((name) => !known.has(name));
}

/** Cached per connection and namespace: the answer does not change while a process runs. */
const cache = new WeakMap<object, Map<string, Promise<boolean>>>();

export function searchAttributesRegistered(operator: OperatorService, namespace: string): Promise<boolean> {
  let byNamespace = cache.get(operator);
  if (!byNamespace) {
    byNamespace = new Map();
    cache.set(operator, byNamespace);
  }
  let answer = byNamespace.get(namespace);
  if (!answer) {
    answer = missingSearchAttributes(operator, namespace).then(
      (missing) => missing.length === 0,
      () => false, // no permission to list them (e.g. a restricted Cloud key): run without
    );
    byNamespace.set(namespace, answer);
  }
  return answer;
}
