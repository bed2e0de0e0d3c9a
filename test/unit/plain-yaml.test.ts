// The inventory loader's fast path (src/inventory/plain-yaml.ts) against the yaml library it
// stands in for: wherever it answers, its value equals yaml.parse; where it cannot be sure it
// answers nothing (and the loader parses with yaml). Generated documents in every style
// YAML.stringify writes, every YAML file of the repository, and the edge cases one by one.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import YAML from 'yaml';
import { parsePlainYaml } from '../../src/inventory/plain-yaml.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

function agrees(text: string): boolean {
  const fast = parsePlainYaml(text);
  if (fast === undefined) return false;
  let expected: unknown;
  try {
    expected = YAML.parse(text, { uniqueKeys: true });
  } catch (e) {
    assert.fail(`fast path read a document yaml rejects (${(e as Error).message}):\n${text}`);
  }
  assert.deepEqual(fast.value, expected, text);
  return true;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (name === 'node_modules' || name.startsWith('.') || name === 'dist') return [];
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return yamlFiles(p);
    return /\.ya?ml$/.test(name) ? [p] : [];
  });
}

// scalars an inventory holds, and the ones a resolver gets wrong
const scalar = fc.oneof(
  fc.constantFrom('', 'null', 'Null', '~', 'true', 'False', 'yes', 'no', 'on', '0o17', '0x1F', '017', '+5', '-0', '1e3', '1.5', '.5', '-.inf', '.NaN', '1_000', '10.0.0.1', 'a:b', 'a #b', 'a#b', "it's", '"q"', '- x', '-x', '[x]', '{x}', 'x, y', '&a', '*a', '!t', '|', '>', '%', '@', '`', '? x', ': x', 'tab\there', 'line\nbreak', 'back\\slash', ' lead', 'trail ', '#c'),
  fc.string({ maxLength: 8 }),
  fc.integer(),
  fc.double({ noNaN: false }),
  fc.boolean(),
  fc.constant(null),
);
const key = fc.oneof(fc.constantFrom('name', 'address', 'aliyun.node_index', 'zone', 'a-b', 'a/b', 'true', 'null', '__proto__', '1', 'x y', 'k:'), fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,6}$/));
const { value } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, tie('seq'), tie('map')),
  seq: fc.array(tie('value'), { maxLength: 4 }),
  map: fc.dictionary(key, tie('value'), { maxKeys: 4 }),
}));
const styles = fc.record({
  flowLevel: fc.constantFrom(-1, 0, 1, 2),
  indentSeq: fc.boolean(),
  indent: fc.constantFrom(2, 4),
  defaultStringType: fc.constantFrom('PLAIN', 'QUOTE_SINGLE', 'QUOTE_DOUBLE'),
});

