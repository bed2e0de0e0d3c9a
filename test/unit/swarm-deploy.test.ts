// The pure parts of `--target swarm`: the stack zkplan deploys (resolved, labelled, split per
// service), node matching and label planning, the order of a rolling update, and the CLI's
// refusals before any host is contacted.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import YAML from 'yaml';
import { movingFirst } from '../../src/deploy/swarm/apply.js';
import { matchHosts, planLabels, type SwarmNode } from '../../src/deploy/swarm/nodes.js';
import type { ObservedStack } from '../../src/deploy/swarm/observe.js';
import { desiredStack } from '../../src/deploy/swarm/stack.js';
import { planInventory } from '../../src/plan/plan.js';
import { loadTemplates } from '../../src/render/templates.js';
import type { RolloutPlan } from '../../src/rollout/rollout.js';
import { desiredServers } from '../../src/rollout/server-specs.js';
import { configHash } from '../../src/rollout/spec.js';
import { runZkplan } from './helpers/cli.js';
import { hosts, inventoryFrom } from './helpers/inventory.js';

const templates = loadTemplates();

function inventory(opts: { network?: string; labels?: (i: number) => Record<string, string | number>; n?: number; swarm?: object; hostExtra?: (i: number) => object } = {}) {
  return inventoryFrom({
    ...(opts.swarm ? { swarm: opts.swarm } : {}),
    hosts: hosts(opts.n ?? 4, opts.labels).map((h, k) => ({ ...h, ...opts.hostExtra?.(k + 1) })),
    ensembles: [{ name: 'zk', servers: 3, image: 'zookeeper:3.9.4', network: opts.network ?? 'host', placement: { pin_label: 'aliyun.node_index' } }],
  });
}

const pinned = (i: number) => (i <= 3 ? { 'aliyun.node_index': i } : {});

function node(hostname: string, address: string, labels: Record<string, string> = {}, state = 'ready'): SwarmNode {
  return { id: `id-${hostname}`, hostname, address, state, availability: 'active', role: 'worker', labels };
}

