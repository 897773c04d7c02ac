// @ts-check
/**
 * The dependency rule of src/ (ARCHITECTURE.md, "Layers"), as data, and the lint rule that enforces
 * it: `flora/layers` reports every relative import, re-export or require that goes from one folder of
 * src/ to a folder it may not use. A small local rule rather than a plugin: the table below is the one
 * place the rule lives, the architecture doc's table is checked against it (test/unit/layers.test.ts),
 * and it needs no dependency.
 */
import { builtinModules } from 'node:module';
import path from 'node:path';

const SRC = path.join(import.meta.dirname, '..', 'src');

/**
 * Folder (or top-level file, without `.ts`) → the folders it may import. `types`: folders it may import
 * types from only (`import type`), never values. Every folder may import its own files.
 * @type {Record<string, { sandbox?: boolean; may: string[]; types?: string[] }>}
 */
export const LAYERS = {
  // Pure, deterministic: the workflow sandbox runs it.
  domain: { sandbox: true, may: [] },
  pipelines: { sandbox: true, may: ['domain'] },
  workflows: { sandbox: true, may: ['domain', 'pipelines'], types: ['activities', 'downloads'] },
  // Node: talking to FLORA, files, Temporal's services, telemetry.
  flora: { may: ['domain'] },
  downloads: { may: ['domain'] },
  // Temporal's services: the connection config (its errors are flora's ConfigError), search attributes.
  temporal: { may: ['domain', 'flora'] },
  observability: { may: ['domain', 'flora'] },
  activities: { may: ['domain', 'flora', 'downloads', 'temporal'] },
  // The receiver of FLORA's webhooks: verifies deliveries, signals workflows through a Temporal client.
  webhooks: { may: ['domain', 'temporal', 'workflows'] },
  worker: {
    may: ['domain', 'activities', 'flora', 'observability', 'temporal', 'workflows', 'webhooks'],
  },
  // The public client library.
  client: { may: ['domain', 'activities', 'flora', 'pipelines', 'temporal', 'workflows'] },
  index: { may: ['client'] },
  // Tools: the FLORA simulator, the dev server, the testing entry point.
  simulator: { may: ['domain'] },
  dev: { may: ['domain'] },
  testing: { may: ['domain', 'simulator'] },
  // The composition root: the CLI may use everything.
  cli: {
    may: [
      'domain',
      'pipelines',
      'workflows',
      'flora',
      'downloads',
      'temporal',
      'observability',
      'activities',
      'worker',
      'client',
      'simulator',
      'dev',
      'webhooks',
    ],
  },
  bin: { may: ['cli'] },
};

/** Node's built-in modules, bare and `node:`-prefixed: never in sandbox code. */
export const NODE_BUILTINS = [
  ...new Set(
    builtinModules.filter((name) => !name.startsWith('_')).flatMap((name) => [name, `node:${name}`]),
  ),
];

/** @param {string} file */
export function layerOf(file) {
  const rel = path.relative(SRC, file);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  const [first = ''] = rel.split(path.sep);
  return first.replace(/\.[cm]?[jt]s$/, '');
}

/**
 * Why `from` may not import `target` (a resolved path), or undefined when it may.
 * @param {string} fromFile @param {string} target @param {boolean} typeOnly
 */
export function violation(fromFile, target, typeOnly) {
  const from = layerOf(fromFile);
  if (from === undefined) return undefined; // tests, scripts, bench: not layered
  const to = layerOf(target);
  if (to === undefined) return `src/ must not import from outside src/ (${path.relative(SRC, target)})`;
  if (to === from) return undefined;
  const layer = LAYERS[from];
  if (layer === undefined) return `src/${from} is not in the layer table (eslint/layers.mjs): add it`;
  if (layer.may.includes(to)) return undefined;
  if (typeOnly && layer.types?.includes(to)) return undefined;
  const typesHint = layer.types?.includes(to) ? ' (types only: use `import type`)' : '';
  return `src/${from} may not import src/${to}${typesHint}: see the layer table in ARCHITECTURE.md`;
}

/** @type {import('eslint').Rule.RuleModule} */
const layersRule = {
  meta: {
    type: 'problem',
    docs: { description: 'Imports between the folders of src/ follow the layer table' },
    schema: [],
    messages: { wrongWay: '{{why}}' },
  },
  create(context) {
    const filename = context.filename;
    /**
     * @param {import('eslint').Rule.Node} node
     * @param {unknown} source
     * @param {boolean} typeOnly
     */
    const check = (node, source, typeOnly) => {
      if (typeof source !== 'string' || !source.startsWith('.')) return;
      const why = violation(filename, path.resolve(path.dirname(filename), source), typeOnly);
      if (why !== undefined) context.report({ node, messageId: 'wrongWay', data: { why } });
    };
    /** @param {any} node */
    const declarationIsTypeOnly = (node) =>
      node.importKind === 'type' ||
      node.exportKind === 'type' ||
      (Array.isArray(node.specifiers) &&
        node.specifiers.length > 0 &&
        node.specifiers.every((/** @type {any} */ s) => s.importKind === 'type' || s.exportKind === 'type'));
    return {
      /** @param {any} node */
      ImportDeclaration: (node) => check(node, node.source.value, declarationIsTypeOnly(node)),
      /** @param {any} node */
      ExportNamedDeclaration: (node) => {
        if (node.source) check(node, node.source.value, declarationIsTypeOnly(node));
      },
      /** @param {any} node */
      ExportAllDeclaration: (node) => check(node, node.source.value, node.exportKind === 'type'),
      /** @param {any} node */
      ImportExpression: (node) => check(node, node.source.value, false),
      /** @param {any} node */
      CallExpression: (node) => {
        if (
          node.callee.type === 'Identifier' &&
          node.callee.name === 'require' &&
          node.arguments.length === 1
        )
          check(node, node.arguments[0].value, false);
      },
      /** `typeof import('../x')` in a type position. @param {any} node */
      TSImportType: (node) => check(node, node.argument?.literal?.value ?? node.argument?.value, true),
    };
  },
};

export const layersPlugin = { rules: { layers: layersRule } };

/** The folders whose code runs in Temporal's workflow sandbox. */
export const SANDBOX_FOLDERS = Object.entries(LAYERS)
  .filter(([, layer]) => layer.sandbox)
  .map(([name]) => name);
