/**
 * The CLI in a real pseudo-terminal (util-linux `script`), and a small screen model that replays what it
 * wrote, so a test sees what a user would see: rows of a fixed width, in-place redraws applied.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { BIN } from './cli';

export interface PtyResult {
  code: number | null;
  /** Everything written to the terminal (stdout and stderr together, as a terminal shows them). */
  output: string;
}

/**
 * Runs `flora-temporal <args>` in a pty of `cols` columns. `script` reports the child's exit code.
 * `shellBefore`/`shellAfter` wrap the command (e.g. to resize the terminal while it runs).
 */
export function runInPty(
  args: string[],
  env: Record<string, string>,
  options: {
    cols: number;
    shell?: (command: string) => string;
    timeoutMs?: number;
    /** Called with everything written so far, after each chunk; `type` sends keystrokes to the terminal. */
    onOutput?: (output: string, type: (keys: string) => void) => void;
  },
): Promise<PtyResult> {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, '--require', 'tsx/cjs', BIN, ...args].map(quote).join(' ');
  const body = options.shell ? options.shell(command) : `exec ${command}`;
  const child = spawn('script', ['-qfec', `stty cols ${options.cols} rows 50; ${body}`, '/dev/null'], {
    cwd: join(__dirname, '..', '..'),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TERM: 'xterm', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
    options.onOutput?.(output, (keys) => child.stdin.write(keys));
  });
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out in the pty; output so far:\n${output}`));
    }, options.timeoutMs ?? 90_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** Printed by a test's shell to mark where it resized the terminal: `printf '\033]999;60\007'`. */
// eslint-disable-next-line no-control-regex -- terminal escape sequences are what this parses
export const RESIZE_MARK = /\x1b\]999;(\d+)\x07/;

/**
 * Replays terminal output on a screen `width` columns wide (unbounded height): printable characters wrap
 * at the right edge, CR/LF move the cursor, `ESC[nF` goes n rows up, `ESC[J` and `ESC[K` erase; other
 * escape sequences are ignored. At a RESIZE_MARK the screen takes the new width and re-wraps its lines,
 * as today's terminals do. Returns the rows left on the screen.
 */
export function replayScreen(output: string, width: number): string[] {
  // Each row remembers whether it continues the row above (a soft wrap), so a resize can re-wrap.
  let rows: { cells: string[]; continued: boolean }[] = [{ cells: [], continued: false }];
  let row = 0;
  let col = 0;
  const at = (r: number) => (rows[r] ??= { cells: [], continued: false });
  for (let i = 0; i < output.length; i++) {
    const ch = output[i] as string;
    const rest = output.slice(i, i + 32);
    const resize = RESIZE_MARK.exec(rest);
    if (resize && resize.index === 0) {
      i += resize[0].length - 1;
      width = Number(resize[1]);
      const logical: string[][] = [];
      for (const r of rows) {
        if (r.continued && logical.length > 0) logical[logical.length - 1]?.push(...r.cells);
        else logical.push([...r.cells]);
      }
      rows = [];
      for (const cells of logical) {
        for (let start = 0; start === 0 || start < cells.length; start += width)
          rows.push({ cells: cells.slice(start, start + width), continued: start > 0 });
      }
      // The tests resize only between frames, with the cursor at the start of an empty last row.
      row = Math.max(0, rows.length - 1);
      col = 0;
      continue;
    }
    if (ch === '\x1b' && output[i + 1] === '[') {
      // eslint-disable-next-line no-control-regex -- terminal escape sequences are what this parses
      const match = /^\x1b\[([0-9;?]*)([A-Za-z])/.exec(rest);
      if (!match) continue;
      i += match[0].length - 1;
      const n = Number(match[1] || '1');
      if (match[2] === 'F') {
        row = Math.max(0, row - n);
        col = 0;
      } else if (match[2] === 'J') {
        at(row).cells.length = col;
        rows.length = row + 1;
      } else if (match[2] === 'K') {
        at(row).cells.length = col;
      }
      continue;
    }
    if (ch === '\r') col = 0;
    else if (ch === '\n') {
      row += 1;
      at(row);
    } else if (ch >= ' ') {
      if (col >= width) {
        row += 1;
        col = 0;
        at(row).continued = true;
      }
      at(row).cells[col] = ch;
      col += 1;
    }
  }
  return rows.map((r) =>
    Array.from(r.cells, (c) => c ?? ' ')
      .join('')
      .trimEnd(),
  );
}
