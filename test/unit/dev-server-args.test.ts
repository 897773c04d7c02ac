import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startDevArgs } from '../../src/dev/dev-server';

const ports = { port: 1, httpPort: 2, metricsPort: 3 };

/** The `--dynamic-config-value` pairs of a start-dev command line, as KEY → raw JSON value. */
function dynamicConfig(args: string[]): Map<string, string> {
  const out = new Map<string, string>();
  args.forEach((arg, i) => {
    const pair = args[i + 1];
    if (arg !== '--dynamic-config-value' || pair === undefined) return;
    const eq = pair.indexOf('=');
    out.set(pair.slice(0, eq), pair.slice(eq + 1));
  });
  return out;
}

test('a dev server gets no dynamic config unless asked (the demo, tests and chaos run Temporal defaults)', () => {
  for (const args of [startDevArgs(ports), startDevArgs(ports, { dbFilename: '/tmp/x.sqlite' })]) {
    assert.equal(dynamicConfig(args).size, 0);
  }
});

test('dynamic config given to the launcher is passed as KEY=JSON, one flag per key', () => {
  const args = startDevArgs(ports, {
    dynamicConfig: { 'history.hostLevelCacheMaxSize': 32, 'some.flag': true, 'a.b': 'x' },
  });
  const config = dynamicConfig(args);
  assert.equal(config.get('history.hostLevelCacheMaxSize'), '32');
  assert.equal(config.get('some.flag'), 'true');
  assert.equal(config.get('a.b'), '"x"');
  assert.equal(args.filter((a) => a === '--dynamic-config-value').length, 3);
});
