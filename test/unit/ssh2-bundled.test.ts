// The deploy bundle's ssh2 (scripts/ssh2-bundled.ts): bundled with the build's plugin, ssh2 loads
// its native crypto binding and cpu-features from where npm installed it, and so prefers the same
// ciphers as the package loaded from node_modules; its HTTP agents still load when read.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { ssh2Bundled } from '../../scripts/ssh2-bundled.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// inside the package, so that the bundle finds node_modules as dist/bundle/ does
const dir = mkdtempSync(path.join(ROOT, '.test-ssh2-bundle-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('bundled ssh2 finds its native parts and prefers the same ciphers as the package', async () => {
  const result = await build({
    stdin: {
      contents: "module.exports = { ssh2: require('ssh2'), constants: require('ssh2/lib/protocol/constants.js'), crypto: require('ssh2/lib/protocol/crypto.js') };",
      resolveDir: ROOT,
    },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    write: false,
    plugins: [ssh2Bundled],
    external: ['ssh2/package.json'],
    logLevel: 'silent',
  });
  const file = path.join(dir, 'bundle.cjs');
  writeFileSync(file, result.outputFiles[0]!.text);
  const bundled = createRequire(file)(file) as { ssh2: { HTTPAgent: unknown; Client: unknown }; constants: { DEFAULT_CIPHER: string[] }; crypto: { bindingAvailable: boolean } };
  const fromPackage = createRequire(import.meta.url);
  const constants = fromPackage('ssh2/lib/protocol/constants.js') as { DEFAULT_CIPHER: string[] };
  const crypto = fromPackage('ssh2/lib/protocol/crypto.js') as { bindingAvailable: boolean };
  assert.notEqual(bundled.constants, constants, 'the bundle has its own copy of ssh2');
  assert.equal(bundled.crypto.bindingAvailable, crypto.bindingAvailable);
  assert.deepEqual(bundled.constants.DEFAULT_CIPHER, constants.DEFAULT_CIPHER);
  assert.equal(typeof bundled.ssh2.Client, 'function');
  assert.equal(typeof bundled.ssh2.HTTPAgent, 'function');
});
