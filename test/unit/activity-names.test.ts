/** Workers register every FLORA activity as `flora.<name>` and, unless told otherwise, under its old name. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createActivities } from '../../src/activities';
import { FloraClient } from '../../src/flora/client';

const SHORT = ['createRun', 'downloadRunOutputs', 'findRecentRuns', 'getTechnique', 'pollRunOnce'];
/** Added after the prefix: never registered unprefixed. */
const NEW = ['checkOutputs'];
const PREFIXED = [...SHORT, ...NEW].map((n) => `flora.${n}`);

test('createActivities registers the prefixed names and the old ones by default, the same functions', async () => {
  const flora = new FloraClient({ baseUrl: 'http://127.0.0.1:9/api/v1', apiKey: 'sk_test_unused' });
  try {
    const both: Record<string, unknown> = createActivities({ flora });
    assert.deepEqual(Object.keys(both).sort(), [...SHORT, ...PREFIXED].sort());
    for (const name of SHORT) {
      assert.equal(both[`flora.${name}`], both[name]);
    }
    const prefixedOnly = createActivities({ flora, legacyActivityNames: false });
    assert.deepEqual(Object.keys(prefixedOnly).sort(), PREFIXED.sort());
  } finally {
    await flora.close();
  }
});
