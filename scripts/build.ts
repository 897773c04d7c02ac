/**
 * `npm run build` (also `prepare`, so `npm ci`, `npm pack` and git installs build it): compiles src/ to
 * dist/ (JS, .d.ts, source maps), bundles flora's workflows once into dist/workflow-bundle.js (and, with
 * the OpenTelemetry workflow interceptors, dist/workflow-bundle-tracing.js) so a worker restart does not
 * re-bundle, and copies the replay histories the package ships (dist/replay-histories).
 */
import { execFileSync } from 'node:child_process';
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Resource } from '@opentelemetry/resources';
import { NoopSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OpenTelemetryPlugin } from '@temporalio/interceptors-opentelemetry';
import { bundleWorkflowCode } from '@temporalio/worker';
import { floraBundlerOptions } from '../src/worker/bundle-options';

const root = join(__dirname, '..');
const dist = join(root, 'dist');

async function main(): Promise<void> {
  const started = Date.now();
  await rm(dist, { recursive: true, force: true });
  execFileSync(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );

  const noop = () => {};
  const logger = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };
  const workflowsPath = join(dist, 'workflows', 'index.js');
  // Two bundles: plain, and with the OpenTelemetry workflow interceptors (the plugin names its module;
  // only its bundler part runs here, so the span processor is a no-op).
  const tracing = new OpenTelemetryPlugin({
    spanProcessor: new NoopSpanProcessor(),
    resource: Resource.empty(),
  });
  const [{ code }, traced] = await Promise.all([
    bundleWorkflowCode({ workflowsPath, logger, ...floraBundlerOptions(dist) }),
    bundleWorkflowCode({ workflowsPath, logger, plugins: [tracing], ...floraBundlerOptions(dist) }),
  ]);
  await writeFile(join(dist, 'workflow-bundle.js'), code);
  await writeFile(join(dist, 'workflow-bundle-tracing.js'), traced.code);
  const workflowSdkVersion = (
    JSON.parse(await readFile(require.resolve('@temporalio/workflow/package.json'), 'utf8')) as {
      version: string;
    }
  ).version;
  await writeFile(join(dist, 'workflow-bundle.json'), `${JSON.stringify({ workflowSdkVersion }, null, 2)}\n`);

  const histories = join(root, 'test', 'fixtures', 'histories');
  const target = join(dist, 'replay-histories');
  await mkdir(target, { recursive: true });
  const files = (await readdir(histories)).filter((f) => f.endsWith('.json'));
  await Promise.all(files.map((f) => cp(join(histories, f), join(target, f))));

  process.stderr.write(
    `built dist/ (workflow bundle ${Math.round(code.length / 1024)} KiB, ${files.length} replay histories) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
