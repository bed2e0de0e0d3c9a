// Planner behaviour on hand-picked inventories.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError } from '../../src/common/problems.js';
import { planInventory } from '../../src/plan/plan.js';
import { hosts, inventoryFrom } from './helpers/inventory.js';

const official = { image: 'zookeeper:3.9', profile: 'official' };

describe('placement', () => {
  it('pins server n to the host whose pin label is n', () => {
    const inv = inventoryFrom({
      hosts: [
        { name: 'a', address: '192.0.2.1', labels: { idx: 3 } },
        { name: 'b', address: '192.0.2.2', labels: { idx: 1 } },
        { name: 'c', address: '192.0.2.3', labels: { idx: 2 } },
      ],
      ensembles: [{ name: 'zk', servers: 3, ...official, placement: { pin_label: 'idx' } }],
    });
    const e = planInventory(inv).ensembles[0]!;
    assert.deepEqual(e.servers.map((s) => s.host.name), ['b', 'c', 'a']);
    assert.deepEqual(e.servers[0]!.constraint, { kind: 'label', label: 'idx', value: '1' });
    assert.equal(e.placement.mode, 'pinned');
  });

  it('spreads voters over zones so that no zone loss breaks quorum when possible', () => {
    const inv = inventoryFrom({
      hosts: hosts(6, (i) => ({ zone: ['a', 'a', 'a', 'b', 'b', 'c'][i - 1]! })),
      ensembles: [{ name: 'zk', servers: 5, ...official, placement: { spread_label: 'zone' } }],
    });
    const e = planInventory(inv).ensembles[0]!;
    const perZone = new Map<string, number>();
    for (const s of e.servers) perZone.set(s.host.labels.zone!, (perZone.get(s.host.labels.zone!) ?? 0) + 1);
    assert.deepEqual([...perZone.entries()].sort(), [['a', 2], ['b', 2], ['c', 1]]);
    assert.deepEqual(e.quorum.critical, []);
  });

  it('reports the critical zone when the hosts cannot avoid one', () => {
    const inv = inventoryFrom({
      hosts: hosts(3, (i) => ({ zone: i === 3 ? 'b' : 'a' })),
      ensembles: [{ name: 'zk', servers: 3, ...official, placement: { spread_label: 'zone' } }],
    });
    const plan = planInventory(inv);
    assert.deepEqual(plan.ensembles[0]!.quorum.critical, ['zone=a']);
    assert.ok(plan.warnings.some((w) => w.message.includes('losing zone=a alone loses the quorum')));
  });

  it('places observers after voters with ids following the voters', () => {
    const inv = inventoryFrom({
      hosts: hosts(4),
      ensembles: [{ name: 'zk', servers: 3, observers: 1, ...official, placement: { pin_label: 'aliyun.node_index' } }],
    });
    const e = planInventory(inv).ensembles[0]!;
    assert.deepEqual(e.servers.map((s) => s.role), ['participant', 'participant', 'participant', 'observer']);
    assert.equal(e.quorum.voters, 3);
    assert.equal(e.quorum.observers, 1);
    const line = e.servers[0]!.config.servers[3]!;
    assert.equal(line.role, 'observer');
    assert.equal(e.servers[3]!.config.peerType, 'observer');
  });

  it('warns about even and tiny voter counts without failing', () => {
    const even = planInventory(inventoryFrom({ hosts: hosts(4), ensembles: [{ name: 'zk', servers: 4, ...official }] }));
    assert.ok(even.warnings.some((w) => w.severity === 'warning' && w.message.includes('4 voters')));
    const one = planInventory(inventoryFrom({ hosts: hosts(1), ensembles: [{ name: 'zk', servers: 1, ...official }] }));
    assert.ok(one.warnings.some((w) => w.message.includes('no server failure is tolerated')));
  });

  it('puts single-host networks on the named host with consecutive published client ports', () => {
    const inv = inventoryFrom({
      hosts: hosts(2),
      ensembles: [{ name: 'zk', servers: 3, ...official, network: 'bridge', host: 'h2' }],
    });
    const e = planInventory(inv).ensembles[0]!;
    assert.deepEqual(e.servers.map((s) => s.host.name), ['h2', 'h2', 'h2']);
    assert.deepEqual(e.servers.map((s) => s.publishedClientPort), [2181, 2182, 2183]);
    assert.equal(e.connectString, '127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183');
  });
});

