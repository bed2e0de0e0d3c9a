// zkplan up --local / down without an engine: the built-in default inventory, the containers and
// docker argv it becomes, and flag validation (exit 2 before anything touches Docker).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_IMAGE } from '../../src/drivers/local/default-image.js';
import { defaultInventory, defaultInventoryText } from '../../src/drivers/local/default-inventory.js';
import { connectString, LABEL_LOCAL, localContainers, localMembers } from '../../src/drivers/local/desired.js';
import { networkMismatches } from '../../src/drivers/local/observe.js';
import { planInventory } from '../../src/plan/plan.js';
import { createNetwork } from '../../src/remote/commands/docker-local.js';
import { dockerRun } from '../../src/remote/commands/docker.js';
import { LABEL_ENSEMBLE, LABEL_HASH, LABEL_SERVER } from '../../src/rollout/desired.js';
import { planRollout } from '../../src/rollout/rollout.js';
import { runZkplan } from './helpers/cli.js';

const planOf = (network: 'bridge' | 'links' | 'static-ip', image = DEFAULT_IMAGE) => planInventory(defaultInventory({ network, image })).ensembles[0]!;

describe('the built-in default inventory', () => {
  it('is a 3-server official-profile ensemble publishing 2181-2183 on loopback', () => {
    const e = planOf('bridge');
    assert.equal(e.image, 'zookeeper:3.9');
    assert.equal(e.profile, 'official');
    assert.equal(e.version.text, '3.9');
    assert.equal(e.network, 'bridge');
    assert.deepEqual(e.servers.map((s) => s.name), ['zk1', 'zk2', 'zk3']);
    assert.equal(e.quorum.voters, 3);
    assert.equal(e.dockerNetwork?.name, 'zk-net');
    assert.equal(e.dockerNetwork?.subnet, undefined);
    assert.deepEqual(localMembers(e).map((m) => `${m.address}:${m.port}`), ['127.0.0.1:2181', '127.0.0.1:2182', '127.0.0.1:2183']);
    assert.equal(connectString(localMembers(e)), '127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183');
  });

  it('takes the image from --image, and the ZooKeeper version from its tag', () => {
    const e = planOf('bridge', 'zkplan-lab/zookeeper:3.8.0');
    assert.equal(e.image, 'zkplan-lab/zookeeper:3.8.0');
    assert.equal(e.version.text, '3.8.0');
    // 3.5+: every server named for real, ;clientPort in every line
    const servers = localContainers(e)[0]!.spec.env.find(([k]) => k === 'ZOO_SERVERS')![1];
    assert.equal(servers, 'server.1=zk1:2888:3888;2181 server.2=zk2:2888:3888;2181 server.3=zk3:2888:3888;2181');
  });

  it('writes --image into YAML as data, never as YAML syntax', () => {
    assert.throws(() => defaultInventoryText({ network: 'bridge', image: 'x\n  servers: 9' }), /--image expects an image reference/);
    assert.throws(() => defaultInventoryText({ network: 'bridge', image: '' }), /--image expects/);
  });

  it('static-ip: the planner\'s addresses outside the article network\'s ip-range', () => {
    const e = planOf('static-ip');
    assert.deepEqual(e.dockerNetwork, { name: 'zk-net', driver: 'bridge', subnet: '172.19.0.0/16', gateway: '172.19.0.1', ipRange: '172.19.0.0/17' });
    const argv = createNetwork({ ...e.dockerNetwork!, labels: { a: 'b' } });
    assert.deepEqual(argv, ['docker', 'network', 'create', '--driver', 'bridge', '--subnet', '172.19.0.0/16', '--gateway', '172.19.0.1', '--ip-range', '172.19.0.0/17', '--label', 'a=b', '--', 'zk-net']);
    const cs = localContainers(e);
    assert.deepEqual(cs.map((c) => (c.spec.network.kind === 'named' ? c.spec.network.ip : undefined)), ['172.19.128.1', '172.19.128.2', '172.19.128.3']);
    const run = dockerRun(cs[1]!.spec);
    assert.deepEqual(run.slice(run.indexOf('--ip'), run.indexOf('--ip') + 2), ['--ip', '172.19.128.2']);
    assert.match(cs[0]!.spec.env.find(([k]) => k === 'ZOO_SERVERS')![1], /^server\.1=172\.19\.128\.1:2888:3888;2181 server\.2=172\.19\.128\.2:/);
  });

  it('links: every server links its peers under their aliases, and addresses them by alias', () => {
    const cs = localContainers(planOf('links'));
    assert.deepEqual(cs.map((c) => (c.spec.network.kind === 'named' ? c.spec.network.links : undefined)), [
      ['zk2:zknode2', 'zk3:zknode3'],
      ['zk1:zknode1', 'zk3:zknode3'],
      ['zk1:zknode1', 'zk2:zknode2'],
    ]);
    assert.match(cs[0]!.spec.env.find(([k]) => k === 'ZOO_SERVERS')![1], /server\.2=zknode2:2888:3888;2181/);
    const run = dockerRun(cs[0]!.spec);
    assert.deepEqual(run.filter((_, i) => run[i - 1] === '--link'), ['zk2:zknode2', 'zk3:zknode3']);
  });
});

