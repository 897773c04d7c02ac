/**
 * The package's public API is exactly what its entry points export (the `exports` map of package.json):
 * each entry's exported names are checked against an explicit list, so a name cannot become public by
 * accident (an `export type *`, a re-exported module growing a type). The wire and continue-as-new shapes
 * (src/workflows/wire.ts, src/pipelines/wire.ts) in particular are reachable from no entry, under any
 * name. The compiler reads the sources the build compiles (tsconfig.build.json), so the `.d.ts` files
 * export the same names. docs/embedding.md lists the same names per entry, so the docs cannot drift.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { before, test } from 'node:test';
import ts from 'typescript';

const root = join(__dirname, '..', '..');

/** Entry (as imported) -> every name it exports, values and types. Change it only on purpose. */
const PUBLIC: Record<string, string[]> = {
  'flora-temporal': [
    'ConnectedClient',
    'FINGERPRINT_MEMO_KEY',
    'FailureSummary',
    'FloraPipelineKey',
    'FloraRunIdKey',
    'FloraTechniqueKey',
    'FloraWorkflows',
    'FloraWorkflowsOptions',
    'InputValue',
    'InvalidPipelineError',
    'InvalidRunRequestError',
    'Ledger',
    'LedgerStep',
    'ListRunsOptions',
    'OutputRef',
    'Phase',
    'PipelineFailureType',
    'PipelinePhase',
    'PipelineProgress',
    'PipelineResult',
    'PipelineRun',
    'PipelineSpec',
    'PipelineSpecInput',
    'PollMode',
    'RUN_TECHNIQUE_DEFAULTS',
    'RequestFingerprint',
    'RerunRequiredError',
    'ResumeError',
    'ResumeSummary',
    'ReusedFrom',
    'RunCounts',
    'RunFailure',
    'RunPhase',
    'RunPipelineInput',
    'RunSummary',
    'RunTechniqueEndDetails',
    'RunTechniqueInput',
    'RunTechniqueOptions',
    'RunTechniqueResult',
    'RunTechniqueStatus',
    'START_DEV_FLAGS',
    'SearchAttributesMissingError',
    'StartAction',
    'StartOptions',
    'StartOutcome',
    'StartPipelineOptions',
    'StartRunOptions',
    'StartedHandle',
    'StepPhase',
    'StepProgress',
    'StepResult',
    'StepRunProgress',
    'StepSummary',
    'TechniqueRef',
    'TechniqueRun',
    'WorkflowIdConflictError',
    'connectFromEnv',
    'loadPipelineFile',
    'progressQuery',
    'raiseBudgetSignal',
    'raiseBudgetUpdate',
    'runPipeline',
    'runStatus',
    'runTechnique',
    'startPipeline',
    'startTechniqueRun',
    'statusQuery',
    'summarizeFailure',
  ],
  'flora-temporal/workflows': [
    'ChildProgress',
    'FailureType',
    'FloraChildOptions',
    'FloraPipelineKey',
    'FloraRunEvent',
    'FloraRunIdKey',
    'FloraTechniqueKey',
    'FloraWorkflowType',
    'InputValue',
    'Ledger',
    'LedgerStep',
    'OutputRef',
    'Phase',
    'PipelineFailureType',
    'PipelinePhase',
    'PipelineProgress',
    'PipelineResult',
    'PipelineSpecInput',
    'PipelineWorkflow',
    'PollMode',
    'RUN_TECHNIQUE_DEFAULTS',
    'ReusedFrom',
    'RunCounts',
    'RunFailure',
    'RunPhase',
    'RunPipelineInput',
    'RunTechniqueEndDetails',
    'RunTechniqueInput',
    'RunTechniqueOptions',
    'RunTechniqueResult',
    'RunTechniqueStatus',
    'StepPhase',
    'StepProgress',
    'StepResult',
    'StepRunProgress',
    'StepSummary',
    'TechniqueRef',
    'TechniqueRunWorkflow',
    'childProgressSignal',
    'executePipeline',
    'executeTechniqueRun',
    'floraChildWorkflowId',
    'floraRunEventSignal',
    'progressQuery',
    'raiseBudgetSignal',
    'raiseBudgetUpdate',
    'runPipeline',
    'runTechnique',
    'startPipeline',
    'startTechniqueRun',
    'statusQuery',
  ],
  'flora-temporal/activities': [
    'ActivityDependencies',
    'CreateActivitiesOptions',
    'CreateRunRequest',
    'CreateRunResult',
    'FLORA_ACTIVITY_PREFIX',
    'FailureType',
    'FindRunsRequest',
    'FindRunsResult',
    'FloraActivities',
    'FloraClient',
    'FloraClientOptions',
    'FloraConfig',
    'FloraError',
    'FloraRequestEvent',
    'NestedCreate',
    'PollRunRequest',
    'PrefixedFloraActivities',
    'RunOutputInfo',
    'RunSnapshot',
    'SlotInfo',
    'TechniqueInfo',
    'TopLevelCreate',
    'createActivities',
    'floraConfigFromEnv',
    'prefixedActivityName',
    'toTechniqueInfo',
  ],
  'flora-temporal/worker': [
    'FloraActivities',
    'FloraActivityWorkerOptions',
    'FloraClient',
    'FloraClientOptions',
    'FloraWorkerOptions',
    'FloraWorkerTuning',
    'PollerSetting',
    'createActivities',
    'createFloraActivityWorker',
    'createFloraWorker',
    'floraBundlerOptions',
    'floraConfigFromEnv',
    'floraWorkflowsPath',
    'prebuiltWorkflowBundle',
    'requestLimiter',
    'runWorkerFromEnv',
  ],
  'flora-temporal/testing': [
    'CallbackSettings',
    'DEFAULT_API_KEY',
    'DEFAULT_CATALOG',
    'DEFAULT_WEBHOOK_SECRET',
    'DEFAULT_WORKSPACE_ID',
    'DeliveryRecord',
    'FAULT_KINDS',
    'FaultSpec',
    'FloraHistory',
    'FloraReplayResult',
    'FloraSimulator',
    'HeldResponse',
    'IdempotencyMode',
    'RUN_ERROR_CODES',
    'ReplayFloraHistoriesOptions',
    'RequestLogEntry',
    'RunErrorCode',
    'RunHistoryItem',
    'RunObject',
    'RunOutcome',
    'RunOutput',
    'RunStatus',
    'SIMULATOR_PROJECT_ID',
    'SIM_ROUTES',
    'SLOT_TYPES',
    'SimActivity',
    'SimRoute',
    'SimRunSummary',
    'SimRunView',
    'SimSlot',
    'SimStats',
    'SimTechnique',
    'SimulatorOptions',
    'SlotType',
    'floraHistoriesDir',
    'loadFloraHistories',
    'replayFloraHistories',
    'startSimulator',
  ],
};

