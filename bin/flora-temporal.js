#!/usr/bin/env node
'use strict';
// Runs the TypeScript sources directly through tsx, so `npx flora-temporal` works right after `npm ci`.
require('tsx/cjs');
const { main } = require('../src/client/cli.ts');
main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`error: ${err && err.message ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
