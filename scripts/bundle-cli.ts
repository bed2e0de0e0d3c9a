// Bundles the CLI into dist/bundle/ (esbuild), which bin/zkplan.js runs: loading a few files
// instead of about a hundred (yaml alone is 72) is most of zkplan's start-up (issue 9).
// Code splitting keeps every command's dynamic import() lazy, so `plan` still never loads what
// `apply` needs. ssh2 (native add-ons), the ZooKeeper client and handlebars stay packages,
// loaded from node_modules by the commands that use them. Source maps point stack traces
// (ZKPLAN_DEBUG=1) at src/.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

await build({
  absWorkingDir: ROOT,
  entryPoints: ['src/cli/main.ts'],
  // dist/bundle/ is two levels below the package root, like dist/render/: templates/ and schemas/ resolve alike
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  // identifiers stay, so ZKPLAN_DEBUG's stack traces keep the functions' names
  minifyWhitespace: true,
  minifySyntax: true,
  external: ['ssh2', 'node-zookeeper-client', 'handlebars'],
  // the CommonJS packages bundled in (yaml, commander, ajv's runtime) require Node's built-ins
  banner: { js: "import { createRequire as zkplanCreateRequire } from 'node:module'; const require = zkplanCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
