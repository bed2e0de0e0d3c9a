// Hostile values (quotes, `$()`, `;`, newlines) that reach a renderer stay inert data: one
// shell word in run scripts, one YAML scalar (with `$` escaped for compose) elsewhere.
// The loader's schema keeps such values out of inventories; the renderers must not rely on it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { renderTarget } from '../../src/render/index.js';
import { loadTemplates } from '../../src/render/templates.js';
import type { EnsemblePlan } from '../../src/plan/types.js';
import { clonePlan, dockerCalls, planOfFile, shellSyntaxCheck } from './golden/support.js';

const templates = loadTemplates();
const NO_OPTIONS = { set: {}, resolve: false };
const root = mkdtempSync(join(tmpdir(), 'zkplan-hostile-'));
const canary = join(root, 'pwned');
process.on('exit', () => rmSync(root, { recursive: true, force: true }));

const HOSTILE = [
  `evil'; touch ${canary}; echo '`,
  `$(touch ${canary})`,
  `\`touch ${canary}\``,
  `x"; touch ${canary}; "`,
  `a;b&&c||d|e>f<g`,
  `new\nline; touch ${canary}`,
  `$HOME \${PATH} $$ \\ '"`,
  `x -rf --privileged`,
];

function withHostile(base: EnsemblePlan, value: string): EnsemblePlan {
  const e = clonePlan(base);
  e.image = value;
  e.name = `zk ${value}`;
  if (e.dockerNetwork) e.dockerNetwork.name = `net ${value}`;
  for (const s of e.servers) s.dataDir = `/var/lib/${value}/${s.id}`;
  return e;
}

for (const inventory of ['article-host', 'article-links', 'article-static-ip']) {
  test(`run-scripts (${inventory}): hostile image, names and paths stay single inert words`, () => {
    for (const value of HOSTILE) {
      const e = withHostile(planOfFile(`inventories/${inventory}.yml`), value);
      for (const file of renderTarget('run-scripts', e, NO_OPTIONS, templates)) {
        shellSyntaxCheck(file.content);
        const calls = dockerCalls(file.content);
        assert.equal(existsSync(canary), false, `${JSON.stringify(value)} ran a command`);
        const runs = calls.filter((c) => c[0] === 'run');
        assert.ok(runs.length > 0);
        for (const run of runs) {
          assert.equal(run[run.length - 1], value, 'image is the last word, intact');
          assert.equal(run[run.indexOf("--label") + 1], `io.zkplan.ensemble=zk ${value}`);
          const volume = run[run.indexOf('--volume') + 1]!;
          assert.ok(volume.startsWith(`/var/lib/${value}/`), volume);
        }
        if (e.dockerNetwork) {
          const create = calls.find((c) => c[0] === 'network' && c[1] === 'create')!;
          assert.equal(create[create.length - 1], `net ${value}`);
          for (const run of runs) assert.equal(run[run.indexOf('--network') + 1], `net ${value}`);
        }
      }
    }
  });
}

test('.env: a host address that is not an address is refused, not written', () => {
  const e = clonePlan(planOfFile('inventories/article-host.yml'));
  e.servers[0]!.host.address = '192.0.2.11\nLD_PRELOAD=/tmp/x.so';
  assert.throws(() => renderTarget('aliyun', e, NO_OPTIONS, templates), /internal error: "ZOOKEEPER_1"=.* cannot be written to \.env/);
});

test('run-scripts: an image docker would read as an option is refused', () => {
  const e = clonePlan(planOfFile('inventories/article-host.yml'));
  e.image = '--privileged';
  assert.throws(() => renderTarget('run-scripts', e, NO_OPTIONS, templates), /internal error: image "--privileged" would be read as an option/);
});

test('run-scripts: a host name that is not a file name is refused', () => {
  const e = clonePlan(planOfFile('inventories/article-host.yml'));
  e.servers[0]!.host.name = '../../etc/cron.d/x';
  assert.throws(() => renderTarget('run-scripts', e, NO_OPTIONS, templates), /internal error: host name .* is not a file name/);
});

/** What compose makes of a value we wrote: `$$` is a literal `$`. */
const composeValue = (s: string) => s.replace(/\$\$/g, '$');

test('YAML targets: hostile image and constraint label values read back exactly', () => {
  for (const value of HOSTILE) {
    const hostE = clonePlan(planOfFile('inventories/article-host.yml'));
    hostE.image = value;
    hostE.name = `zk ${value}`; // reaches the header comments
    for (const s of hostE.servers) s.constraint = { kind: 'label', label: 'aliyun.node_index', value: `${s.id}${value}` };
    const aliyun = parse(renderTarget('aliyun', hostE, NO_OPTIONS, templates)[0]!.content) as Record<string, { image: string; environment: string[] }>;
    for (const [i, svc] of Object.values(aliyun).entries()) {
      assert.equal(composeValue(svc.image), value);
      assert.equal(composeValue(svc.environment.at(-1)!), `constraint:aliyun.node_index==${i + 1}${value}`);
    }
    const stack = parse(renderTarget('swarm', hostE, NO_OPTIONS, templates)[0]!.content) as {
      services: Record<string, { image: string; deploy: { placement: { constraints: string[] } } }>;
    };
    for (const [i, svc] of Object.values(stack.services).entries()) {
      assert.equal(composeValue(svc.image), value);
      assert.deepEqual(svc.deploy.placement.constraints.map(composeValue), [`node.labels.aliyun.node_index == ${i + 1}${value}`]);
    }
  }
});

test('compose targets: a `$` in an address written out is escaped, the ${ZOOKEEPER_k} forms are not', () => {
  const e = clonePlan(planOfFile('inventories/article-host.yml'));
  for (const s of e.servers) for (const entry of s.config.servers) if (entry.address.kind === 'host') entry.address.value = `h$x${entry.id}`;
  const resolved = renderTarget('aliyun', e, { set: {}, resolve: true }, templates)[0]!.content;
  assert.match(resolved, /server\.1=h\$\$x1:2888:3888/);
  const variables = renderTarget('aliyun', e, NO_OPTIONS, templates)[0]!.content;
  assert.match(variables, /server\.1=\$\{ZOOKEEPER_1\}:2888:3888/);
});
