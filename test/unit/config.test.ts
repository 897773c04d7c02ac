import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connectionOptions, describeTemporal, temporalSettingsFromEnv } from '../../src/temporal/config';
import { ConfigError } from '../../src/flora/config';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flora-config-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('temporalSettingsFromEnv', () => {
  test('defaults: localhost:7233, namespace default, task queue flora, no TLS', () => {
    const s = temporalSettingsFromEnv({ TEMPORAL_CONFIG_FILE: join(dir, 'missing.toml') });
    assert.equal(s.address, 'localhost:7233');
    assert.equal(s.namespace, 'default');
    assert.equal(s.taskQueue, 'flora');
    assert.equal(s.tls, undefined);
    assert.equal(s.apiKey, undefined);
    assert.equal(s.maxRequestsPerSecond, undefined);
  });

  test('Temporal Cloud with an API key: TLS on, the key never in the description', () => {
    const s = temporalSettingsFromEnv({
      TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233',
      TEMPORAL_NAMESPACE: 'ns.acct',
      TEMPORAL_API_KEY: 'secret-cloud-key',
      FLORA_TASK_QUEUE: 'media',
      FLORA_MAX_REQUESTS_PER_SECOND: '5',
    });
    assert.equal(s.namespace, 'ns.acct');
    assert.equal(s.taskQueue, 'media');
    assert.equal(s.maxRequestsPerSecond, 5);
    assert.deepEqual(connectionOptions(s), {
      address: 'ns.acct.tmprl.cloud:7233',
      tls: true,
      apiKey: 'secret-cloud-key',
    });
    assert.equal(describeTemporal(s), 'ns.acct.tmprl.cloud:7233 (namespace ns.acct, API key)');
    assert.ok(!describeTemporal(s).includes('secret-cloud-key'));
  });

  test('a TOML profile (TEMPORAL_CONFIG_FILE + TEMPORAL_PROFILE), overridden by variables', async () => {
    const file = join(dir, 'temporal.toml');
    await writeFile(
      file,
      [
        '[profile.prod]',
        'address = "prod.example.com:7233"',
        'namespace = "media"',
        'api_key = "from-profile"',
        '',
      ].join('\n'),
    );
    const s = temporalSettingsFromEnv({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod' });
    assert.equal(s.address, 'prod.example.com:7233');
    assert.equal(s.namespace, 'media');
    assert.equal(s.apiKey, 'from-profile');
    const overridden = temporalSettingsFromEnv({
      TEMPORAL_CONFIG_FILE: file,
      TEMPORAL_PROFILE: 'prod',
      TEMPORAL_NAMESPACE: 'other',
    });
    assert.equal(overridden.namespace, 'other');
  });

  test('mTLS client certificates from TEMPORAL_TLS_CLIENT_CERT_PATH / _KEY_PATH', async () => {
    const cert = join(dir, 'client.pem');
    const key = join(dir, 'client.key');
    await writeFile(cert, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    await writeFile(key, '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n');
    const s = temporalSettingsFromEnv({
      TEMPORAL_ADDRESS: 'x.example.com:7233',
      TEMPORAL_TLS_CLIENT_CERT_PATH: cert,
      TEMPORAL_TLS_CLIENT_KEY_PATH: key,
    });
    const tls = s.tls as { clientCertPair?: { crt: Buffer; key: Buffer } };
    assert.ok(tls.clientCertPair, 'client certificate pair loaded');
    assert.match(Buffer.from(tls.clientCertPair.crt).toString(), /BEGIN CERTIFICATE/);
    assert.equal(describeTemporal(s), 'x.example.com:7233 (namespace default, TLS)');
  });

  test('bad values name the variable', () => {
    assert.throws(
      () => temporalSettingsFromEnv({ TEMPORAL_ADDRESS: 'http://x' }),
      (e: unknown) => e instanceof ConfigError && /TEMPORAL_ADDRESS expected host:port/.test(e.message),
    );
    assert.throws(
      () => temporalSettingsFromEnv({ FLORA_MAX_REQUESTS_PER_SECOND: '-1' }),
      /FLORA_MAX_REQUESTS_PER_SECOND/,
    );
    assert.throws(
      () =>
        temporalSettingsFromEnv({
          TEMPORAL_TLS_CLIENT_CERT_PATH: join(dir, 'nope.pem'),
          TEMPORAL_TLS_CLIENT_KEY_PATH: join(dir, 'nope.key'),
        }),
      (e: unknown) => e instanceof ConfigError && /TEMPORAL_TLS_\*/.test(e.message),
    );
    assert.throws(
      () =>
        temporalSettingsFromEnv({
          TEMPORAL_PROFILE: 'nope',
          TEMPORAL_CONFIG_FILE: join(dir, 'missing.toml'),
        }),
      ConfigError,
    );
  });
});