describe('the inventory loader’s plain YAML fast path', () => {
  it('equals yaml.parse wherever it answers, in every style YAML.stringify writes', () => {
    let answered = 0;
    fc.assert(
      fc.property(fc.oneof(fc.dictionary(key, value, { minKeys: 1, maxKeys: 5 }), fc.array(value, { minLength: 1, maxLength: 4 })), styles, (doc, style) => {
        const { flowLevel, ...opts } = style;
        const text = YAML.stringify(doc, { ...opts, lineWidth: 0, ...(flowLevel >= 0 ? { collectionStyle: 'block' } : {}) });
        const flowed = flowLevel >= 0 ? flowAt(doc, flowLevel, opts) : text;
        for (const t of [text, flowed]) if (agrees(t)) answered++;
      }),
      { numRuns: 600 },
    );
    // the generator must exercise the fast path, not only the fallback
    assert.ok(answered > 100, `fast path answered only ${answered} documents`);
  });

  it('answers for inventory-like documents in every style (the fast path is the common path)', () => {
    const plainValue = fc.oneof(fc.stringMatching(/^[a-z0-9][a-z0-9.:/_-]{0,10}$/), fc.integer({ min: -5, max: 70000 }), fc.boolean());
    const labelKey = fc.stringMatching(/^[a-z_][a-z0-9_.-]{0,8}$/);
    const host = fc.record({ name: fc.stringMatching(/^h[0-9]{1,3}$/), address: fc.ipV4(), labels: fc.dictionary(labelKey, plainValue, { maxKeys: 3 }) });
    let answered = 0;
    let total = 0;
    fc.assert(
      fc.property(fc.array(host, { minLength: 1, maxLength: 5 }), fc.dictionary(labelKey, plainValue, { maxKeys: 4 }), styles, (hosts, extra, style) => {
        const { flowLevel, ...opts } = style;
        const doc = { hosts, ensembles: [{ name: 'zk', servers: 3, ...extra }] };
        // a whole document in flow style ({ hosts: … } on one line) is left to yaml
        const text = flowLevel >= 1 ? flowAt(doc, flowLevel, opts) : YAML.stringify(doc, { ...opts, lineWidth: 0 });
        total++;
        if (agrees(text)) answered++;
      }),
      { numRuns: 300 },
    );
    assert.ok(answered >= total * 0.8, `fast path answered ${answered} of ${total}`);
  });

  it('equals yaml.parse on every YAML file of the repository it reads, and reads the inventories', () => {
    const files = yamlFiles(ROOT);
    assert.ok(files.length > 10);
    const read = files.filter((f) => agrees(readFileSync(f, 'utf8')));
    for (const f of ['inventories/example.yml', 'inventories/production.yml']) {
      if (files.includes(path.join(ROOT, f))) assert.ok(read.includes(path.join(ROOT, f)), `${f} not read by the fast path`);
    }
  });

  it('answers nothing for what it does not read (yaml decides, with positions)', () => {
    for (const text of [
      '', '# only a comment\n', '---\na: 1\n', 'a: 1\n...\n', '%YAML 1.2\n---\na: 1\n', '\uFEFFa: 1\n',
      'a: &x 1\nb: *x\n', 'a: !!str 5\n', 'a: |\n  text\n', 'a: >\n  text\n', 'a: b\n  c\n', 'a:\n  b\n',
      'a: 1\na: 2\n', 'a: {x: 1, x: 2}\n', '? a\n: b\n', 'a : 1\n', 'a:\tb\n', 'a: 1\r\n',
      'a: "x\\ty"\n', "a: 'x\n  y'\n", 'a: [1,\n  2]\n', 'a: [1, 2,]\n', 'a: {b: }\n', '- - x\n', '-\n  a: 1\n',
      'a: b: c\n', '  a: 1\n', 'a: 1\n b: 2\n', '- a\n - b\n', 'a:\n  - x\n   - y\n', '__proto__: 1\n', 'true: 1\n', '1: x\n',
      '<<: {a: 1}\n', 'a: [x] y\n', 'a: {b: 1}x\n', 'a: - x\n', 'scalar\n', '[1, 2]\n',
    ]) {
      assert.equal(parsePlainYaml(text), undefined, JSON.stringify(text));
    }
  });

  it('reads the forms inventories use, like yaml', () => {
    for (const text of [
      'a: 1\n', 'a:\n', '"a b": 1\n', "'k': {'x y': 1}\n", 'a: ~\n', 'a: "x y"\n', "a: 'it''s'\n", 'a: x # comment\n', 'a: "x" # c\n', 'a: x#y\n', 'a: http://h:1/p\n',
      'hosts:\n- name: h1\n  labels: { zone: a, aliyun.node_index: 1 }\n- { name: h2, address: 10.0.0.2 }\nensembles: []\n',
      'hosts:\n  - name: h1\n    x:\n      - 1\n      - [a, "b", \'c\', {d: 2}]\n  - name: h2\n# trailing comment\n',
      'a: 0o17\nb: 0x1F\nc: 017\nd: +5\ne: 1e3\nf: .5\ng: -.inf\nh: .NaN\ni: 1_000\nj: 10.0.0.1\nk: -x\nl: True\nm: NULL\n',
    ]) {
      assert.ok(agrees(text), JSON.stringify(text));
    }
  });
});

/** The document with every collection at depth ≥ level written in flow style. */
function flowAt(doc: unknown, level: number, opts: YAML.ToStringOptions): string {
  const d = new YAML.Document(doc);
  YAML.visit(d, {
    Collection(_key, node, path) {
      const depth = path.filter((p) => YAML.isCollection(p)).length;
      if (depth >= level) node.flow = true;
    },
  });
  return d.toString({ ...opts, lineWidth: 0 });
}
