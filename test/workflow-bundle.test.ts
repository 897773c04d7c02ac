import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { describe, test } from 'node:test';
import { PRELOADED_WORKFLOW_MODULES } from '../src/worker/bundle-options';
import { workflowBundle } from './helpers/env';

/** Each webpack module of the bundle by id (`./src/domain/run-options.ts`), with its code. */
function bundleModules(code: string): Map<string, string> {
  const starts = [...code.matchAll(/^\/\*\*\*\/ "([^"]+)"\n/gm)];
  const out = new Map<string, string>();
  starts.forEach((m, i) => {
    if (m[1] !== undefined)
      out.set(m[1], code.slice(m.index + m[0].length, starts[i + 1]?.index ?? code.length));
  });
  return out;
}

/** The module ids a piece of bundle code requires. */
function requiredIds(code: string): string[] {
  return [...code.matchAll(/__webpack_require__\((?:\/\*[^*]*\*\/\s*)*"([^"]+)"\)/g)].flatMap((m) =>
    m[1] === undefined ? [] : [m[1]],
  );
}

/** The preload function's body and every module it loads, directly or through their imports. */
async function preloaded(): Promise<{ direct: string[]; all: Set<string>; modules: Map<string, string> }> {
  const { code } = await workflowBundle();
  const body = /exports\.preloadModules = function preloadModules\(\) \{([^}]*)\}/.exec(code)?.[1] ?? '';
  const modules = bundleModules(code);
  const direct = requiredIds(body);
  const all = new Set<string>();
  const queue = [...direct];
  for (let id = queue.pop(); id !== undefined; id = queue.pop()) {
    if (all.has(id)) continue;
    all.add(id);
    queue.push(...requiredIds(modules.get(id) ?? ''));
  }
  return { direct, all, modules };
}

describe('workflow bundle: modules shared by every cached workflow', () => {
  test('each preloaded module is loaded at sandbox start (the bundler did not drop it)', async () => {
    const { direct } = await preloaded();
    for (const path of PRELOADED_WORKFLOW_MODULES) {
      const name = basename(path);
      assert.ok(
        direct.some((id) => id.endsWith(`/${name}.ts`) || id.endsWith(`/${name}.js`)),
        `${name} is not in the preload function (${JSON.stringify(direct)})`,
      );
    }
  });

  test('zod comes in with them: the zod module the workflows import is among the shared ones', async () => {
    const { all, modules } = await preloaded();
    const zodUsedByWorkflows = new Set(
      [...modules]
        .filter(([id]) => id.startsWith('./src/'))
        .flatMap(([, code]) => requiredIds(code))
        .filter((id) => id.includes('/node_modules/zod/')),
    );
    assert.ok(zodUsedByWorkflows.size > 0, 'expected flora modules that import zod');
    for (const id of zodUsedByWorkflows) assert.ok(all.has(id), `${id} is imported but not preloaded`);
  });

  test('every src/domain and src/pipelines module the workflows import is shared, not one per cached workflow', async () => {
    const { all, modules } = await preloaded();
    const imported = new Set(
      [...modules]
        .filter(([id]) => id.startsWith('./src/workflows/'))
        .flatMap(([, code]) => requiredIds(code))
        .filter((id) => id.startsWith('./src/domain/') || id.startsWith('./src/pipelines/')),
    );
    assert.ok(imported.size > 0, 'expected the workflows to import src/domain and src/pipelines modules');
    const perWorkflow = [...imported].filter((id) => !all.has(id));
    assert.deepEqual(
      perWorkflow,
      [],
      'add them to PRELOADED_WORKFLOW_MODULES (src/worker/bundle-options.ts)',
    );
  });

  test('nothing preloaded reaches @temporalio/workflow or the workflows (their module scope needs a workflow)', async () => {
    const { all } = await preloaded();
    const unsafe = [...all].filter(
      (id) => id.includes('@temporalio/workflow') || id.includes('/src/workflows/'),
    );
    assert.deepEqual(unsafe, []);
  });
});
