/**
 * How the harness starts its own Node processes (worker-entry.ts, sim-entry.ts). Under tsx every start
 * transforms and loads src/ again: a worker's imports cost 2.2 CPU-seconds that way against 1.2 from
 * the compiled dist/ (measured at nice 19 on the shared 2-core machine), and a worker start is most of a
 * smoke row's CPU. So when dist/ is newer than every file under src/ (`npm run build`, which `npm ci`
 * runs), the entry is transpiled once into plain JS that requires dist/, and each start is `node
 * entry.js`; otherwise (src/ edited since the last build) tsx runs the source, so the harness never
 * exercises stale code. The same rule picks the prebuilt workflow bundle (fleet.ts).
 */
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  existsSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
/** Written last by `npm run build`: dist/ is complete and as new as this file. */
const BUILD_MARKER = join(ROOT, 'dist/workflow-bundle-tracing.js');

/** The newest modification time of any file under `dir`. */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

let fresh: boolean | undefined;

/** True when dist/ was built after the last change under src/ (checked once per harness run). */
export function distIsFresh(): boolean {
  fresh ??= existsSync(BUILD_MARKER) && statSync(BUILD_MARKER).mtimeMs > newestMtime(join(ROOT, 'src'));
  return fresh;
}

/**
 * The arguments for `node` that run the project's CLI: the compiled dist/bin.js when dist/ is fresh (what
 * `npm run build` and an installed package run; under tsx a CLI start transforms src/ again, several
 * CPU-seconds on this machine), else src/bin.ts under tsx.
 */
export function cliArgs(): string[] {
  return distIsFresh() ? [join(ROOT, 'dist/bin.js')] : ['--import', 'tsx', join(ROOT, 'src/bin.ts')];
}

type Entry = 'worker-entry' | 'sim-entry';
const ENTRIES: readonly Entry[] = ['worker-entry', 'sim-entry'];
/** Inside the repository, so `require('@temporalio/…')` finds its node_modules. */
const compiledPath = (name: Entry): string => join(ROOT, 'node_modules/.cache/flora-chaos', `${name}.js`);
let prepared = false;

/**
 * When dist/ is fresh, transpiles each entry into plain JS requiring dist/, unless its compiled form is
 * newer than its source, dist/ and this file (then TypeScript, a third of a CPU-second to load, is not
 * loaded at all). Called once by the harness before it starts any process.
 */
export async function prepareEntries(): Promise<void> {
  if (!distIsFresh()) return;
  const since = Math.max(statSync(BUILD_MARKER).mtimeMs, statSync(__filename).mtimeMs);
  for (const name of ENTRIES) {
    const source = join(__dirname, `${name}.ts`);
    const out = compiledPath(name);
    if (existsSync(out) && statSync(out).mtimeMs > Math.max(since, statSync(source).mtimeMs)) continue;
    const { ModuleKind, ScriptTarget, transpileModule } = await import('typescript');
    const { outputText } = transpileModule(readFileSync(source, 'utf8'), {
      compilerOptions: { module: ModuleKind.CommonJS, target: ScriptTarget.ES2022, esModuleInterop: true },
    });
    mkdirSync(dirname(out), { recursive: true });
    const js = outputText.replace(
      /require\("\.\.\/\.\.\/src\/([^"]+)"\)/g,
      (_, path: string) => `require(${JSON.stringify(join(ROOT, 'dist', path))})`,
    );
    // Another harness may be starting at the same moment: write aside, then rename (atomic).
    const tmp = `${out}.${process.pid}`;
    writeFileSync(tmp, js);
    renameSync(tmp, out);
  }
  prepared = true;
}

/** The arguments for `node` that run scripts/chaos/<name>.ts: its compiled form when dist/ is fresh. */
export function entryArgs(name: Entry): string[] {
  if (!distIsFresh()) return ['--import', 'tsx', join(__dirname, `${name}.ts`)];
  if (!prepared) throw new Error('entryArgs: call prepareEntries() first');
  return [compiledPath(name)];
}
