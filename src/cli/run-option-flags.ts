/**
 * The run options `flora-temporal run` takes as flags. Only the flag names and help live here: each
 * value is parsed and checked by the option's own schema (domain/run-options.ts), so a flag and the
 * option it sets can never disagree on bounds, and a bad value is a usage error naming the flag.
 */
import { InvalidArgumentError, Option } from 'commander';
import {
  runOptionsSchema,
  runOptionBounds,
  type RunOptionKey,
  type RunTechniqueOptions,
} from '../domain/run-options';

interface RunOptionFlag {
  option: RunOptionKey;
  flag: string;
  help: string;
}

export const RUN_OPTION_FLAGS: readonly RunOptionFlag[] = [
  { option: 'maxCostUsd', flag: '--max-cost <usd>', help: 'refuse techniques priced above this' },
  { option: 'deadline', flag: '--deadline <duration>', help: 'give up after this long, e.g. 30m or 6h' },
  { option: 'idempotencyKey', flag: '--idempotency-key <key>', help: 'idempotency key of the first create' },
  {
    option: 'attachRunId',
    flag: '--attach-run-id <run_id>',
    help: 'create nothing; follow this existing FLORA run',
  },
  {
    option: 'maxRunAttempts',
    flag: '--max-run-attempts <n>',
    help: 'runs to create after transient failures',
  },
];

/** `(1–10)` for a bounded whole number, nothing otherwise. */
function boundsHint(key: RunOptionKey): string {
  const b = runOptionBounds(key);
  return b.kind === 'number' && b.max !== undefined ? ` (${b.min ?? 0}–${b.max})` : '';
}

/** A flag's value through its option's schema: numbers for number options, the text otherwise. */
export function parseRunOptionFlag(entry: RunOptionFlag, text: string): unknown {
  const value = runOptionBounds(entry.option).kind === 'number' && text.trim() !== '' ? Number(text) : text;
  const parsed = runOptionsSchema().shape[entry.option].safeParse(value);
  if (!parsed.success) {
    const name = entry.flag.split(' ')[0] ?? entry.flag;
    throw new InvalidArgumentError(`${name}: ${parsed.error.issues[0]?.message ?? 'invalid value'}`);
  }
  return value;
}

/** The commander options for every run-option flag. */
export function runOptionFlagOptions(): Option[] {
  return RUN_OPTION_FLAGS.map((entry) =>
    new Option(entry.flag, `${entry.help}${boundsHint(entry.option)}`).argParser((text: string) =>
      parseRunOptionFlag(entry, text),
    ),
  );
}

/** The run options set by flags, from commander's parsed options. */
export function runOptionsFromFlags(opts: object): RunTechniqueOptions {
  const values = opts as Record<string, unknown>;
  const options: Record<string, unknown> = {};
  for (const entry of RUN_OPTION_FLAGS) {
    const value = values[new Option(entry.flag).attributeName()];
    if (value !== undefined) options[entry.option] = value;
  }
  return options;
}
