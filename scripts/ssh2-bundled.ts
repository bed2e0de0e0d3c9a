import { readFile } from 'node:fs/promises';
import type { Plugin } from 'esbuild';

/**
 * ssh2 inside an esbuild bundle (the deploy bundle, scripts/bundle-cli.ts). Its optional native
 * parts, its crypto binding and the cpu-features package (both only change which ciphers ssh2
 * prefers and how fast they run; ssh2 falls back when they are missing), are loaded at run time
 * from where npm installed ssh2, wherever that is: a .node file cannot be bundled, and
 * cpu-features is ssh2's dependency, not zkplan's. test/unit/ssh2-bundled.test.ts checks that the
 * bundled ssh2 finds them and prefers the same ciphers as the package itself.
 */
export const ssh2Bundled: Plugin = {
  name: 'ssh2-bundled',
  setup(b) {
    b.onResolve({ filter: /\/sshcrypto\.node$/ }, () => ({ path: 'ssh2/lib/protocol/crypto/build/Release/sshcrypto.node', external: true }));
    b.onResolve({ filter: /^cpu-features$/ }, () => ({ path: 'cpu-features', namespace: 'ssh2-dependency' }));
    b.onLoad({ filter: /.*/, namespace: 'ssh2-dependency' }, () => ({
      contents: "module.exports = require('node:module').createRequire(require.resolve('ssh2/package.json'))('cpu-features');",
      loader: 'js',
    }));
    // ssh2's HTTP(S) agents (which zkplan does not use) load node:http, node:https and node:tls
    // when ssh2 loads, before the first handshake can start; here they load when first read.
    b.onLoad({ filter: /[\\/]ssh2[\\/]lib[\\/]index\.js$/ }, async ({ path: file }) => {
      const source = await readFile(file, 'utf8');
      const eager = "const {\n  SSHTTPAgent: HTTPAgent,\n  SSHTTPSAgent: HTTPSAgent,\n} = require('./http-agents.js');\n";
      const exported = '  HTTPAgent,\n  HTTPSAgent,\n';
      if (!source.includes(eager) || !source.includes(exported)) throw new Error(`${file} no longer loads its HTTP agents as it did: check how ssh2 exports them now`);
      const lazy = "  get HTTPAgent() { return require('./http-agents.js').SSHTTPAgent; },\n  get HTTPSAgent() { return require('./http-agents.js').SSHTTPSAgent; },\n";
      return { contents: source.replace(eager, '').replace(exported, lazy), loader: 'js' };
    });
    // Windows' Pageant helper, next to ssh2's own files rather than the bundle's
    b.onLoad({ filter: /[\\/]ssh2[\\/]lib[\\/]agent\.js$/ }, async ({ path: file }) => {
      const source = await readFile(file, 'utf8');
      const pagent = "resolve(__dirname, '..', 'util/pagent.exe')";
      if (!source.includes(pagent)) throw new Error(`${file} no longer has ${pagent}: check how ssh2 finds pagent.exe now`);
      return { contents: source.replace(pagent, "resolve(require.resolve('ssh2/package.json'), '..', 'util/pagent.exe')"), loader: 'js' };
    });
  },
};