describe('the deployed stack', () => {
  const inv = inventory({ labels: pinned });
  const e = planInventory(inv).ensembles[0]!;
  const stack = desiredStack(e, templates);
  const doc = YAML.parse(stack.content) as { services: Record<string, { environment: Record<string, string>; labels: Record<string, string>; deploy: { labels: Record<string, string> } }>; volumes: Record<string, unknown> };

  it('resolves every host address (docker stack deploy reads no .env)', () => {
    assert.doesNotMatch(stack.content, /\$\{ZOOKEEPER_/);
    assert.match(doc.services.zk1!.environment.ZOO_SERVERS!, /server\.2=192\.0\.2\.12:2888:3888;2181/);
  });

  it('labels each service and its containers with a hash of that service alone', () => {
    const hashes = stack.services.map((s) => s.configHash);
    assert.equal(new Set(hashes).size, 3);
    for (const s of stack.services) {
      assert.equal(doc.services[s.key]!.deploy.labels['io.zkplan.config-hash'], s.configHash);
      assert.equal(doc.services[s.key]!.labels['io.zkplan.config-hash'], s.configHash);
      assert.equal(doc.services[s.key]!.labels['io.zkplan.server-id'], String(s.serverId));
    }
    assert.deepEqual(desiredStack(e, templates).services.map((s) => s.configHash), hashes, 'same plan, same hashes');
  });

  it('hashes each service as configHash of its container spec, which says what the service says', () => {
    const specs = desiredServers(e, { kind: 'swarm' });
    assert.deepEqual(stack.services.map((s) => [s.service, s.configHash]), specs.map((d) => [d.name, configHash(d.spec)]));
    const overlay = planInventory(inventory({ labels: pinned, network: 'overlay' })).ensembles[0]!;
    const rendered = YAML.parse(desiredStack(overlay, templates).content) as { services: Record<string, { image: string; hostname: string; environment: Record<string, string>; volumes: string[]; ports: { target: number; published: number }[]; deploy: { endpoint_mode: string; placement: { constraints: string[] } } }> };
    for (const { spec } of desiredServers(overlay, { kind: 'swarm' })) {
      const svc = rendered.services[spec.name]!;
      assert.equal(svc.image, spec.image);
      assert.equal(svc.hostname, spec.hostname);
      assert.deepEqual(Object.entries(svc.environment), spec.env);
      assert.deepEqual(svc.volumes, spec.mounts.map((m) => `${m.source}:${m.target}`));
      assert.deepEqual(svc.ports.map((p) => [p.published, p.target]), spec.ports.map((p) => [p.published, p.target]));
      assert.equal(svc.deploy.endpoint_mode, 'dnsrr');
      assert.deepEqual(svc.deploy.placement.constraints, [spec.placement]);
    }
  });

  it('changes only the hashes of services whose definition changed', () => {
    const moved = desiredStack(planInventory(inventory({ labels: (i) => (i === 4 ? { 'aliyun.node_index': 3 } : i === 3 ? {} : pinned(i)) })).ensembles[0]!, templates);
    // server 3's address is in every server's ZOO_SERVERS: all change
    assert.ok(moved.services.every((s, k) => s.configHash !== stack.services[k]!.configHash));
    assert.equal(moved.services[2]!.host, 'h4');
  });

  it('splits into one-service files that keep the network and only that service’s volumes', () => {
    const part = YAML.parse(stack.subset(['zk2'])) as typeof doc & { networks: Record<string, { name: string; external: boolean }> };
    assert.deepEqual(Object.keys(part.services), ['zk2']);
    assert.deepEqual(Object.keys(part.volumes).sort(), ['zk2-data', 'zk2-datalog']);
    assert.deepEqual(part.networks.hostnet, { external: true, name: 'host' });
    assert.deepEqual(part.services.zk2, doc.services.zk2, 'the same definition as in the whole file');
    assert.deepEqual(stack.services[0]!.volumes, ['zk_zk1-data', 'zk_zk1-datalog']);
  });
});

describe('nodes and labels', () => {
  const inv = inventory({ labels: pinned });
  const e = planInventory(inv).ensembles[0]!;

  it('matches hosts by address, else by hostname, and names what is missing or not ready', () => {
    const nodes = [node('h1', '192.0.2.11'), node('other-name', '192.0.2.12'), node('h3', '10.9.9.9'), node('h4', '192.0.2.14', {}, 'down')];
    const { matched, problems } = matchHosts(inv.hosts, nodes);
    assert.equal(matched.get('h2')?.hostname, 'other-name');
    assert.equal(matched.get('h3')?.address, '10.9.9.9');
    assert.deepEqual(problems, ['host h4: node h4 is down, not ready']);
    const missing = matchHosts(inv.hosts, nodes.slice(0, 3));
    assert.match(missing.problems[0]!, /^host h4 \(192\.0\.2\.14\) is not a node of the Swarm/);
  });

  it('writes pin labels with a marker, removes stale ones, leaves correct nodes alone', () => {
    const marker = { 'io.zkplan.pin.zk': 'aliyun.node_index' };
    const nodes = [
      node('h1', '192.0.2.11', { 'aliyun.node_index': '1', ...marker }),
      node('h2', '192.0.2.12', { 'aliyun.node_index': '9' }),
      node('h3', '192.0.2.13'),
      node('h4', '192.0.2.14', { 'aliyun.node_index': '3', ...marker }),
    ];
    const { changes, problems } = planLabels(e, inv.hosts, nodes, matchHosts(inv.hosts, nodes).matched);
    assert.deepEqual(problems, []);
    assert.deepEqual(
      changes.map((c) => [c.node.hostname, c.add, c.remove, c.values]),
      [
        ['h2', { 'aliyun.node_index': '2', ...marker }, [], ['2', '9']],
        ['h3', { 'aliyun.node_index': '3', ...marker }, [], ['3']],
        ['h4', {}, ['aliyun.node_index', 'io.zkplan.pin.zk'], ['3']],
      ],
    );
  });

  it('refuses a node outside the inventory that carries one of the ensemble’s pin values', () => {
    const nodes = [node('h1', '192.0.2.11'), node('h2', '192.0.2.12'), node('h3', '192.0.2.13'), node('h4', '192.0.2.14'), node('stray', '192.0.2.99', { 'aliyun.node_index': '2' })];
    const { problems } = planLabels(e, inv.hosts, nodes, matchHosts(inv.hosts, nodes).matched);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /^node stray \(192\.0\.2\.99\) is not in the inventory but carries aliyun\.node_index=2/);
  });
});