describe('local containers', () => {
  it('become docker run argv with network, hostname, published port, named volumes and labels', () => {
    const c = localContainers(planOf('bridge'))[0]!;
    const argv = dockerRun(c.spec);
    assert.deepEqual(argv.slice(0, 9), ['docker', 'run', '--detach', '--name', 'zk1', '--hostname', 'zk1', '--network', 'zk-net']);
    assert.ok(argv.includes('127.0.0.1:2181:2181'));
    assert.deepEqual(argv.filter((_, i) => argv[i - 1] === '--volume'), ['zk1-data:/data', 'zk1-datalog:/datalog']);
    assert.ok(argv.includes(`${LABEL_ENSEMBLE}=zk`) && argv.includes(`${LABEL_LOCAL}=true`) && argv.includes(`${LABEL_SERVER}=1`));
    assert.ok(argv.includes(`${LABEL_HASH}=${c.configHash}`));
    // ZOO_SERVERS holds spaces and semicolons: one argv word, no shell quoting involved
    assert.ok(argv.includes('ZOO_SERVERS=server.1=zk1:2888:3888;2181 server.2=zk2:2888:3888;2181 server.3=zk3:2888:3888;2181'));
    assert.equal(argv.at(-1), 'zookeeper:3.9');
  });

  it('have a configuration hash that is stable and follows what needs a new container', () => {
    const a = localContainers(planOf('bridge')).map((c) => c.configHash);
    assert.deepEqual(localContainers(planOf('bridge')).map((c) => c.configHash), a);
    assert.equal(new Set(a).size, 3);
    const otherImage = localContainers(planOf('bridge', 'zookeeper:3.9.4')).map((c) => c.configHash);
    const otherNet = localContainers(planOf('links')).map((c) => c.configHash);
    for (let i = 0; i < 3; i++) {
      assert.notEqual(otherImage[i], a[i]);
      assert.notEqual(otherNet[i], a[i]);
    }
  });

  it('plan no change when every container runs with the same hash, a leader-last replacement otherwise', () => {
    const cs = localContainers(planOf('bridge'));
    const same = new Map(cs.map((c) => [c.serverId, { exists: true, running: true, configHash: c.configHash, mode: c.serverId === 2 ? 'leader' : 'follower' }]));
    const r = planRollout(cs, same);
    assert.deepEqual(r.counts, { create: 0, change: 0, unchanged: 3 });
    const changed = new Map([...same].map(([id, o]) => [id, { ...o, configHash: 'old' }]));
    assert.deepEqual(planRollout(cs, changed).rolling.map((a) => a.name), ['zk1', 'zk3', 'zk2']);
  });

  it('an existing network is usable only if it says what the plan names', () => {
    const net = planOf('static-ip').dockerNetwork!;
    assert.deepEqual(networkMismatches(net, { exists: true, ours: true, subnet: '172.19.0.0/16', gateway: '172.19.0.1', ipRange: '172.19.0.0/17' }), []);
    assert.deepEqual(networkMismatches(net, { exists: true, ours: true, subnet: '172.18.0.0/16', gateway: '172.18.0.1' }), [
      'subnet 172.18.0.0/16, the plan says 172.19.0.0/16',
      'gateway 172.18.0.1, the plan says 172.19.0.1',
      'ip-range (none), the plan says 172.19.0.0/17',
    ]);
    // bridge/links name no subnet: any user-defined bridge network will do
    assert.deepEqual(networkMismatches(planOf('bridge').dockerNetwork!, { exists: true, ours: false, subnet: '10.9.0.0/24' }), []);
  });
});

