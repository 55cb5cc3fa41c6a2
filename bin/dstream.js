#!/usr/bin/env node
// The `dstream` command: TypeScript sources run through tsx, so there is no build step.
'use strict';
// The SDK warns that its 2027 releases will need Node 22; harmless here (Lambda runs Node 22).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('tsx/cjs');
require('./cli.ts')
  .main(process.argv)
  .catch((err) => {
    process.stderr.write(`dstream: ${(err && err.stack) || err}\n`);
    process.exitCode = 1;
  });
