#!/usr/bin/env node
// The bundled CLI (npm run build, scripts/bundle-cli.ts). It runs dist/bundle/zkplan.cjs, or for
// the commands that deploy zkplan-deploy.cjs (which holds ssh2 and the ZooKeeper client too),
// compiled with the V8 code cache written at build time (node 20 has no compile cache for
// modules; a cache V8 refuses, e.g. after a node upgrade, only costs the compile). Under
// ZKPLAN_DEBUG it runs the ES module bundle instead, whose source maps make stack traces name src/.
import { readFileSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import { fileURLToPath } from 'node:url';

const DEPLOY_COMMANDS = new Set(['apply', 'status', 'destroy', 'up', 'down']);
// npm run build: the bundle whose cache to write after the run, instead of reading one
const writeCacheOf = process.env.ZKPLAN_WRITE_CODE_CACHE;

async function debugMain() {
  process.setSourceMapsEnabled(true);
  return import('../dist/bundle/main.js');
}

function cachedMain(bundle) {
  const file = fileURLToPath(new URL(`../dist/bundle/${bundle}`, import.meta.url));
  let cachedData;
  try {
    if (!writeCacheOf) cachedData = readFileSync(`${file}.cache`);
  } catch {
    cachedData = undefined;
  }
  // The deploy bundle's cache holds every function, compiled eagerly: what apply and status run
  // (ssh2's protocol, SFTP, HTTP, the engine) is not run at build time, and compiling it lazily
  // cost a no-op apply about 50 ms more than reading it from the larger cache.
  const v8 = writeCacheOf === 'zkplan-deploy.cjs' ? Module.createRequire(import.meta.url)('node:v8') : undefined;
  v8?.setFlagsFromString('--no-lazy');
  const script = new vm.Script(Module.wrap(readFileSync(file, 'utf8')), {
    filename: file,
    cachedData,
    ...(vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER ? { importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER } : {}),
  });
  v8?.setFlagsFromString('--lazy');
  const module = { exports: {} };
  script.runInThisContext().call(module.exports, module.exports, Module.createRequire(file), module, file, path.dirname(file));
  // after the run, V8's code for every function it compiled
  if (writeCacheOf) process.once('beforeExit', () => writeFileSync(`${file}.cache`, script.createCachedData()));
  return module.exports;
}

const bundle = writeCacheOf ?? (DEPLOY_COMMANDS.has(process.argv[2]) ? 'zkplan-deploy.cjs' : 'zkplan.cjs');
const { main } = process.env.ZKPLAN_DEBUG ? await debugMain() : cachedMain(bundle);
if (writeCacheOf) {
  // `--help` first, so that the cache holds its code too, then the command given
  const args = process.argv.splice(2);
  process.argv.push('--help');
  await main();
  process.argv.splice(2, Infinity, ...args);
  await main();
} else {
  await main();
  // The command is done and its output written: exit now rather than when every socket's peer
  // has hung up (an SSH server, a ZooKeeper session's close answered) and node has torn down.
  // Output to a pipe is asynchronous on some systems (macOS): wait until it is flushed.
  await Promise.all([process.stdout, process.stderr].map((s) => (s.writableLength > 0 ? new Promise((r) => s.once('drain', r)) : undefined)));
  process.exit();
}
