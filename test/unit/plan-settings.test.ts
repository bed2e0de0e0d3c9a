// Production settings: how the inventory's keys resolve into EnsemblePlan.settings, and every
// refusal with its position (exit 2, nothing done).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../src/common/problems.js';
import { planInventory } from '../../src/plan/plan.js';
import { heapFromMemory, sizeMiB } from '../../src/plan/settings.js';
import { runZkplan } from './helpers/cli.js';
import { hosts, inventoryFrom } from './helpers/inventory.js';
import { readFileSync } from 'node:fs';
import { caseInventory, planOf, planOfFile } from './golden/support.js';

const official = { image: 'zookeeper:3.9.4' };

function ensemble(extra: object, profile: object = official) {
  return planOf({ hosts: hosts(3), ensembles: [{ name: 'zk', servers: 3, ...profile, ...extra }] });
}

/** Plans an inventory given as YAML text through the CLI: exit code and stderr. */
async function planText(yaml: string) {
  return runZkplan(['plan', 'inv.yml'], { 'inv.yml': yaml });
}

const HOSTS_YAML = `hosts:
  - { name: h1, address: 192.0.2.11 }
  - { name: h2, address: 192.0.2.12 }
  - { name: h3, address: 192.0.2.13 }
ensembles:
`;

test('defaults: autopurge on (3 snapshots, every 24 h), no heap, no limit, no metrics, no extras', () => {
  const e = ensemble({});
  assert.deepEqual(e.settings, { autopurge: { snapRetainCount: 3, purgeIntervalHours: 24 }, metrics: false, zooCfg: [], env: [] });
  assert.equal(e.servers[0]!.ports.metrics, undefined);
  assert.equal(e.servers[0]!.dataLogDir, undefined);
});

test('autopurge: false turns it off; a partial mapping keeps the other default', () => {
  assert.equal(ensemble({ autopurge: false }).settings.autopurge, null);
  assert.deepEqual(ensemble({ autopurge: true }).settings.autopurge, { snapRetainCount: 3, purgeIntervalHours: 24 });
  assert.deepEqual(ensemble({ autopurge: { purge_interval_hours: 1 } }).settings.autopurge, { snapRetainCount: 3, purgeIntervalHours: 1 });
});

test('sizes: m and g, either case', () => {
  assert.equal(sizeMiB('512m'), 512);
  assert.equal(sizeMiB('2G'), 2048);
});

test('heap from memory: 75%, leaving at least 256 MiB to the JVM', () => {
  assert.equal(heapFromMemory(512), 256);
  assert.equal(heapFromMemory(768), 512);
  assert.equal(heapFromMemory(1024), 768);
  assert.equal(heapFromMemory(2048), 1536);
  assert.equal(heapFromMemory(4096), 3072); // "a 3 GB heap on a 4 GB machine"
  const e = ensemble({ memory: '1g' });
  assert.deepEqual([e.settings.heapMiB, e.settings.heapSource, e.settings.memoryBytes], [768, 'memory', 1024 ** 3]);
});

test('an explicit heap wins; heap without memory sets no limit', () => {
  const e = ensemble({ heap: '1g', memory: '2g' });
  assert.deepEqual([e.settings.heapMiB, e.settings.heapSource, e.settings.memoryBytes], [1024, 'heap', 2 * 1024 ** 3]);
  const free = ensemble({ heap: '512m' });
  assert.deepEqual([free.settings.heapMiB, free.settings.memoryBytes], [512, undefined]);
});

test('a heap at or above the memory limit is refused at the heap, exit 2', async () => {
  const r = await planText(`${HOSTS_YAML}  - name: zk\n    servers: 3\n    image: zookeeper:3.9.4\n    memory: 1g\n    heap: 1024m\n`);
  assert.equal(r.code, 2);
  assert.match(r.err, /^inv\.yml:10:11: heap 1024m of ensemble "zk" is not below its memory limit 1g/m);
  const above = await planText(`${HOSTS_YAML}  - name: zk\n    servers: 3\n    image: zookeeper:3.9.4\n    memory: 1g\n    heap: 2g\n`);
  assert.equal(above.code, 2);
});

