/** Parsers for option values: a bad value is a usage error naming the flag. */
import { InvalidArgumentError } from 'commander';

export function parseInteger(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}`);
    }
    return n;
  };
}

/** `--input id=value`, repeatable; the value may itself contain `=`. */
export function collectInput(pair: string, previous: Record<string, string>): Record<string, string> {
  const at = pair.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError(`expected id=value, got "${pair}"`);
  const id = pair.slice(0, at).trim();
  if (Object.prototype.hasOwnProperty.call(previous, id))
    throw new InvalidArgumentError(`input "${id}" given twice`);
  return { ...previous, [id]: pair.slice(at + 1) };
}
