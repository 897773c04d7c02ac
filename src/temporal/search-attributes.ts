/**
 * Checks whether a namespace has our search attributes registered. Starting a workflow with an
 * unregistered search attribute fails, so clients set them only where they exist, and workflows upsert
 * them only when they were given some at start.
 */
import type { Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import {
  FLORA_SEARCH_ATTRIBUTES,
  SEARCH_ATTRIBUTE_TYPE_NAMES,
  searchAttributeCreateArgs,
  startDevSearchAttributeArgs,
} from '../domain/search-attribute-keys';

type OperatorService = Connection['operatorService'];

/** Registers our search attributes on a namespace (`<namespace>`), as FLORA_SEARCH_ATTRIBUTES names them. */
export const REGISTER_COMMAND = [
  'temporal operator search-attribute create --namespace <namespace>',
  ...searchAttributeCreateArgs(),
].join(' ');

/** The register command for one namespace. */
export function registerCommand(namespace: string): string {
  return REGISTER_COMMAND.replace('<namespace>', namespace);
}

/** Flags that give a `temporal server start-dev` server our search attributes from the start. */
export const START_DEV_FLAGS = startDevSearchAttributeArgs().join(' ');

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

/** Temporal's IndexedValueType numbers (as `listSearchAttributes` answers them). */
const INDEXED_VALUE_TYPES: Record<number, SearchAttributeType> = {
  1: SearchAttributeType.TEXT,
  2: SearchAttributeType.KEYWORD,
  3: SearchAttributeType.INT,
  4: SearchAttributeType.DOUBLE,
  5: SearchAttributeType.BOOL,
  6: SearchAttributeType.DATETIME,
  7: SearchAttributeType.KEYWORD_LIST,
};

export interface WrongSearchAttributeType {
  name: string;
  /** As registered, e.g. 'Keyword'. */
  actual: string;
  /** As our workflows write it, e.g. 'KeywordList'. */
  expected: string;
}

export interface SearchAttributeCheck {
  /** Not registered: runs work, but cannot be searched by them. */
  missing: string[];
  /** Registered with another type: an upsert of them fails the workflow task, again and again. */
  wrongType: WrongSearchAttributeType[];
}

/** Compares the namespace's custom search attributes with ours, by name and by type. */
export async function checkSearchAttributes(
  operator: OperatorService,
  namespace: string,
): Promise<SearchAttributeCheck> {
  const response = await operator.listSearchAttributes({ namespace });
  const registered = response.customAttributes ?? {};
  const missing: string[] = [];
  const wrongType: WrongSearchAttributeType[] = [];
  for (const key of FLORA_SEARCH_ATTRIBUTES) {
    const type = registered[key.name];
    if (type === undefined || type === null) {
      missing.push(key.name);
      continue;
    }
    const registeredType = INDEXED_VALUE_TYPES[Number(type)];
    const actual = registeredType ? SEARCH_ATTRIBUTE_TYPE_NAMES[registeredType] : `type ${String(type)}`;
    const expected = SEARCH_ATTRIBUTE_TYPE_NAMES[key.type];
    if (actual !== expected) wrongType.push({ name: key.name, actual, expected });
  }
  return { missing, wrongType };
}

/** The names of our search attributes missing from the namespace (empty when all are registered). */
export async function missingSearchAttributes(
  operator: OperatorService,
  namespace: string,
): Promise<string[]> {
  return (await checkSearchAttributes(operator, namespace)).missing;
}

/** One line: what is wrong, why it matters, and the commands that fix it. */
export function describeWrongType(namespace: string, wrong: WrongSearchAttributeType): string {
  return (
    `Search attribute ${wrong.name} is registered on namespace ${namespace} as ${wrong.actual}, but flora-temporal ` +
    `writes it as ${wrong.expected}: every workflow that sets it would fail its workflow task forever. ` +
    `Fix: temporal operator search-attribute remove --namespace ${namespace} --name ${wrong.name}, then ` +
    `temporal operator search-attribute create --namespace ${namespace} --name ${wrong.name} --type ${wrong.expected}`
  );
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
    answer = checkSearchAttributes(operator, namespace).then(
      // A wrongly typed one is as good as missing: setting it would fail.
      (check) => check.missing.length === 0 && check.wrongType.length === 0,
      () => false, // no permission to list them (e.g. a restricted Cloud key): run without
    );
    byNamespace.set(namespace, answer);
  }
  return answer;
}
