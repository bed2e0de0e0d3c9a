// The container spec of every server, per target, and the one config hash computed from it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderTarget } from '../../src/render/index.js';
import { loadTemplates } from '../../src/render/templates.js';
import { dockerRun } from '../../src/remote/commands/docker.js';
import { desiredContainers } from '../../src/rollout/desired.js';
import { desiredServers } from '../../src/rollout/server-specs.js';
import { configHash, LABEL_HASH, withHashLabel } from '../../src/rollout/spec.js';
import { caseInventory, dockerCalls, planOf, planOfFile } from './golden/support.js';

const templates = loadTemplates();
const article = () => planOfFile('inventories/article-host.yml');

describe('desiredServers', () => {
  it('host target: host networking, restart always, data_dir bind mounts, labels, resolved addresses', () => {
    const [d] = desiredServers(article(), { kind: 'host' });
    assert.equal(d!.host, 'zookeeper1');
    assert.equal(d!.name, 'zookeeper1');
    assert.deepEqual({ ...d!.spec, labels: undefined }, {
      name: 'zookeeper1',
      image: 'registry.aliyuncs.com/acs-sample/zookeeper:3.4.8',
      env: [
        ['SERVER_ID', '1'],
        ['ADDITIONAL_ZOOKEEPER_1', 'server.1=192.0.2.11:2888:3888'],
        ['ADDITIONAL_ZOOKEEPER_2', 'server.2=192.0.2.12:2888:3888'],
        ['ADDITIONAL_ZOOKEEPER_3', 'server.3=192.0.2.13:2888:3888'],
      ],
      restart: 'always',
      network: { kind: 'host' },
      ports: [],
      mounts: [{ kind: 'bind', source: '/var/lib/zkplan/zk/1', target: '/tmp/zookeeper' }],
      labels: undefined,
    });
    assert.deepEqual(d!.spec.labels, {
      'io.zkplan.ensemble': 'zk',
      'io.zkplan.server-id': '1',
      'io.zkplan.ports': '2181,2888,3888',
      'io.zkplan.config-hash': d!.configHash,
    });
  });

  it('every target: the hash label is configHash of the spec, and the spec is what is hashed', () => {
    const plans = [article(), planOf(caseInventory({ profile: 'official', network: 'bridge' })), planOf(caseInventory({ profile: 'official', network: 'overlay' }))];
    for (const [e, kinds] of [[plans[0]!, ['host', 'swarm']], [plans[1]!, ['host', 'local']], [plans[2]!, ['swarm']]] as const) {
      for (const kind of kinds) {
        for (const d of desiredServers(e, { kind })) {
          assert.match(d.configHash, /^[0-9a-f]{16}$/);
          assert.equal(d.spec.labels[LABEL_HASH], d.configHash);
          assert.equal(configHash(d.spec), d.configHash, 'the hash label itself is not hashed');
        }
      }
    }
  });

  it('local target: named volumes, owner labels, the plan network, published client port', () => {
    const e = planOf(caseInventory({ profile: 'official', network: 'bridge' }));
    const [d] = desiredServers(e, { kind: 'local' });
    assert.equal(d!.host, 'local');
    assert.deepEqual(d!.spec.mounts, [
      { kind: 'volume', source: 'zk1-data', target: '/data' },
      { kind: 'volume', source: 'zk1-datalog', target: '/datalog' },
    ]);
    assert.equal(d!.spec.labels['io.zkplan.local'], 'true');
    assert.equal(d!.spec.hostname, 'zk1');
    assert.deepEqual(d!.spec.network, { kind: 'named', name: e.dockerNetwork!.name });
    assert.deepEqual(d!.spec.ports, [{ address: '127.0.0.1', published: e.servers[0]!.publishedClientPort, target: 2181 }]);
  });

  it('Swarm: service names <stack>_<key>, placement, and on an overlay dnsrr, hostname and the client port', () => {
    const overlay = planOf(caseInventory({ profile: 'official', network: 'overlay' }));
    const [d] = desiredServers(overlay, { kind: 'swarm' });
    assert.equal(d!.name, `${overlay.name}_${overlay.servers[0]!.name}`);
    assert.equal(d!.spec.placement, 'node.labels.aliyun.node_index == 1');
    assert.deepEqual(d!.spec.network, { kind: 'named', name: overlay.dockerNetwork!.name, dnsrr: true });
    assert.equal(d!.spec.hostname, overlay.servers[0]!.name);
    assert.deepEqual(d!.spec.ports, [{ published: 2181, target: 2181 }]);
    const [h] = desiredServers(article(), { kind: 'swarm' });
    assert.deepEqual([h!.spec.network, h!.spec.ports, h!.spec.hostname], [{ kind: 'host' }, [], undefined]);
  });

  it('the hash is stable and follows every field of the spec, not how the spec was assembled', () => {
    const [a] = desiredServers(article(), { kind: 'host' });
    assert.equal(desiredServers(article(), { kind: 'host' })[0]!.configHash, a!.configHash);
    const spec = a!.spec;
    const variants = [
      { ...spec, image: 'zookeeper:3.9.4' },
      { ...spec, env: [...spec.env, ['X', 'y'] as [string, string]] },
      { ...spec, mounts: [] },
      { ...spec, restart: 'no' as const },
      { ...spec, memoryBytes: 1 << 30 },
      { ...spec, labels: { ...spec.labels, 'io.zkplan.ports': '1' } },
    ];
    for (const v of variants) assert.notEqual(configHash(v), a!.configHash);
    const reordered = Object.fromEntries(Object.entries(spec).reverse()) as typeof spec;
    assert.equal(configHash(reordered), a!.configHash);
    assert.equal(withHashLabel(spec).labels[LABEL_HASH], a!.configHash);
    // a --set address override is a different container
    assert.notEqual(desiredServers(article(), { kind: 'host', overrides: { ZOOKEEPER_2: '198.51.100.2' } })[0]!.configHash, a!.configHash);
  });

  it('the apply adapter: the host spec with its env file under the host state directory', () => {
    const [c] = desiredContainers(article(), (h) => `/srv/${h}/`);
    assert.equal(c!.envFile, '/srv/zookeeper1/zk/zookeeper1.env');
    assert.deepEqual(c!.spec, desiredServers(article(), { kind: 'host' })[0]!.spec);
  });
});

describe('the run-scripts render', () => {
  for (const file of ['article-host', 'article-bridge', 'article-links', 'article-static-ip']) {
    it(`${file}: runs exactly the docker run of the host target's spec (environment inline)`, () => {
      const e = planOfFile(`inventories/${file}.yml`);
      const set = Object.fromEntries(e.servers.map((s) => [s.variable, `${s.host.name}.example`]));
      const runs = renderTarget('run-scripts', e, { set, resolve: false }, templates)
        .flatMap((f) => dockerCalls(f.content))
        .filter((c) => c[0] === 'run');
      assert.deepEqual(
        runs.map((r) => ['docker', ...r]),
        desiredServers(e, { kind: 'host', overrides: set }).map((d) => dockerRun(d.spec)),
      );
    });
  }
});