describe('rolling order', () => {
  const action = (serverId: number, host: string) => ({ serverId, host, name: `zk_zk${serverId}`, kind: 'change' as const, reason: '' });
  const plan: RolloutPlan = { parallel: [], rolling: [action(1, 'h1'), action(2, 'h2'), action(3, 'h4')], unchanged: [], counts: { create: 0, change: 3, unchanged: 0 } };
  const observed = (on: Record<number, string>): ObservedStack => ({
    byServer: new Map(Object.entries(on).map(([id, host]) => [Number(id), { service: `zk_zk${id}`, exists: true, running: true, runningOn: host }])),
    stale: [],
  });

  it('keeps followers first, leader last when nothing moves', () => {
    assert.deepEqual(movingFirst(plan, observed({ 1: 'h1', 2: 'h2', 3: 'h4' })).rolling.map((a) => a.serverId), [1, 2, 3]);
  });

  it('puts a server that changes node first, even the leader', () => {
    assert.deepEqual(movingFirst(plan, observed({ 1: 'h1', 2: 'h2', 3: 'h3' })).rolling.map((a) => a.serverId), [3, 1, 2]);
  });
});

describe('CLI --target', () => {
  const text = (extra = '') => `hosts:
  - { name: h1, address: 192.0.2.11, labels: { idx: 1 }${extra} }
  - { name: h2, address: 192.0.2.12, labels: { idx: 2 } }
  - { name: h3, address: 192.0.2.13, labels: { idx: 3 } }
ensembles:
  - { name: zk, servers: 3, image: 'zookeeper:3.9', placement: { pin_label: idx } }
`;

  it('rejects an unknown target with exit 2', async () => {
    const r = await runZkplan(['apply', 'inv.yml', '--target', 'kubernetes'], { 'inv.yml': text() });
    assert.equal(r.code, 2);
    assert.match(r.err, /--target expects host or swarm, got "kubernetes"/);
  });

  for (const command of ['apply', 'status', 'destroy']) {
    it(`${command} --target swarm without a manager in the inventory: exit 2 before any connection`, async () => {
      const r = await runZkplan([command, 'inv.yml', '--target', 'swarm'], { 'inv.yml': text() });
      assert.equal(r.code, 2, r.err);
      assert.match(r.err, /needs a Swarm manager: flag one host `swarm: manager`/);
      assert.doesNotMatch(r.err, / connect /);
    });
  }

  it('rejects a swarm.manager naming no host, at its position', async () => {
    const r = await runZkplan(['plan', 'inv.yml'], { 'inv.yml': `swarm: { manager: h9 }\n${text()}` });
    assert.equal(r.code, 2);
    assert.match(r.err, /^inv\.yml:1:19: unknown host "h9" named as Swarm manager/m);
  });

  it('rejects two hosts flagged as manager, at the second', async () => {
    const two = text(', swarm: manager').replace('labels: { idx: 2 }', 'labels: { idx: 2 }, swarm: manager');
    const r = await runZkplan(['plan', 'inv.yml'], { 'inv.yml': two });
    assert.equal(r.code, 2);
    assert.match(r.err, /^inv\.yml:3:\d+: more than one host is flagged "swarm: manager" \(h1, h2\)/m);
  });

  it('rejects a swarm role that is neither manager nor worker', async () => {
    const r = await runZkplan(['plan', 'inv.yml'], { 'inv.yml': text(', swarm: leader') });
    assert.equal(r.code, 2);
    assert.match(r.err, /^inv\.yml:2:\d+: .*(manager|worker)/m);
  });
});
