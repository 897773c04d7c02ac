/**
 * The `flora-temporal` executable: bin/flora-temporal.js loads the compiled form of this file
 * (dist/bin.js); tests run it from source through tsx.
 */
import { main } from './cli/main';

// `flora-temporal runs list | head -1`: the reader has gone, so there is nobody left to tell. Exit
// quietly instead of crashing with an unhandled EPIPE (Node ignores SIGPIPE, so writes fail instead).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
