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
import { join, resolve } from 'node:path';
import { ModuleKind, ScriptTarget, transpileModule } from 'typescript';

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

const compiled = new Map<string, string>();

/** The arguments for `node` that run scripts/chaos/<name>.ts: its compiled form when dist/ is fresh. */
export function entryArgs(name: 'worker-entry' | 'sim-entry'): string[] {
  const source = join(__dirname, `${name}.ts`);
  if (!distIsFresh()) return ['--import', 'tsx', source];
  let out = compiled.get(name);
  if (out === undefined) {
    const { outputText } = transpileModule(readFileSync(source, 'utf8'), {
      compilerOptions: { module: ModuleKind.CommonJS, target: ScriptTarget.ES2022, esModuleInterop: true },
    });
    // Inside the repository, so `require('@temporalio/…')` finds its node_modules.
    const dir = join(ROOT, 'node_modules/.cache/flora-chaos');
    mkdirSync(dir, { recursive: true });
    out = join(dir, `${name}.js`);
    const js = outputText.replace(
      /require\("\.\.\/\.\.\/src\/([^"]+)"\)/g,
      (_, path: string) => `require(${JSON.stringify(join(ROOT, 'dist', path))})`,
    );
    // Another harness may be starting at the same moment: write aside, then rename (atomic).
    const tmp = `${out}.${process.pid}`;
    writeFileSync(tmp, js);
    renameSync(tmp, out);
    compiled.set(name, out);
  }
  return [out];
}