/** The internal modules whose declarations no entry may export. */
const WIRE_MODULES = ['src/workflows/wire.ts', 'src/pipelines/wire.ts'];

/** package.json `exports`: entry name -> the source file its `.d.ts` is compiled from. */
function entrySources(): Record<string, string> {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    name: string;
    exports: Record<string, string | { types?: string }>;
  };
  const out: Record<string, string> = {};
  for (const [key, target] of Object.entries(pkg.exports)) {
    if (typeof target === 'string' || target.types === undefined) continue;
    const m = /^\.\/dist\/(.+)\.d\.ts$/.exec(target.types);
    assert.ok(m?.[1], `${key}: types ${target.types} is a .d.ts under dist/`);
    out[key === '.' ? pkg.name : `${pkg.name}/${key.slice(2)}`] = join(root, 'src', `${m[1]}.ts`);
  }
  return out;
}

interface Entry {
  names: string[];
  /** Exported name -> the files declaring what it stands for (aliases followed). */
  declaredIn: Map<string, string[]>;
}

let entries: Record<string, Entry>;
let wireNames: string[];

before(() => {
  const sources = entrySources();
  const wireFiles = WIRE_MODULES.map((f) => join(root, f));
  const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.build.json'), undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) =>
      assert.fail(ts.flattenDiagnosticMessageText(d.messageText, '\n')),
  });
  assert.ok(config);
  const program = ts.createProgram([...Object.values(sources), ...wireFiles], {
    ...config.options,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const exportsOf = (file: string): ts.Symbol[] => {
    const sf = program.getSourceFile(file);
    assert.ok(sf, `${relative(root, file)} is compiled`);
    const module = checker.getSymbolAtLocation(sf);
    assert.ok(module, `${relative(root, file)} is a module`);
    return checker.getExportsOfModule(module);
  };
  entries = {};
  for (const [entry, file] of Object.entries(sources)) {
    const declaredIn = new Map<string, string[]>();
    for (const sym of exportsOf(file)) {
      const target = sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym;
      declaredIn.set(
        sym.name,
        (target.declarations ?? []).map((d) =>
          relative(root, d.getSourceFile().fileName).split(sep).join('/'),
        ),
      );
    }
    entries[entry] = { names: [...declaredIn.keys()].sort(), declaredIn };
  }
  wireNames = wireFiles.flatMap((f) => exportsOf(f).map((s) => s.name));
});

test('every entry point of the exports map has its list of public names here', () => {
  assert.deepEqual(Object.keys(entries).sort(), Object.keys(PUBLIC).sort());
});

test('each entry point exports exactly its listed names', () => {
  for (const [entry, listed] of Object.entries(PUBLIC)) {
    const actual = entries[entry]?.names ?? [];
    const extra = actual.filter((n) => !listed.includes(n));
    const missing = listed.filter((n) => !actual.includes(n));
    assert.deepEqual(
      { extra, missing },
      { extra: [], missing: [] },
      `${entry}: a name became public or stopped being public; if on purpose, update PUBLIC (and CHANGELOG.md)`,
    );
  }
});

test('no wire or continue-as-new type is reachable from an entry point, under any name', () => {
  assert.ok(wireNames.includes('RunTechniqueWireInput') && wireNames.includes('RunPipelineWireInput'));
  for (const [entry, { declaredIn }] of Object.entries(entries)) {
    for (const [name, files] of declaredIn) {
      const wire = files.filter((f) => WIRE_MODULES.includes(f));
      assert.deepEqual(wire, [], `${entry} exports ${name}, declared in ${wire.join(', ')}`);
    }
    for (const name of wireNames) {
      assert.ok(!declaredIn.has(name), `${entry} exports a name of a wire module: ${name}`);
    }
  }
});

test('docs/embedding.md lists every name of each entry point, and no other', () => {
  const docs = readFileSync(join(root, 'docs', 'embedding.md'), 'utf8');
  for (const [entry, listed] of Object.entries(PUBLIC)) {
    // The entry's bullet: "- `entry`: `name`, ...; types `Name`, ...", continued on indented lines.
    const bullet = new RegExp(`^- \`${entry}\`:((?:.*)(?:\\n  .*)*)`, 'm').exec(docs);
    assert.ok(bullet?.[1], `docs/embedding.md has a "- \`${entry}\`:" bullet listing its names`);
    const named = [...bullet[1].matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '');
    assert.deepEqual(
      { missing: listed.filter((n) => !named.includes(n)), extra: named.filter((n) => !listed.includes(n)) },
      { missing: [], extra: [] },
      `docs/embedding.md's list for ${entry} differs from what it exports`,
    );
  }
});
