import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEV_SERVER_HISTORY_CACHE_SIZE, startDevArgs } from '../../src/dev/dev-server';

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

test('every dev server keeps a history cache sized for its single shard, not the per-shard 512', () => {
  for (const args of [startDevArgs(ports), startDevArgs(ports, { dbFilename: '/tmp/x.sqlite' })]) {
    assert.equal(dynamicConfig(args).get('history.cacheMaxSize'), String(DEV_SERVER_HISTORY_CACHE_SIZE));
  }
  assert.ok(DEV_SERVER_HISTORY_CACHE_SIZE > 1_000, 'the bench runs 1,000 workflows at once');
});

test('dynamic config given to the launcher is passed as JSON and wins over the defaults', () => {
  const args = startDevArgs(ports, {
    dynamicConfig: { 'history.cacheMaxSize': 32, 'frontend.namespaceRPS': 5, 'some.flag': true, 'a.b': 'x' },
  });
  const config = dynamicConfig(args);
  assert.equal(config.get('history.cacheMaxSize'), '32');
  assert.equal(config.get('some.flag'), 'true');
  assert.equal(config.get('a.b'), '"x"');
  assert.equal(args.filter((a) => a.startsWith('history.cacheMaxSize=')).length, 1);
});
