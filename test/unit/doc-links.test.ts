/**
 * Every relative link in the project's Markdown (README.md, ARCHITECTURE.md, CHANGELOG.md, docs/, examples/,
 * bench/) points at a file that exists, and a `#fragment` at a heading of that file, so moving a document
 * (docs/architecture.md became ARCHITECTURE.md) cannot leave a dead link behind.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const ROOT = path.join(__dirname, '..', '..');

function markdown(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? e.name === 'node_modules' || e.name === 'fixtures'
        ? []
        : markdown(path.join(dir, e.name))
      : e.name.endsWith('.md')
        ? [path.join(dir, e.name)]
        : [],
  );
}

/** Prose only: fenced code blocks and inline code hold no links. */
const prose = (text: string) => text.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');

/** GitHub's heading anchors (lower case, punctuation dropped, spaces to dashes) and `<a id="…">` ones. */
function anchors(file: string): Set<string> {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  const found = new Set<string>([...text.matchAll(/<a id="([^"]+)"/g)].map((m) => m[1] ?? ''));
  for (const line of text.split('\n')) {
    const heading = /^#{1,6}\s+(.*)$/.exec(line);
    if (!heading) continue;
    const slug = (heading[1] ?? '')
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    found.add(slug);
  }
  return found;
}

test('every relative Markdown link resolves to a file, and its fragment to a heading', () => {
  const files = [
    ...['README.md', 'ARCHITECTURE.md', 'CHANGELOG.md'].map((f) => path.join(ROOT, f)),
    ...['docs', 'examples', 'bench'].flatMap((dir) => markdown(path.join(ROOT, dir))),
  ].filter((f) => existsSync(f));
  assert.ok(files.length > 5, 'found the docs');
  const dead: string[] = [];
  let checked = 0;
  for (const file of files) {
    for (const m of prose(readFileSync(file, 'utf8')).matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1] ?? '';
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
      const [relative = '', fragment] = target.split('#');
      const resolved = relative === '' ? file : path.resolve(path.dirname(file), relative);
      const where = `${path.relative(ROOT, file)}: ${target}`;
      checked++;
      if (!existsSync(resolved)) dead.push(`${where} (no such file)`);
      else if (fragment && resolved.endsWith('.md') && !anchors(resolved).has(fragment))
        dead.push(`${where} (no such heading)`);
    }
  }
  assert.ok(checked > 20, `checked ${checked} links`);
  assert.deepEqual(dead, []);
});
