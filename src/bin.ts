/**
 * The `flora-temporal` executable: bin/flora-temporal.js loads the compiled form of this file
 * (dist/bin.js); tests run it from source through tsx.
 */
import { main } from './cli/main';

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
