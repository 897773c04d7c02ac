/** How the CLI writes amounts and counts, so every command says them the same way. */

/** Dollars with at least two decimals and at most four: `$0.10`, `$0.0125`, `$3.00`. */
export function usd(value: number): string {
  const rounded = Math.round(value * 10000) / 10000;
  const text = rounded.toString();
  const decimals = text.includes('.') ? text.length - text.indexOf('.') - 1 : 0;
  return `$${decimals >= 2 ? text : rounded.toFixed(2)}`;
}

/** `1 poll`, `2 polls`. */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}
