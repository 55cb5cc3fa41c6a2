#!/usr/bin/env node
// The `dstream` command: TypeScript sources run through tsx, so there is no build step.
'use strict';
require('tsx/cjs');
require('./cli.ts')
  .main(process.argv)
  .catch((err) => {
    process.stderr.write(`dstream: ${(err && err.stack) || err}\n`);
    process.exitCode = 1;
  });
