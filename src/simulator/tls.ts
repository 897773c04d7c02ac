/**
 * A fixed, self-signed certificate for 127.0.0.1, localhost and ::1, with which `simulator --serve-files`
 * serves output files over https. FLORA's inputs are https-only, so a pipeline step fed by an earlier
 * step's output needs an https URL, and the simulator must hand out what FLORA would. This key protects
 * nothing: it is public (it ships in this package) and valid only for loopback names, so a client trusts
 * it only when told to, through NODE_EXTRA_CA_CERTS (the simulator prints the line), never by default.
 * Made once with: openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 36500
 *   -subj "/CN=flora-temporal simulator (loopback only, not a secret)"
 *   -addext "subjectAltName=IP:127.0.0.1,DNS:localhost,IP:0:0:0:0:0:0:0:1"
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SIMULATOR_TLS_CERT = `-----BEGIN CERTIFICATE-----
MIICCDCCAa6gAwIBAgIUC2rhqst8RtwEoTSmYzKBHDD0tkYwCgYIKoZIzj0EAwIw
QTE/MD0GA1UEAww2ZmxvcmEtdGVtcG9yYWwgc2ltdWxhdG9yIChsb29wYmFjayBv
bmx5LCBub3QgYSBzZWNyZXQpMCAXDTI2MTEyODE3MTUxNloYDzIxMjYxMTA0MTcx
NTE2WjBBMT8wPQYDVQQDDDZmbG9yYS10ZW1wb3JhbCBzaW11bGF0b3IgKGxvb3Bi
YWNrIG9ubHksIG5vdCBhIHNlY3JldCkwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNC
AASXBMwio4SAg0w1pNAyNXagSE4iDAfnlCEWqfa5I2vjkEeKJInKReLytWcmbsoS
hUwh7Su/qsgMTb/JZfkLSRiTo4GBMH8wHQYDVR0OBBYEFFuNixLga3zdvIsGu3Rz
yieE2inKMB8GA1UdIwQYMBaAFFuNixLga3zdvIsGu3RzyieE2inKMA8GA1UdEwEB
/wQFMAMBAf8wLAYDVR0RBCUwI4cEfwAAAYIJbG9jYWxob3N0hxAAAAAAAAAAAAAA
AAAAAAABMAoGCCqGSM49BAMCA0gAMEUCIDk7X5V8/e4WyHUkMuNoATwfG+eEP6gy
kV2mJXQj3JTsAiEAq45tbNJeh8lGoYw+MsPlNOlzarqy19fOBqnEzSdHn3I=
-----END CERTIFICATE-----
`;

export const SIMULATOR_TLS_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg3wLmkXMgq/qW/6Pl
eu6mpv3/b7oOeYCMgzxsKN/Gep+hRANCAASXBMwio4SAg0w1pNAyNXagSE4iDAfn
lCEWqfa5I2vjkEeKJInKReLytWcmbsoShUwh7Su/qsgMTb/JZfkLSRiT
-----END PRIVATE KEY-----
`;

/**
 * Writes the certificate where NODE_EXTRA_CA_CERTS can point (the temp directory, named by its content's
 * hash so two versions never clash) and returns the path. Node reads that variable when a process starts,
 * so it must be exported before the worker or the CLI starts, as the simulator's export line does. Node
 * takes one file: certificates already named by `alsoTrust` (today's NODE_EXTRA_CA_CERTS) are kept in it.
 */
export async function writeSimulatorCaFile(alsoTrust?: string, dir = tmpdir()): Promise<string> {
  const kept = alsoTrust ? await readFile(alsoTrust, 'utf8').catch(() => '') : '';
  const content = kept.includes(SIMULATOR_TLS_CERT.trim())
    ? kept
    : `${kept}${kept && !kept.endsWith('\n') ? '\n' : ''}${SIMULATOR_TLS_CERT}`;
  const hash = createHash('sha256').update(content).digest('hex').slice(0, 12);
  const path = join(dir, `flora-temporal-simulator-ca-${hash}.pem`);
  const current = await readFile(path, 'utf8').catch(() => undefined);
  if (current !== content) await writeFile(path, content);
  return path;
}
