// The template layer: helpers, strictness, and the read-back check that turns a template bug
// into an internal error instead of a broken file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileTemplates, renderTarget } from '../../src/render/index.js';
import { DEFAULT_TEMPLATE_DIR, loadTemplates, TEMPLATE_FILES } from '../../src/render/templates.js';
import { TEMPLATE_NAMES, type TemplateName } from '../../src/render/types.js';
import { clonePlan, planOfFile } from './golden/support.js';
import { loadInventory } from '../../src/inventory/load.js';
import { planInventory } from '../../src/plan/plan.js';

const NO_OPTIONS = { set: {}, resolve: false };

function sources(change: Partial<Record<TemplateName, (s: string) => string>> = {}): Record<TemplateName, string> {
  const out = {} as Record<TemplateName, string>;
  for (const name of TEMPLATE_NAMES) {
    const text = readFileSync(join(DEFAULT_TEMPLATE_DIR, TEMPLATE_FILES[name]), 'utf8');
    out[name] = change[name]?.(text) ?? text;
  }
  return out;
}

test('a template that drops the image is caught by the read-back check', () => {
  const broken = compileTemplates(sources({ swarm: (s) => s.replace(/^ {4}image: .*\n/m, '') }));
  assert.throws(
    () => renderTarget('swarm', planOfFile('inventories/article-host.yml'), NO_OPTIONS, broken),
    /^Error: internal error: rendered docker-stack\.yml is broken: service zookeeper1 has image undefined/,
  );
});

test('a template that breaks the YAML is caught by the read-back check', () => {
  const broken = compileTemplates(sources({ compose: (s) => s.replace('    restart: always\n', '    restart: always\n   bad: [\n') }));
  assert.throws(() => renderTarget('compose-bridge', planOfFile('inventories/article-bridge.yml'), NO_OPTIONS, broken), /internal error: rendered docker-compose\.yml is broken: not valid YAML/);
});

test('templates fail when loaded, not at first use, and a missing field is an error', () => {
  assert.throws(() => compileTemplates(sources({ env: () => '{{#each header}}' })), /Parse error|Expecting/);
  const strict = compileTemplates(sources({ env: (s) => `${s}{{nonexistent}}` }));
  assert.throws(() => renderTarget('aliyun', planOfFile('inventories/article-host.yml'), NO_OPTIONS, strict), /"nonexistent" not defined/);
});

test('loadTemplates reads templates/ whether run from src or dist', () => {
  assert.ok(DEFAULT_TEMPLATE_DIR.endsWith('/templates/'), DEFAULT_TEMPLATE_DIR);
  assert.deepEqual(Object.keys(loadTemplates()).sort(), [...TEMPLATE_NAMES].sort());
});

test('publish_address from the inventory reaches the plan and the rendered ports', () => {
  const text = readFileSync('inventories/article-bridge.yml', 'utf8').replace('network: bridge', 'network: bridge\n    publish_address: 192.0.2.99');
  const e = planInventory(loadInventory(text, 'article-bridge.yml')).ensembles[0]!;
  assert.equal(e.publishAddress, '192.0.2.99');
  assert.match(e.connectString, /^192\.0\.2\.99:2181,/);
  const compose = renderTarget('compose-bridge', e, NO_OPTIONS, loadTemplates())[0]!.content;
  assert.match(compose, /- 192\.0\.2\.99:2181:2181/);
});

test('a publish address from the plan is used for client ports, IPv6 in brackets', () => {
  const e = clonePlan(planOfFile('inventories/article-bridge.yml'));
  e.publishAddress = '::1';
  const compose = renderTarget('compose-bridge', e, NO_OPTIONS, loadTemplates())[0]!.content;
  assert.match(compose, /- "\[::1\]:2182:2181"/);
  const script = renderTarget('run-scripts', e, NO_OPTIONS, loadTemplates())[0]!.content;
  assert.match(script, /--publish '\[::1\]:2183:2181'/);
});
