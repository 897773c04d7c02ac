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

/** The register command for one namespace. */
export function registerCommand(namespace: string): string {
  return REGISTER_COMMAND.replace('<namespace>', namespace);
}

/** Flags that give a `temporal server start-dev` server our search attributes from the start. */
export const START_DEV_FLAGS =
  '--search-attribute FloraTechnique=Keyword --search-attribute FloraRunId=KeywordList --search-attribute FloraPipeline=Keyword';

/** A visibility query needs search attributes the namespace does not have. */
export class SearchAttributesMissingError extends Error {
  override readonly name = 'SearchAttributesMissingError';
  constructor(
    readonly missing: string[],
    readonly namespace: string,
    purpose: string,
  ) {
    super(
      `${purpose} needs the search attribute${missing.length === 1 ? '' : 's'} ${missing.join(', ')}, ` +
        `not registered on namespace ${namespace}. Register them with: ${registerCommand(namespace)} ` +
        `(a dev server: temporal server start-dev ${START_DEV_FLAGS})`,
    );
  }
}

/**
 * Throws SearchAttributesMissingError when any of `names` is missing from the namespace. When the
 * attributes cannot be listed (no permission), it lets the query go ahead and fail on its own.
 */
export async function requireSearchAttributes(
  operator: OperatorService,
  namespace: string,
  names: string[],
  purpose: string,
): Promise<void> {
  if (names.length === 0) return;
  const missing = await missingSearchAttributes(operator, namespace).catch(() => [] as string[]);
  const needed = missing.filter((name) => names.includes(name));
  if (needed.length > 0) throw new SearchAttributesMissingError(needed, namespace, purpose);
}

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
