// Bundles the CLI into dist/bundle/ (esbuild), which bin/zkplan.js runs: loading a few files
// instead of about a hundred (yaml alone is 72) is most of zkplan's start-up (issue 9).
//
// Two bundles of the same sources:
// - zkplan.cjs, one CommonJS file that bin/zkplan.js compiles with a V8 code cache written here
//   (zkplan.cjs.cache, from a run of `zkplan --help` and `zkplan plan` on the bundled example): node 20 has no compile
//   cache for modules, and compiling is most of what is left of start-up. Every command's dynamic
//   import() stays lazy (esbuild initialises a dynamically imported module when it is imported), so
//   `plan` still never loads what `apply` needs.
// - main.js and its chunks (ES modules, split per command) with source maps, which bin/zkplan.js
//   runs under ZKPLAN_DEBUG so that stack traces name src/.
// ssh2 (native add-ons), the ZooKeeper client and handlebars stay packages, loaded from
// node_modules by the commands that use them.
import { build, type BuildOptions } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const common: BuildOptions = {
  absWorkingDir: ROOT,
  entryPoints: ['src/cli/main.ts'],
  bundle: true,
  platform: 'node',
  target: 'node20',
  // identifiers stay, so ZKPLAN_DEBUG's stack traces keep the functions' names
  minifyWhitespace: true,
  minifySyntax: true,
  external: ['ssh2', 'node-zookeeper-client', 'handlebars'],
  logLevel: 'warning',
};

await build({
  ...common,
  // dist/bundle/ is two levels below the package root, like dist/render/: templates/ and schemas/ resolve alike
  outdir: 'dist/bundle',
  splitting: true,
  format: 'esm',
  sourcemap: true,
  // the CommonJS packages bundled in (yaml, commander, ajv's runtime) require Node's built-ins
  banner: { js: "import { createRequire as zkplanCreateRequire } from 'node:module'; const require = zkplanCreateRequire(import.meta.url);" },
});

const CJS = 'dist/bundle/zkplan.cjs';
await build({
  ...common,
  outfile: CJS,
  format: 'cjs',
  // the one import.meta.url in src/ (the templates directory) is this file's own URL: same directory
  define: { 'import.meta.url': 'zkplanBundleUrl' },
  banner: { js: "const zkplanBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
});

// The code cache: V8 keeps what a run compiled, so it is written after running a command.
const cache = `${ROOT}/${CJS}.cache`;
if (existsSync(cache)) rmSync(cache);
const run = spawnSync(process.execPath, ['bin/zkplan.js', 'plan', 'inventories/example.yml'], {
  cwd: ROOT,
  env: { ...process.env, ZKPLAN_DEBUG: '', ZKPLAN_WRITE_CODE_CACHE: cache },
  stdio: ['ignore', 'ignore', 'inherit'],
});
if (run.status !== 0 || !existsSync(cache)) throw new Error(`writing the code cache failed (exit ${run.status})`);
