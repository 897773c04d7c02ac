import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { webhookSettingsFromEnv } from '../../src/webhooks/config';

describe('webhookSettingsFromEnv', () => {
  test('no receiver unless FLORA_WEBHOOK_PORT is set; secrets split on commas for rotation', () => {
    assert.equal(webhookSettingsFromEnv({}), undefined);
    assert.deepEqual(
      webhookSettingsFromEnv({ FLORA_WEBHOOK_PORT: '8088', FLORA_WEBHOOK_SECRET: 'whsec_new, whsec_old' }),
      { secrets: ['whsec_new', 'whsec_old'], port: 8088, host: '127.0.0.1', path: '/flora/webhook' },
    );
  });

  test('half a configuration is refused, naming the variable and never the secret', () => {
    const secret = 'whsec_do_not_print';
    assert.throws(
      () => webhookSettingsFromEnv({ FLORA_WEBHOOK_SECRET: secret }),
      (err: Error) => {
        assert.match(err.message, /FLORA_WEBHOOK_PORT/);
        assert.ok(!err.message.includes(secret));
        return true;
      },
    );
    assert.throws(
      () => webhookSettingsFromEnv({ FLORA_WEBHOOK_PORT: '8088' }),
      /FLORA_WEBHOOK_SECRET is required/,
    );
    assert.throws(
      () => webhookSettingsFromEnv({ FLORA_WEBHOOK_PORT: 'http', FLORA_WEBHOOK_SECRET: secret }),
      /FLORA_WEBHOOK_PORT: expected a port/,
    );
    assert.throws(() => webhookSettingsFromEnv({}, { required: true }), /FLORA_WEBHOOK_SECRET is required/);
  });
});
