/**
 * Cursor pagination. Cursors are opaque to clients (base64url JSON) and tagged with the listing they
 * belong to, so a cursor from one listing handed to another is rejected rather than misread.
 */
import { z } from 'zod';
import { ApiError } from './errors';

export const DEFAULT_PAGE_LIMIT = 20;
export const MAX_PAGE_LIMIT = 100;

const LimitSchema = z.coerce
  .number({ error: 'must be an integer' })
  .int('must be an integer')
  .min(1, `must be between 1 and ${MAX_PAGE_LIMIT}`)
  .max(MAX_PAGE_LIMIT, `must be between 1 and ${MAX_PAGE_LIMIT}`);

export function parseLimit(raw: string | null): number {
  if (raw === null) return DEFAULT_PAGE_LIMIT;
  const result = LimitSchema.safeParse(raw.trim() === '' ? Number.NaN : raw);
  if (!result.success) {
    throw ApiError.validation([
      { field: 'limit', message: `${result.error.issues[0]?.message ?? 'is invalid'}; got "${raw}"` },
    ]);
  }
  return result.data;
}

const CursorSchema = z.strictObject({ k: z.string(), p: z.number().int().nonnegative() });

export function encodeCursor(kind: string, position: number): string {
  return Buffer.from(JSON.stringify({ k: kind, p: position }), 'utf8').toString('base64url');
}

/** Returns the position stored in the cursor, or undefined when no cursor was sent. */
export function decodeCursor(kind: string, raw: string | null): number | undefined {
  if (raw === null) return undefined;
  const invalid = ApiError.validation([
    { field: 'cursor', message: 'is not a cursor from this listing; pass meta.next_cursor back unchanged' },
  ]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  const result = CursorSchema.safeParse(parsed);
  if (!result.success || result.data.k !== kind) throw invalid;
  return result.data.p;
}