test('a heap leaving less than 256 MiB is a warning; memory too small to derive from is an error', async () => {
  const plan = planInventory(inventoryFrom({ hosts: hosts(3), ensembles: [{ name: 'zk', servers: 3, ...official, heap: '900m', memory: '1g' }] }));
  assert.match(plan.warnings.map((w) => w.message).join('\n'), /heap 900m leaves only 124 MiB of memory 1g/);
  const r = await planText(`${HOSTS_YAML}  - name: zk\n    servers: 3\n    image: zookeeper:3.9.4\n    memory: 384m\n`);
  assert.equal(r.code, 2);
  assert.match(r.err, /inv\.yml:9:13: memory 384m of ensemble "zk" is too small to derive a heap from \(at least 512m\)/);
});

test('sizes the schema refuses: units other than m/g, zero, fractions', async () => {
  for (const bad of ['1gb', '0m', '1.5g', '1024']) {
    const r = await planText(`${HOSTS_YAML}  - name: zk\n    servers: 3\n    image: zookeeper:3.9.4\n    heap: "${bad}"\n`);
    assert.equal(r.code, 2, bad);
    assert.match(r.err, /inv\.yml:9:11: invalid heap/, bad);
  }
});

test('metrics: port 7000 by default, allocated like the other ports, refused before ZooKeeper 3.6', async () => {
  const plan = planInventory(
    inventoryFrom({
      hosts: hosts(3),
      ensembles: [
        { name: 'a', servers: 3, ...official, metrics: true },
        { name: 'b', servers: 3, ...official, metrics: true },
        { name: 'c', servers: 3, ...official, ports: { metrics: 9100 }, metrics: true },
      ],
    }),
  );
  assert.deepEqual(plan.ensembles.map((e) => e.servers[0]!.ports.metrics), [7000, 7001, 9100]);
  assert.equal(plan.ensembles[0]!.settings.metrics, true);

  const old = await planText(`${HOSTS_YAML}  - name: zk\n    servers: 3\n    image: zookeeper:3.5.9\n    metrics: true\n`);
  assert.equal(old.code, 2);
  assert.match(old.err, /inv\.yml:9:14: metrics needs ZooKeeper 3\.6 or later .*runs ZooKeeper 3\.5\.9/);
});

test('metrics: a fixed metrics port that collides with another ensemble is refused', () => {
  const inv = inventoryFrom({
    hosts: hosts(3),
    ensembles: [
      { name: 'a', servers: 3, ...official, ports: { client: 2181 } },
      { name: 'b', servers: 3, ...official, metrics: true, ports: { metrics: 2181 } },
    ],
  });
  assert.throws(() => planInventory(inv), (e: unknown) => e instanceof InputError && /metrics port 2181 of ensemble "b" collides on host "h1"/.test(e.message));
});

test('metrics: ports.metrics without metrics is a warning', () => {
  const plan = planInventory(inventoryFrom({ hosts: hosts(3), ensembles: [{ name: 'zk', servers: 3, ...official, ports: { metrics: 7001 } }] }));
  assert.match(plan.warnings.map((w) => w.message).join('\n'), /ports\.metrics is unused: metrics is off/);
  assert.equal(plan.ensembles[0]!.servers[0]!.ports.metrics, undefined);
});

test('four_letter_words join the words zkplan needs, sorted; * means all; 3.4 ignores them with a warning', () => {
  assert.deepEqual(ensemble({ four_letter_words: ['stat', 'conf', 'wchs'] }).servers[0]!.config.fourLetterWords, ['conf', 'mntr', 'ruok', 'srvr', 'stat', 'wchs']);
  assert.deepEqual(ensemble({ four_letter_words: ['*'] }).servers[0]!.config.fourLetterWords, ['*']);
  const plan = planInventory(inventoryFrom(caseInventory({ profile: 'aliyun', network: 'host', settings: { four_letter_words: ['stat'] } })));
  assert.equal(plan.ensembles[0]!.servers[0]!.config.fourLetterWords, null);
  assert.match(plan.warnings.map((w) => w.message).join('\n'), /four_letter_words is not needed for ZooKeeper 3\.4\.8/);
});

test('four_letter_words: an unknown word is refused with a suggestion', async () => {
  const r = await planText(`${HOSTS_YAML}  - name: zk\n    servers: 3\n    image: zookeeper:3.9.4\n    four_letter_words: [stats]\n`);
  assert.equal(r.code, 2);
  assert.match(r.err, /inv\.yml:9:25: unknown four letter words "stats".*did you mean "stat"/);
});

