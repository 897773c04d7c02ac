/**
 * Durations such as `'30m'`, `'6h'`, `'2 days'` or a number of ms, read exactly as the Temporal SDK reads
 * them (its `ms`-style format), without importing SDK internals. Pure: safe in workflow code. The
 * accepted forms must not shrink: recorded histories carry deadlines written this way.
 */
const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_557_600_000, // 365.25 days
};

const UNIT_ALIASES: [RegExp, keyof typeof UNIT_MS][] = [
  [/^(milliseconds?|msecs?|ms)$/, 'ms'],
  [/^(seconds?|secs?|s)$/, 's'],
  [/^(minutes?|mins?|m)$/, 'm'],
  [/^(hours?|hrs?|h)$/, 'h'],
  [/^(days?|d)$/, 'd'],
  [/^(weeks?|w)$/, 'w'],
  [/^(years?|yrs?|y)$/, 'y'],
];

const DURATION =
  /^(-?(?:\d+)?\.?\d+) *(milliseconds?|msecs?|ms|seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|w|years?|yrs?|y)?$/i;

/** Milliseconds, or NaN when the value is not a duration (a number is taken as ms). */
export function durationToMs(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string' || value.length === 0 || value.length > 100) return NaN;
  const match = DURATION.exec(value);
  if (!match?.[1]) return NaN;
  const unit = (match[2] ?? 'ms').toLowerCase();
  const alias = UNIT_ALIASES.find(([pattern]) => pattern.test(unit));
  return alias ? parseFloat(match[1]) * (UNIT_MS[alias[1]] ?? NaN) : NaN;
}
