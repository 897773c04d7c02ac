#!/usr/bin/env node
'use strict';
// The compiled CLI (`npm run build`, run by `npm ci`, `npm pack` and git installs through `prepare`).
try {
  require.resolve('../dist/bin.js');
} catch {
  process.stderr.write('flora-temporal is not built: run `npm run build` in the package directory\n');
  process.exit(1);
}
require('../dist/bin.js');
