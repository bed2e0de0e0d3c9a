// Bundles the CLI into dist/bundle/ (esbuild), which bin/zkplan.js runs: loading a few files
// instead of about a hundred (yaml alone is 72) is most of zkplan's start-up (issue 9).
//
// Three bundles of the same sources:
// - zkplan.cjs, one CommonJS file that bin/zkplan.js compiles with a V8 code cache written here
//   (zkplan.cjs.cache, from a run of `zkplan --help` and `zkplan plan` on the bundled example): node 20 has no compile
//   cache for modules, and compiling is most of what is left of start-up. Every command's dynamic
//   import() stays lazy (esbuild initialises a dynamically imported module when it is imported), so
//   `plan` still never loads what `apply` needs. ssh2 stays a package here.
// - zkplan-deploy.cjs, the same with ssh2 inside, for the commands that
//   deploy (apply, status, destroy, up, down); its cache holds every function of the bundle compiled
//   eagerly (bin/zkplan.js), since what those commands run against hosts cannot run here. A separate
//   file because a cache costs start-up in proportion to its size: `plan` and `--help` do not pay
//   for code they never run.
//   ssh2's native add-ons stay files in node_modules (see ssh2-bundled.ts).
// - main.js and its chunks (ES modules, split per command) with source maps, which bin/zkplan.js
//   runs under ZKPLAN_DEBUG so that stack traces name src/.
// handlebars stays a package everywhere.
import { build, type BuildOptions } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ssh2Bundled } from './ssh2-bundled.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = 'dist/bundle';

const common: BuildOptions = {
  absWorkingDir: ROOT,
  entryPoints: ['src/cli/main.ts'],
  bundle: true,
  platform: 'node',
  target: 'node20',
  // identifiers stay, so ZKPLAN_DEBUG's stack traces keep the functions' names
  minifyWhitespace: true,
  minifySyntax: true,
  external: ['ssh2', 'handlebars'],
  logLevel: 'warning',
};

// chunks of earlier builds would otherwise pile up in the package
rmSync(`${ROOT}/${OUT}`, { recursive: true, force: true });

await build({
  ...common,
  // dist/bundle/ is two levels below the package root, like dist/render/: templates/ and schemas/ resolve alike
  outdir: OUT,
  splitting: true,
  format: 'esm',
  sourcemap: true,
  // the CommonJS packages bundled in (yaml, commander, ajv's runtime) require Node's built-ins
  banner: { js: "import { createRequire as zkplanCreateRequire } from 'node:module'; const require = zkplanCreateRequire(import.meta.url);" },
});

const cjs: BuildOptions = {
  ...common,
  format: 'cjs',
  // the one import.meta.url in src/ (the templates directory) is this file's own URL: same directory
  define: { 'import.meta.url': 'zkplanBundleUrl' },
  banner: { js: "const zkplanBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
};
await build({ ...cjs, outfile: `${OUT}/zkplan.cjs` });
await build({ ...cjs, outfile: `${OUT}/zkplan-deploy.cjs`, plugins: [ssh2Bundled], external: ['handlebars', 'ssh2/package.json'] });

// The code caches: V8 keeps what a run compiled, so each is written after running `plan` on the
// bundled example (bin/zkplan.js, ZKPLAN_WRITE_CODE_CACHE).
for (const bundle of ['zkplan.cjs', 'zkplan-deploy.cjs']) {
  const file = `${ROOT}/${OUT}/${bundle}`;
  const cache = `${file}.cache`;
  const run = spawnSync(process.execPath, ['bin/zkplan.js', 'plan', 'inventories/example.yml'], {
    cwd: ROOT,
    env: { ...process.env, ZKPLAN_DEBUG: '', ZKPLAN_WRITE_CODE_CACHE: bundle },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (run.status !== 0 || !existsSync(cache)) throw new Error(`writing the code cache of ${bundle} failed (exit ${run.status})`);
  // V8 refuses a cache silently (the CLI then only compiles more slowly): check that it takes this
  // one, compiled the way bin/zkplan.js compiles the bundle.
  const check = spawnSync(
    process.execPath,
    [
      '-e',
      `const { readFileSync } = require('node:fs'); const file = ${JSON.stringify(file)};
       const script = new (require('node:vm').Script)(require('node:module').wrap(readFileSync(file, 'utf8')), { filename: file, cachedData: readFileSync(file + '.cache') });
       process.exitCode = script.cachedDataRejected ? 3 : 0;`,
    ],
    { stdio: 'inherit' },
  );
  if (check.status !== 0) throw new Error(`V8 rejects the code cache of ${bundle} it just wrote (exit ${check.status})`);
}
