#!/usr/bin/env node
// banwall's entry point. Plain JavaScript on purpose, in two steps:
//
// 1. The Node version is checked first, in syntax any Node that can load an ES module parses (no
//    top-level await, no static import, no `?.`/`??`): an older Node gets "banwall needs Node ≥ 22.19"
//    instead of a SyntaxError or a missing export from deep inside the TypeScript sources. Static
//    imports are linked before any line runs, so everything past the check is a dynamic import().
// 2. V8's compile cache (which also keeps the TypeScript sources with their types stripped) is
//    switched on before any .ts file loads, so a warm start never loads Node's type stripper
//    (~24 MB of RSS measured here) nor strips a file again.

// Keep in step with "engines" in package.json (test/cli/cli.test.ts checks it): 22.18 runs
// .ts files without a flag; 22.19 is the first release where that no longer prints a warning.
/* global process */
var MIN = [22, 19, 0];

function tooOld(version) {
  var have = version.split('.').map(Number);
  for (var i = 0; i < MIN.length; i++) {
    if (have[i] !== MIN[i]) return have[i] < MIN[i];
  }
  return false;
}

if (tooOld(process.versions.node)) {
  process.stderr.write(
    'banwall needs Node \u2265 ' +
      MIN.join('.') +
      '; this is Node ' +
      process.versions.node +
      ' (' +
      process.execPath +
      ').\n' +
      'Run `npm ci` to get Node 24 in node_modules/.bin (npm start and npx banwall use it), or install Node 24 LTS.\n',
  );
  process.exitCode = 2;
} else {
  import('node:module')
    .then(function (mod) {
      mod.enableCompileCache();
      return import('../src/cli.ts');
    })
    .catch(function (err) {
      process.stderr.write('banwall: ' + ((err && err.stack) || String(err)) + '\n');
      process.exitCode = 1;
    });
}