describe('ports', () => {
  it('gives ensembles sharing hosts distinct port sets, AdminServer included', () => {
    const inv = inventoryFrom({
      hosts: hosts(3),
      ensembles: [
        { name: 'a', servers: 3, ...official, placement: { pin_label: 'aliyun.node_index' } },
        { name: 'b', servers: 3, ...official, placement: { pin_label: 'aliyun.node_index' } },
      ],
    });
    const [a, b] = planInventory(inv).ensembles;
    assert.deepEqual(a!.servers[0]!.ports, { client: 2181, quorum: 2888, election: 3888, admin: 8080 });
    assert.deepEqual(b!.servers[0]!.ports, { client: 2182, quorum: 2889, election: 3889, admin: 8081 });
  });

  it('keeps fixed ports and allocates around them', () => {
    const inv = inventoryFrom({
      hosts: hosts(3),
      ensembles: [
        { name: 'a', servers: 3, ...official, ports: { client: 2182 } },
        { name: 'b', servers: 3, ...official },
      ],
    });
    const [a, b] = planInventory(inv).ensembles;
    assert.equal(a!.servers[0]!.ports.client, 2182);
    assert.equal(a!.servers[0]!.ports.quorum, 2888);
    assert.deepEqual(b!.servers[0]!.ports, { client: 2183, quorum: 2890, election: 3890, admin: 8082 });
  });

  it('has no AdminServer port for ZooKeeper 3.4 or when disabled', () => {
    const inv = inventoryFrom({
      hosts: hosts(3),
      ensembles: [
        { name: 'a', servers: 3, image: 'zookeeper:3.4.14' },
        { name: 'b', servers: 3, image: 'zookeeper:3.9', admin_server: false },
      ],
    });
    const [a, b] = planInventory(inv).ensembles;
    assert.equal(a!.servers[0]!.ports.admin, undefined);
    assert.equal(a!.servers[0]!.config.adminServer, null);
    assert.deepEqual(b!.servers[0]!.config.adminServer, { enabled: false });
  });
});

describe('static addresses', () => {
  it('allocates outside ip_range, never the gateway', () => {
    const inv = inventoryFrom({
      hosts: hosts(1),
      ensembles: [{ name: 'zk', servers: 3, ...official, network: 'static-ip', docker_network: { subnet: '172.19.0.0/16', gateway: '172.19.128.1', ip_range: '172.19.0.0/17' } }],
    });
    const e = planInventory(inv).ensembles[0]!;
    assert.deepEqual(e.servers.map((s) => s.staticIp), ['172.19.128.2', '172.19.128.3', '172.19.128.4']);
  });

  it("defaults to the reference article's network and keeps given addresses", () => {
    const inv = inventoryFrom({
      hosts: hosts(1),
      ensembles: [{ name: 'zk', servers: 3, ...official, network: 'static-ip', docker_network: { name: 'bar', subnet: '172.19.0.0/16', gateway: '172.19.0.1', ip_range: '172.19.0.0/17', addresses: ['172.19.200.1', '172.19.200.2', '172.19.200.3'] } }],
    });
    const e = planInventory(inv).ensembles[0]!;
    assert.deepEqual(e.servers.map((s) => s.staticIp), ['172.19.200.1', '172.19.200.2', '172.19.200.3']);
    assert.deepEqual(e.dockerNetwork, { name: 'bar', driver: 'bridge', subnet: '172.19.0.0/16', gateway: '172.19.0.1', ipRange: '172.19.0.0/17' });
    assert.equal(e.servers[0]!.config.servers[1]!.address.kind, 'ip');
  });
});