const HOST_INVENTORY = `hosts:
  - { name: h1, address: 192.0.2.11 }
  - { name: h2, address: 192.0.2.12 }
  - { name: h3, address: 192.0.2.13 }
ensembles:
  - { name: zk, servers: 3, image: "zookeeper:3.9" }
`;
const BRIDGE_INVENTORY = `hosts:
  - { name: h1, address: 192.0.2.11 }
ensembles:
  - { name: dev, servers: 3, image: "zookeeper:3.9", network: bridge }
`;

describe('up / down flags (exit 2, before any Docker command)', () => {
  const cases: { args: string[]; message: RegExp }[] = [
    { args: ['up'], message: /pass --local/ },
    { args: ['up', '--local', '--network', 'overlay'], message: /argument 'overlay' is invalid.*bridge, links, static-ip/s },
    { args: ['up', '--local', '--network'], message: /argument missing/ },
    { args: ['up', '--local', '--image', 'zoo keeper'], message: /--image expects an image reference/ },
    { args: ['up', '--local', '--timeout', '0'], message: /--timeout expects a positive integer/ },
    { args: ['up', 'dev.yml', '--local', '--network', 'links'], message: /--network shapes the built-in default ensemble; with an inventory, set network and image in dev\.yml/ },
    { args: ['up', 'dev.yml', '--local', '--image', 'zookeeper:3.8'], message: /--image shapes the built-in default/ },
    { args: ['up', 'host.yml', '--local'], message: /network: bridge \| links \| static-ip; ensemble "zk" has network: host/ },
    { args: ['up', 'dev.yml', '--local', '-e', 'nope'], message: /no ensemble "nope" in the inventory; it has dev/ },
    { args: ['up', '--local', '--bogus'], message: /unknown option '--bogus'/ },
    { args: ['down', '--network', 'bridge'], message: /unknown option '--network'/ },
    { args: ['down', 'host.yml'], message: /ensemble "zk" has network: host/ },
  ];
  for (const c of cases) {
    it(`zkplan ${c.args.join(' ')}`, async () => {
      const r = await runZkplan(c.args, { 'host.yml': HOST_INVENTORY, 'dev.yml': BRIDGE_INVENTORY });
      assert.equal(r.code, 2, `exit code; stderr:\n${r.err}`);
      assert.equal(r.out, '');
      assert.match(r.err, c.message);
      assert.doesNotMatch(r.err, /\n\s+at .*:\d+:\d+/, 'no stack trace');
    });
  }

  it('a bad inventory is reported with file:line:col', async () => {
    const r = await runZkplan(['up', 'bad.yml', '--local'], { 'bad.yml': BRIDGE_INVENTORY.replace('servers: 3', 'servers: 0') });
    assert.equal(r.code, 2);
    assert.match(r.err, /^bad\.yml:4:\d+: /m);
  });
});
