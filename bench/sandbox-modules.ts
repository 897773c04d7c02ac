/**
 * `npx tsx bench/sandbox-modules.ts`: what one cached workflow's own module instances cost. The SDK's
 * reusable V8 context gives every workflow its own instance of each module of the bundle that was not
 * preloaded (docs/SCALING.md, "Memory per cached run"). This builds flora's bundle, sets it up in a V8
 * context the way the SDK does (a shared module cache for what the bundle's entry and the preloads load,
 * a cache of its own per workflow for the rest), then imports the workflows N times, each with a cache
 * of its own kept alive, and reports the live heap (after a full GC) and the CPU per instance. With
 * --check, each instance also checks a runTechnique request's options as a run's first task does. Asserts
 * nothing: it measures, without a server, in seconds.
 *
 *   options: --instances N   instances measured (default 200, after 20 to warm up)
 *            --no-preload    bundle without flora's preloaded modules (the layout before them)
 *            --check         each instance also checks a request (checkRequest), as runTechnique does
 *   run with `node --expose-gc --import tsx bench/sandbox-modules.ts` (the heap is read after a GC).
 */
import vm from 'node:vm';
import { bundleWorkflowCode } from '@temporalio/worker';
// The SDK's own globals for a workflow context (console, timers as the sandbox sees them).
import { injectGlobals } from '@temporalio/worker/lib/workflow/vm-shared';
import { floraBundlerOptions } from '../src/worker/bundle-options';
import { WORKFLOWS_PATH } from '../src/worker/worker';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};

type ModuleCache = Map<string | symbol, unknown>;
interface Sandbox extends vm.Context {
  __TEMPORAL_ACTIVATOR__?: { moduleCache: ModuleCache };
}

async function main(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc --import tsx');
  const liveHeap = () => {
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  };
  const instances = Number(arg('--instances') ?? 200);
  const preload = !process.argv.includes('--no-preload');
  const check = process.argv.includes('--check');
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
    ...(preload ? floraBundlerOptions() : {}),
  });

  // As the SDK's ReusableVMWorkflowCreator: modules loaded while no workflow is active are shared.
  const context = vm.createContext({}, { microtaskMode: 'afterEvaluate' }) as Sandbox;
  const shared: ModuleCache = new Map();
  const cache = () => context.__TEMPORAL_ACTIVATOR__?.moduleCache;
  Object.defineProperty(context, '__webpack_module_cache__', {
    value: new Proxy(
      {},
      {
        get: (_, id) => shared.get(id) ?? cache()?.get(id),
        set: (_, id, module) => {
          (cache() ?? shared).set(id, module);
          return true;
        },
      },
    ),
  });
  injectGlobals(context);
  new vm.Script(code, { filename: 'workflow-bundle.js' }).runInContext(context);
  vm.runInContext('__TEMPORAL__.preloadModules?.()', context);

  const kept: ModuleCache[] = [];
  const workflow = () => {
    const moduleCache: ModuleCache = new Map();
    context.__TEMPORAL_ACTIVATOR__ = { moduleCache };
    vm.runInContext('__TEMPORAL__.importWorkflows()', context);
    if (check) {
      // As runTechnique's first task: its request checked (the run-option schema built or reused).
      const { exports } = (moduleCache.get('./src/domain/request-check.ts') ??
        shared.get('./src/domain/request-check.ts')) as {
        exports: { checkRequest(input: unknown): unknown };
      };
      exports.checkRequest({ technique: 'text-to-image', inputs: {}, options: { pollMinMs: 3_000 } });
    }
    context.__TEMPORAL_ACTIVATOR__ = undefined;
    kept.push(moduleCache);
  };
  for (let i = 0; i < 20; i += 1) workflow();
  const heap0 = liveHeap();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < instances; i += 1) workflow();
  const cpu = process.cpuUsage(cpu0);
  const heap = liveHeap() - heap0;
  console.log(
    `${preload ? 'preloads' : 'no preloads'}${check ? ', options checked' : ''}: ` +
      `${kept[0]?.size ?? 0} modules per workflow, ${shared.size} shared; per workflow ` +
      `${(heap / instances / 1024).toFixed(1)} KB of live heap, ` +
      `${((cpu.user + cpu.system) / instances / 1000).toFixed(2)} ms of CPU`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