test('zoo_cfg: entries kept in order as text; keys zkplan sets are refused at the key, naming the key to use', async () => {
  const e = ensemble({ zoo_cfg: { 'jute.maxbuffer': 4194304, 'snapshot.trust.empty': true, tickTime: '3000' } });
  assert.deepEqual(e.settings.zooCfg, [['jute.maxbuffer', '4194304'], ['snapshot.trust.empty', 'true'], ['tickTime', '3000']]);

  const r = await planText(
    `${HOSTS_YAML}  - name: zk\n    servers: 3\n    image: zookeeper:3.9.4\n    zoo_cfg:\n      tickTime: 3000\n      clientPort: 2182\n      server.4: x:1:2\n      autopurge.purgeInterval: 1\n`,
  );
  assert.equal(r.code, 2);
  assert.match(r.err, /inv\.yml:11:7: zoo_cfg key "clientPort" is set by zkplan itself; use ports\.client/);
  assert.match(r.err, /inv\.yml:12:7: zoo_cfg key "server\.4" is set by zkplan itself; use servers and observers/);
  assert.match(r.err, /inv\.yml:13:7: zoo_cfg key "autopurge\.purgeInterval" is set by zkplan itself; use autopurge/);
  assert.doesNotMatch(r.err, /tickTime/);
});

test('zoo_cfg: values with spaces are refused (ZOO_CFG_EXTRA is split on whitespace); bitnami cannot take keys with _', async () => {
  const spaces = await planText(`${HOSTS_YAML}  - name: zk\n    servers: 3\n    image: zookeeper:3.9.4\n    zoo_cfg: { a.b: "x y" }\n`);
  assert.equal(spaces.code, 2);
  assert.match(spaces.err, /inv\.yml:9:21: invalid a\.b "x y"/);
  const r = await planText(`${HOSTS_YAML}  - name: zk\n    servers: 3\n    image: bitnamilegacy/zookeeper:3.8.4\n    profile: bitnami\n    zoo_cfg: { ssl_x: 1 }\n`);
  assert.equal(r.code, 2);
  assert.match(r.err, /inv\.yml:10:16: zoo_cfg key "ssl_x" cannot be given to the bitnami image/);
});

test('env: extra variables in order; the image variables zkplan sets are refused at the name', async () => {
  assert.deepEqual(ensemble({ env: { TZ: 'UTC', N: 3 } }).settings.env, [['TZ', 'UTC'], ['N', '3']]);
  // JVMFLAGS is the user's until heap makes it zkplan's
  assert.deepEqual(ensemble({ env: { JVMFLAGS: '-XX:+UseG1GC' } }).settings.env, [['JVMFLAGS', '-XX:+UseG1GC']]);

  const r = await planText(
    `${HOSTS_YAML}  - name: zk\n    servers: 3\n    image: zookeeper:3.9.4\n    heap: 1g\n    env:\n      JVMFLAGS: -Xmx2g\n      ZOO_MY_ID: 7\n      ZOO_DATA_LOG_DIR: /x\n      TZ: UTC\n`,
  );
  assert.equal(r.code, 2);
  assert.match(r.err, /inv\.yml:11:7: env JVMFLAGS is set by zkplan for the official image and cannot be overridden; set heap instead/);
  assert.match(r.err, /inv\.yml:12:7: env ZOO_MY_ID is set by zkplan/);
  assert.match(r.err, /inv\.yml:13:7: env ZOO_DATA_LOG_DIR is set by zkplan/);
  assert.doesNotMatch(r.err, /TZ/);

  for (const [profile, image, name] of [
    ['bitnami', 'bitnamilegacy/zookeeper:3.8.4', 'ZOO_CFG_tickTime'],
    ['bitnami', 'bitnamilegacy/zookeeper:3.8.4', 'ALLOW_ANONYMOUS_LOGIN'],
    ['aliyun', 'registry.aliyuncs.com/acs-sample/zookeeper:3.4.8', 'ADDITIONAL_ZOOKEEPER_10'],
  ] as const) {
    const bad = await planText(`${HOSTS_YAML}  - name: zk\n    servers: 3\n    image: ${image}\n    profile: ${profile}\n    env: { ${name}: x }\n`);
    assert.equal(bad.code, 2, name);
    assert.match(bad.err, new RegExp(`env ${name} is set by zkplan for the ${profile} image`), name);
  }
});

