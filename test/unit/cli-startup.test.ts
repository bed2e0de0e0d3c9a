// Start-up (issue 9): each command loads only what it uses, and the inventory schema's validator
// is compiled at build time. The timings themselves are a benchmark (npm run bench), not a test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { INVENTORY_VALIDATOR_PATH, inventoryValidatorSource } from '../../scripts/inventory-validator.js';

/** The npm packages (and their modules) a fresh process loads to run `zkplan <args>`, and its exit code. */
function loadedBy(args: string[], preload: string[] = []): { code: number; packages: string[]; modules: string[] } {
  const imports = ['tsx', ...preload].flatMap((m) => ['--import', m]);
  const child = spawnSync(process.execPath, [...imports, 'test/unit/helpers/loaded-packages.ts', ...args], { encoding: 'utf8' });
  assert.equal(child.status, 0, child.stderr);
  const { code, modules } = JSON.parse(child.stdout) as { code: number; modules: string[] };
  // tsx (and what it loads) runs these tests from src/; it is not part of zkplan's start
  const packages = [...new Set(modules.map((m) => m.split('/')[0]!))].filter((p) => !TSX.includes(p)).sort();
  return { code, packages, modules };
}

// SSH; the ZooKeeper client is zkplan's own (src/verify/zk-connection.ts), loaded with the deploying commands
const REMOTE = ['ssh2'];
const TSX = ['tsx', 'esbuild', 'get-tsconfig', 'resolve-pkg-maps'];

test('plan loads neither SSH, the templates nor the schema compiler', () => {
  const { code, packages, modules } = loadedBy(['plan', 'inventories/example.yml']);
  assert.equal(code, 0);
  assert.ok(packages.includes('yaml'), `the detector sees the packages plan does load: ${packages.join(', ')}`);
  for (const heavy of [...REMOTE, 'handlebars', 'ajv-formats']) assert.ok(!packages.includes(heavy), `plan loaded ${heavy}`);
  // only the runtime helpers the generated validator requires, not Ajv's compiler
  assert.deepEqual(modules.filter((m) => m.startsWith('ajv/') && !m.startsWith('ajv/dist/runtime/')), [], 'plan loaded the schema compiler');
});

test('render loads the templates but not SSH', () => {
  const { code, packages } = loadedBy(['render', 'inventories/example.yml', '--target', 'swarm', '--all']);
  assert.equal(code, 0);
  assert.ok(packages.includes('handlebars'));
  for (const heavy of REMOTE) assert.ok(!packages.includes(heavy), `render loaded ${heavy}`);
});

test('--help loads no package but commander', () => {
  const { code, packages } = loadedBy(['--help']);
  assert.equal(code, 0);
  assert.deepEqual(packages.filter((p) => p !== 'commander'), []);
});

test('the detector sees ssh2 when it is loaded', () => {
  const { packages } = loadedBy(['--help'], ['./src/remote/ssh-auth.ts']);
  for (const heavy of REMOTE) assert.ok(packages.includes(heavy), `${heavy} not seen: ${packages.join(', ')}`);
});

test('the committed validator equals a fresh generation from the schema (npm run build regenerates it)', () => {
  assert.equal(readFileSync(INVENTORY_VALIDATOR_PATH, 'utf8'), inventoryValidatorSource(), 'schemas/inventory.validate.cjs is stale: run npm run build and commit it');
});
