#!/usr/bin/env node
// The bundled CLI (npm run build, scripts/bundle-cli.ts). It runs dist/bundle/zkplan.cjs compiled
// with the V8 code cache written at build time (node 20 has no compile cache for modules; a cache
// V8 refuses, e.g. after a node upgrade, only costs the compile). Under ZKPLAN_DEBUG it runs the ES
// module bundle instead, whose source maps make stack traces name src/.
import { readFileSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import { fileURLToPath } from 'node:url';

async function debugMain() {
  process.setSourceMapsEnabled(true);
  return (await import('../dist/bundle/main.js')).main;
}

function cachedMain() {
  const file = fileURLToPath(new URL('../dist/bundle/zkplan.cjs', import.meta.url));
  let cachedData;
  try {
    cachedData = readFileSync(`${file}.cache`);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(Module.wrap(readFileSync(file, 'utf8')), {
    filename: file,
    cachedData,
    ...(vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER ? { importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER } : {}),
  });
  const module = { exports: {} };
  script.runInThisContext().call(module.exports, module.exports, Module.createRequire(file), module, file, path.dirname(file));
  // npm run build: after the run, V8's code for every function it compiled
  const writeTo = process.env.ZKPLAN_WRITE_CODE_CACHE;
  if (writeTo) process.once('beforeExit', () => writeFileSync(writeTo, script.createCachedData()));
  return module.exports.main;
}

const main = process.env.ZKPLAN_DEBUG ? await debugMain() : cachedMain();
if (process.env.ZKPLAN_WRITE_CODE_CACHE) {
  // npm run build: `--help` first, so that the cache holds its code too, then the command given
  const args = process.argv.splice(2);
  process.argv.push('--help');
  await main();
  process.argv.splice(2, Infinity, ...args);
}
await main();
