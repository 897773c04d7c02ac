/** "Did you mean": the known names closest to a typo, by edit distance. */

/** Levenshtein distance (insert, delete, substitute: 1 each). */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitute = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      row.push(Math.min((previous[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, substitute));
    }
    previous = row;
  }
  return previous[b.length] ?? 0;
}

/**
 * Up to `max` of `known` close enough to `wanted` to be what was meant: within a third of its length
 * in edits (at least 2), or containing it / contained in it. Closest first.
 */
export function closest(wanted: string, known: readonly string[], max = 3): string[] {
  const w = wanted.toLowerCase();
  const limit = Math.max(2, Math.floor(w.length / 3));
  return known
    .map((name) => {
      const n = name.toLowerCase();
      const distance = editDistance(w, n);
      const related = w.length >= 3 && (n.includes(w) || w.includes(n));
      return { name, score: distance <= limit ? distance : related ? limit + 1 : Infinity };
    })
    .filter((c) => Number.isFinite(c.score))
    .sort((a, b) => a.score - b.score || a.name.localeCompare(b.name))
    .slice(0, max)
    .map((c) => c.name);
}
