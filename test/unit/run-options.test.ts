/**
 * The one option schema and what is derived from it: defaults, the pipeline's step options, the CLI's
 * run flags, and the client-side check of a pipeline's options against the full bounds (the bounds that
 * used to disagree between the pipeline spec and checkRequest).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Command } from 'commander';
import { RUN_TECHNIQUE_DEFAULTS, runOptionsSchema } from '../../src/domain/run-options';
import { checkRunOptions } from '../../src/domain/request-check';
import { parsePipelineSpec } from '../../src/pipelines/spec';
import { checkSpecOptions } from '../../src/pipelines/plan';
import { runOptionFlagOptions, runOptionsFromFlags } from '../../src/cli/run-option-flags';
import { RUN_TECHNIQUE_DEFAULTS as PUBLIC_DEFAULTS } from '../../src/workflows/public';

const step = (options: Record<string, unknown>) => ({
  name: 'p',
  steps: [{ id: 'a', technique: 't2i', inputs: { prompt: 'x' }, options }],
});

describe('RunOptions', () => {
  test('the defaults are the schema’s, and the public constant is them', () => {
    assert.deepEqual(RUN_TECHNIQUE_DEFAULTS, runOptionsSchema().parse({}));
    assert.equal(PUBLIC_DEFAULTS, RUN_TECHNIQUE_DEFAULTS);
    assert.deepEqual(RUN_TECHNIQUE_DEFAULTS, {
      pollMinMs: 2000,
      pollMaxMs: 5000,
      maxRunAttempts: 2,
      recreateDelayMs: 10000,
      deadline: '6h',
      maxHistoryEvents: 2000,
      pollMode: 'local',
    });
  });

  test('one problem per field, naming it, with what was expected', () => {
    const { problems } = checkRunOptions({ pollMinMs: 5.5, maxRunAttempts: '3', deadline: 0 });
    assert.deepEqual(problems, [
      { field: 'options.pollMinMs', message: 'expected a whole number from 10 to 600000, got 5.5' },
      { field: 'options.maxRunAttempts', message: 'expected a whole number from 1 to 10, got "3"' },
      { field: 'options.deadline', message: 'expected a positive duration such as "6h" or ms, got 0' },
    ]);
  });
});

describe('pipeline step options: derived from RunOptions', () => {
  test('bounds that used to disagree: refused before the start with the full bounds, naming the step', () => {
    // pollMinMs had no upper bound in the spec (checkRequest capped it at 600000), nor maxHistoryEvents.
    const spec = step({ pollMinMs: 700_000, pollMaxMs: 800_000, maxHistoryEvents: 60_000 });
    const parsed = parsePipelineSpec(spec);
    // The workflow's parse still lets it through (recorded histories refused it later, in the plan)...
    assert.ok(parsed.ok, JSON.stringify(parsed));
    // ...and the client and CLI refuse it before anything starts.
    assert.deepEqual(
      checkSpecOptions(parsed.spec).map((p) => p.path),
      ['steps[0].options.pollMinMs', 'steps[0].options.pollMaxMs', 'steps[0].options.maxHistoryEvents'],
    );
  });

  test('a problem in the pipeline’s own options is named once, at options.<field>', () => {
    const parsed = parsePipelineSpec({
      name: 'p',
      options: { deadline: 'soon' },
      steps: [
        { id: 'a', technique: 't2i', inputs: {} },
        { id: 'b', technique: 't2i', inputs: {} },
      ],
    });
    assert.ok(parsed.ok);
    assert.deepEqual(
      checkSpecOptions(parsed.spec).map((p) => p.path),
      ['options.deadline'],
    );
  });

  test('per-run options are not step options; bounds the spec always had still apply at parse', () => {
    for (const [options, path] of [
      [{ idempotencyKey: 'k' }, 'steps[0].options'],
      [{ callbackUrl: 'https://x.test/h' }, 'steps[0].options'],
      [{ maxRunAttempts: 11 }, 'steps[0].options.maxRunAttempts'],
      [{ downloadTo: 'x'.repeat(401) }, 'steps[0].options.downloadTo'],
    ] as const) {
      const parsed = parsePipelineSpec(step(options));
      assert.equal(parsed.ok, false, JSON.stringify(options));
      assert.deepEqual(
        (parsed as { problems: { path: string }[] }).problems.map((p) => p.path),
        [path],
      );
    }
  });
});

describe('CLI run flags: parsed by the schema', () => {
  const parse = (...args: string[]) => {
    const command = new Command().exitOverride().configureOutput({ writeErr: () => {} });
    for (const option of runOptionFlagOptions()) command.addOption(option);
    command.parse(args, { from: 'user' });
    return runOptionsFromFlags(command.opts());
  };

  test('values become run options', () => {
    assert.deepEqual(
      parse('--max-cost', '0.5', '--max-run-attempts', '3', '--deadline', '30m', '--idempotency-key', 'k1'),
      { maxCostUsd: 0.5, maxRunAttempts: 3, deadline: '30m', idempotencyKey: 'k1' },
    );
  });

  test('a bad value is a usage error naming the flag and what the schema expects', () => {
    for (const [args, pattern] of [
      [['--max-run-attempts', '11'], /--max-run-attempts: expected a whole number from 1 to 10, got 11/],
      [['--max-cost', '-1'], /--max-cost: expected a non-negative number of USD, got -1/],
      [['--max-cost', 'lots'], /--max-cost: expected a non-negative number of USD/],
      // Accepted by the flag before and refused only by the request check: now by the flag, naming it.
      [['--deadline', 'soon'], /--deadline: expected a positive duration/],
      [['--idempotency-key', 'has space'], /--idempotency-key: expected 1 to 200 characters without spaces/],
    ] as const) {
      assert.throws(() => parse(...args), pattern, args.join(' '));
    }
  });
});
