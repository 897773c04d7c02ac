/**
 * FLORA's webhook signature (FLORA_API.md, "Webhooks"): header `Flora-Signature: t=<unix seconds>,v1=<hex>`
 * (more than one `v1=` may appear, e.g. while FLORA rotates the secret), where each `v1` is
 * HMAC-SHA256 over `${t}.${rawBody}` keyed with the workspace secret `whsec_…` (the whole string).
 * Pure functions over node:crypto: the receiver, the simulator and the tests share them.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Deliveries signed longer ago than this are refused (FLORA_API.md). */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

export const SIGNATURE_HEADER = 'flora-signature';
export const WEBHOOK_ID_HEADER = 'flora-webhook-id';

/** The header never holds more than a handful of signatures; more is not FLORA. */
const MAX_SIGNATURES = 8;
const MAX_HEADER_LENGTH = 1_024;
const HEX_DIGEST = /^[0-9a-f]{64}$/i;

export type VerifyFailure = 'missing' | 'malformed' | 'mismatch' | 'stale';

export type VerifyResult = { ok: true; timestamp: number } | { ok: false; reason: VerifyFailure };

/** The `v1` signature of `rawBody` at `timestamp` (unix seconds), as lowercase hex. */
export function signPayload(secret: string, timestamp: number, rawBody: string | Buffer): string {
  return digest(secret, timestamp, rawBody).toString('hex');
}

/** A complete `Flora-Signature` header value for one or more secrets. */
export function signatureHeader(
  secrets: readonly string[],
  timestamp: number,
  rawBody: string | Buffer,
): string {
  return [`t=${timestamp}`, ...secrets.map((s) => `v1=${signPayload(s, timestamp, rawBody)}`)].join(',');
}

function digest(secret: string, timestamp: number, rawBody: string | Buffer): Buffer {
  const hmac = createHmac('sha256', secret);
  hmac.update(`${timestamp}.`);
  hmac.update(rawBody);
  return hmac.digest();
}

/** `t` and the `v1` values of a header, or undefined when it is not a well-formed signature header. */
export function parseSignatureHeader(header: string): { timestamp: number; v1: string[] } | undefined {
  if (header.length > MAX_HEADER_LENGTH) return undefined;
  let timestamp: number | undefined;
  const v1: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return undefined;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (timestamp !== undefined || !/^\d{1,12}$/.test(value)) return undefined;
      timestamp = Number(value);
    } else if (key === 'v1') {
      v1.push(value);
    }
    // Other schemes (a future v2, say) are ignored, as a verifier of v1 must.
  }
  if (timestamp === undefined || v1.length === 0 || v1.length > MAX_SIGNATURES) return undefined;
  return { timestamp, v1 };
}

/**
 * Checks a delivery: the header parses, one `v1` matches one of `secrets` (compared in constant time on
 * equal-length buffers), and the timestamp is within `toleranceSeconds` of `nowSeconds` (either way: a
 * timestamp from the future is as suspicious as an old one). The signature is checked before the age,
 * so an unsigned request learns nothing about the clock.
 */
export function verifySignature(args: {
  header: string | undefined;
  rawBody: string | Buffer;
  secrets: readonly string[];
  nowSeconds: number;
  toleranceSeconds?: number;
}): VerifyResult {
  const { header, rawBody, secrets, nowSeconds, toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS } = args;
  if (header === undefined || header.trim() === '') return { ok: false, reason: 'missing' };
  const parsed = parseSignatureHeader(header);
  if (parsed === undefined) return { ok: false, reason: 'malformed' };
  let matched = false;
  for (const secret of secrets) {
    const expected = digest(secret, parsed.timestamp, rawBody);
    for (const candidate of parsed.v1) {
      if (!HEX_DIGEST.test(candidate)) continue;
      const given = Buffer.from(candidate, 'hex');
      // Both are 32 bytes here (checked by the pattern), as timingSafeEqual requires.
      if (given.length === expected.length && timingSafeEqual(given, expected)) matched = true;
    }
  }
  if (!matched) return { ok: false, reason: 'mismatch' };
  if (Math.abs(nowSeconds - parsed.timestamp) > toleranceSeconds) return { ok: false, reason: 'stale' };
  return { ok: true, timestamp: parsed.timestamp };
}