describe('server configuration per ZooKeeper version', () => {
  const planFor = (image: string, network: string) =>
    planInventory(inventoryFrom({ hosts: hosts(3), ensembles: [{ name: 'zk', servers: 3, image, network }] })).ensembles[0]!;

  it('3.4 on a container network: own entry 0.0.0.0, no ;clientPort, no whitelist', () => {
    const c = planFor('zookeeper:3.4.14', 'bridge').servers[1]!.config;
    assert.deepEqual(c.servers.map((s) => s.address), [{ kind: 'name', value: 'zk1' }, { kind: 'any' }, { kind: 'name', value: 'zk3' }]);
    assert.equal(c.servers[0]!.clientPort, undefined);
    assert.equal(c.fourLetterWords, null);
  });

  it('3.5+ on a container network: real names everywhere, listen on all IPs, ;clientPort, whitelist for health checks', () => {
    const c = planFor('zookeeper:3.8.4', 'overlay').servers[1]!.config;
    assert.deepEqual(c.servers[1]!.address, { kind: 'name', value: 'zk2' });
    assert.equal(c.quorumListenOnAllIPs, true);
    assert.equal(c.servers[0]!.clientPort, 2181);
    assert.deepEqual(c.fourLetterWords, ['conf', 'mntr', 'ruok', 'srvr']);
  });

  it('host networking: every entry is a host address variable', () => {
    const c = planFor('zookeeper:3.9', 'host').servers[0]!.config;
    assert.deepEqual(c.servers[0]!.address, { kind: 'host', variable: 'ZOOKEEPER_1', value: '192.0.2.11' });
    assert.equal(c.quorumListenOnAllIPs, false);
  });

  it('links: peers by alias, own entry by name on 3.5+', () => {
    const e = planFor('zookeeper:3.9', 'links');
    const c = e.servers[0]!.config;
    assert.deepEqual(c.servers.map((s) => s.address), [
      { kind: 'name', value: 'zk1' },
      { kind: 'name', value: 'zknode2' },
      { kind: 'name', value: 'zknode3' },
    ]);
  });

  it('derives the version from the image tag, else the profile default', () => {
    const plan = planInventory(
      inventoryFrom({
        hosts: hosts(3),
        ensembles: [
          { name: 'a', servers: 3, image: 'registry.example:5000/zk/zookeeper:3.8.4-jre-17' },
          { name: 'b', servers: 3, image: 'zookeeper:latest', service_prefix: 'b' },
          { name: 'c', servers: 3, image: 'registry.aliyuncs.com/acs-sample/zookeeper', profile: 'aliyun' },
        ],
      }),
    );
    assert.deepEqual(plan.ensembles.map((e) => [e.version.text, e.version.source]), [
      ['3.8.4', 'image-tag'],
      ['3.9', 'profile-default'],
      ['3.4.8', 'profile-default'],
    ]);
  });
});

describe('errors', () => {
  it('refuses container names used by two ensembles on one host', () => {
    assert.throws(
      () =>
        planInventory(
          inventoryFrom({
            hosts: hosts(3),
            ensembles: [
              { name: 'a', servers: 3, image: 'x:3.4', profile: 'aliyun' },
              { name: 'b', servers: 3, image: 'x:3.4', profile: 'aliyun' },
            ],
          }),
        ),
      (e: unknown) => e instanceof InputError && e.problems.some((p) => p.message.includes('container name "zookeeper1" of ensemble "b"')),
    );
  });
});

describe('placement over several ensembles', () => {
  it('puts a second ensemble on the hosts the first left empty', () => {
    const inv = inventoryFrom({
      hosts: hosts(6, (i) => ({ zone: 'abcdef'[i - 1]! })),
      ensembles: [
        { name: 'one', servers: 3, ...official, placement: { spread_label: 'zone' } },
        { name: 'two', servers: 3, ...official, placement: { spread_label: 'zone' } },
      ],
    });
    const [one, two] = planInventory(inv).ensembles;
    assert.deepEqual(one!.servers.map((s) => s.host.name), ['h1', 'h2', 'h3']);
    assert.deepEqual(two!.servers.map((s) => s.host.name), ['h4', 'h5', 'h6']);
  });

  it('spreads over hosts across the failure domains: the next server goes to the emptier zone', () => {
    const inv = inventoryFrom({
      failure_domains: ['zone'],
      hosts: hosts(4, (i) => ({ zone: i <= 2 ? 'a' : 'b' })),
      ensembles: [{ name: 'zk', servers: 3, ...official }],
    });
    const zones = planInventory(inv).ensembles[0]!.servers.map((s) => s.host.labels.zone);
    assert.deepEqual(zones, ['a', 'b', 'a']);
  });
});