test('data_log_dir: one directory per server under it; the data_dir itself is refused', async () => {
  const e = ensemble({ data_log_dir: '/srv/txlog/' });
  assert.equal(e.settings.dataLogDir, '/srv/txlog/');
  assert.deepEqual(e.servers.map((s) => s.dataLogDir), ['/srv/txlog/zk/1', '/srv/txlog/zk/2', '/srv/txlog/zk/3']);
  const r = await planText(`${HOSTS_YAML}  - name: zk\n    servers: 3\n    image: zookeeper:3.9.4\n    data_dir: /srv/zk\n    data_log_dir: /srv/zk/\n`);
  assert.equal(r.code, 2);
  assert.match(r.err, /inv\.yml:10:19: data_log_dir \/srv\/zk\/ is the data_dir of ensemble "zk"/);
});

test('aliyun: more zoo.cfg lines than ADDITIONAL_ZOOKEEPER_1..10 is refused in the plan, naming what takes them', async () => {
  const zooCfg = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`k${i}`, i]));
  const r = await planText(
    `${HOSTS_YAML}  - name: zk\n    servers: 3\n    image: registry.aliyuncs.com/acs-sample/zookeeper:3.4.8\n    profile: aliyun\n    zoo_cfg: ${JSON.stringify(zooCfg)}\n`,
  );
  assert.equal(r.code, 2);
  assert.match(
    r.err,
    /inv\.yml:10:14: the aliyun image appends at most 10 zoo\.cfg lines \(ADDITIONAL_ZOOKEEPER_1\.\.10\); server zookeeper1 of ensemble "zk" needs 11 /,
  );
  assert.match(r.err, /\(server\.N ×3, autopurge\.snapRetainCount, autopurge\.purgeInterval, k0, k1, k2, k3, k4, k5\)/);
  // the same entries fit with autopurge off
  const off = await planText(
    `${HOSTS_YAML}  - name: zk\n    servers: 3\n    image: registry.aliyuncs.com/acs-sample/zookeeper:3.4.8\n    profile: aliyun\n    autopurge: false\n    zoo_cfg: ${JSON.stringify(zooCfg)}\n`,
  );
  assert.equal(off.code, 0, off.err);
});

test('plan shows the settings line (text and markdown)', async () => {
  const r = await planText(
    `${HOSTS_YAML}  - name: zk\n    servers: 3\n    image: zookeeper:3.9.4\n    memory: 2g\n    data_log_dir: /srv/txlog\n    metrics: true\n    zoo_cfg: { jute.maxbuffer: 4194304 }\n    env: { SECRET: hunter2 }\n`,
  );
  assert.equal(r.code, 0, r.err);
  assert.match(
    r.out,
    /  Settings: heap 1536m \(from memory\), memory limit 2g; autopurge every 24 h keeping 3 snapshots; transaction logs under \/srv\/txlog; metrics on port 7000; 4lw conf,mntr,ruok,srvr; zoo\.cfg jute\.maxbuffer=4194304; env SECRET\n/,
  );
  assert.doesNotMatch(r.out, /hunter2/);
  const off = await planText(`${HOSTS_YAML}  - name: zk\n    servers: 3\n    image: zookeeper:3.9.4\n    autopurge: false\n`);
  assert.match(off.out, /Settings: heap: the image's default, no memory limit; autopurge off; transaction logs beside the data; metrics off; 4lw conf,mntr,ruok,srvr\n/);
});

test('inventories/production.yml plans cleanly with every setting; the README shows it and a minimal inventory that plans', async () => {
  const prod = planOfFile('inventories/production.yml');
  assert.deepEqual(prod.settings, {
    heapMiB: 3072,
    heapSource: 'memory',
    memoryBytes: 4 * 1024 ** 3,
    autopurge: { snapRetainCount: 3, purgeIntervalHours: 24 },
    dataLogDir: '/srv/zookeeper-txlog',
    metrics: true,
    zooCfg: [['jute.maxbuffer', '4194304'], ['maxClientCnxns', '200']],
    env: [['TZ', 'UTC']],
  });
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('## Inventories: minimal and production'), readme.indexOf('## Inventory reference'));
  const minimal = /```yaml\n([\s\S]*?)```/.exec(section)![1]!;
  const r = await planText(minimal);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /Settings: heap: the image's default, no memory limit; autopurge every 24 h keeping 3 snapshots/);
  assert.match(section, /inventories\/production\.yml/);
});