describe('failure domains', () => {
  const analysed = (data: object) => planInventory(inventoryFrom(data));

  it('defaults to the spread labels in use, never a label every host shares', () => {
    const plan = analysed({
      hosts: hosts(3, (i) => ({ zone: 'ab'[Math.min(i, 2) - 1]!, env: 'prod', disk: i === 1 ? 'ssd' : 'hdd' })),
      ensembles: [{ name: 'zk', servers: 3, ...official, placement: { spread_label: 'zone' } }],
    });
    assert.deepEqual(plan.failureDomains, { labels: ['zone'], source: 'spread-labels' });
    const domains = plan.ensembles[0]!.quorum.domains.map((d) => [d.domain, ...(d.sameAs ?? [])].join(','));
    assert.deepEqual(domains, ['zone=a,host=h1', 'zone=b', 'host=h2', 'host=h3']);
    assert.ok(!plan.warnings.some((w) => /env|disk/.test(w.message)), JSON.stringify(plan.warnings));
  });

  it('leaves out a spread label every host carries with one value', () => {
    const plan = analysed({
      hosts: hosts(3, () => ({ env: 'prod' })),
      ensembles: [{ name: 'zk', servers: 3, ...official, placement: { spread_label: 'env' } }],
    });
    assert.deepEqual(plan.failureDomains.labels, []);
    assert.deepEqual(plan.ensembles[0]!.quorum.critical, []);
  });

  it('tells racks of the same name in different zones apart when racks are listed after zones', () => {
    const plan = analysed({
      failure_domains: ['zone', 'rack'],
      hosts: hosts(6, (i) => ({ zone: 'abc'[Math.floor((i - 1) / 2)]!, rack: i % 2 ? 'r1' : 'r2' })),
      ensembles: [{ name: 'zk', servers: 3, ...official, placement: { spread_label: 'rack' } }],
    });
    const e = plan.ensembles[0]!;
    // six racks, one per host: the three voters go to three zones
    assert.deepEqual(e.servers.map((s) => s.host.name), ['h1', 'h3', 'h5']);
    assert.deepEqual(
      e.quorum.domains.map((d) => [d.domain, ...(d.sameAs ?? [])].join(',')),
      ['zone=a,zone=a/rack=r1,host=h1', 'zone=b,zone=b/rack=r1,host=h3', 'zone=c,zone=c/rack=r1,host=h5'],
    );
    assert.deepEqual(e.quorum.critical, []);
  });

  it('names a nested rack by its path and reports it critical on its own', () => {
    const plan = analysed({
      failure_domains: ['zone', 'rack'],
      hosts: [
        { name: 'h1', address: '192.0.2.1', labels: { idx: 1, zone: 'a', rack: 'r1' } },
        { name: 'h2', address: '192.0.2.2', labels: { idx: 2, zone: 'a', rack: 'r1' } },
        { name: 'h3', address: '192.0.2.3', labels: { idx: 3, zone: 'b', rack: 'r1' } },
      ],
      ensembles: [{ name: 'zk', servers: 3, ...official, placement: { pin_label: 'idx' } }],
    });
    const q = plan.ensembles[0]!.quorum;
    assert.deepEqual(q.domains.map((d) => d.domain), ['zone=a', 'zone=b', 'host=h1', 'host=h2']);
    assert.deepEqual(q.domains[0]!.sameAs, ['zone=a/rack=r1']);
    assert.deepEqual(q.domains[1]!.sameAs, ['zone=b/rack=r1', 'host=h3']);
    assert.deepEqual(q.critical, ['zone=a']);
    assert.ok(plan.warnings.some((w) => w.message.includes('losing zone=a alone loses the quorum')));
  });
});
