// What each image needs beyond the zoo.cfg grammar: bitnami's user and login variables,
// IPv6 addresses in server lines, a version that agrees with the tag, a connect string a
// client can use.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { endpoint, isUnspecifiedAddress } from '../../src/common/address.js';
import { renderTarget } from '../../src/render/index.js';
import { imageProfile } from '../../src/render/profiles/index.js';
import { addressingFor } from '../../src/render/server-line.js';
import { loadTemplates } from '../../src/render/templates.js';
import { recreateContainer, removeContainer } from '../../src/remote/commands/docker.js';
import { makeDirectories } from '../../src/remote/commands/host.js';
import { desiredContainers } from '../../src/rollout/desired.js';
import { caseInventory, planOf } from './golden/support.js';
import { runZkplan } from './helpers/cli.js';

const templates = loadTemplates();

function withHostAddresses(inv: object, addresses: string[]): object {
  const copy = structuredClone(inv) as { hosts: { address: string }[] };
  copy.hosts.forEach((h, i) => (h.address = addresses[i]!));
  return copy;
}

function envOf(e: ReturnType<typeof planOf>, id = 1, hostAddress: 'resolved' | 'variable' = 'resolved'): Map<string, string> {
  const server = e.servers.find((s) => s.id === id)!;
  return new Map(imageProfile(e.profile).environment(server, e, addressingFor(e, hostAddress, {})));
}

const V6 = ['2001:db8::11', '2001:db8::12', '2001:db8::13'];

describe('bitnami login variables', () => {
  for (const image of ['bitnamilegacy/zookeeper:3.8.4', 'bitnamilegacy/zookeeper:3.9.3']) {
    it(`${image}: both ALLOW_ANONYMOUS_LOGIN and ALLOW_EMPTY_PASSWORD are yes`, () => {
      const env = envOf(planOf(caseInventory({ profile: 'bitnami', network: 'host', image, version: image.split(':')[1]! })));
      assert.equal(env.get('ALLOW_ANONYMOUS_LOGIN'), 'yes');
      assert.equal(env.get('ALLOW_EMPTY_PASSWORD'), 'yes');
    });
  }
});

describe('bitnami data directories', () => {
  it('the profile declares uid 1001; its host specs hand the bind-mount sources to it, other profiles to nobody', () => {
    assert.equal(imageProfile('bitnami').runAsUid, 1001);
    const bitnami = desiredContainers(planOf(caseInventory({ profile: 'bitnami', network: 'host' })), () => '/var/lib/zkplan-state');
    assert.deepEqual(
      bitnami.map((d) => d.spec.mounts),
      [1, 2, 3].map((id) => [{ kind: 'bind', source: `/var/lib/zkplan/zk/${id}`, target: '/bitnami/zookeeper', owner: 1001 }]),
    );
    for (const profile of ['official', 'aliyun'] as const) {
      const d = desiredContainers(planOf(caseInventory({ profile, network: 'host' })), () => '/s');
      assert.ok(d.every((c) => c.spec.mounts.every((m) => m.kind === 'bind' && m.owner === undefined)), profile);
    }
  });

  it('recreateContainer prepares owned directories with the owner, the others with plain mkdir', () => {
    const [server] = desiredContainers(planOf(caseInventory({ profile: 'bitnami', network: 'host' })), () => '/s');
    const steps = recreateContainer(server!.spec, { envFile: server!.envFile });
    assert.deepEqual(steps[0], makeDirectories(['/var/lib/zkplan/zk/1'], 1001));
    assert.deepEqual(steps[1], removeContainer('zk1'));
    const mixed = recreateContainer({
      ...server!.spec,
      mounts: [
        { kind: 'bind', source: '/a', target: '/x' },
        { kind: 'bind', source: '/b', target: '/y', owner: 1001 },
        { kind: 'bind', source: '/c', target: '/z' },
      ],
    });
    assert.deepEqual(mixed.slice(0, 2), [makeDirectories(['/a', '/c']), makeDirectories(['/b'], 1001)]);
  });

  it('makeDirectories: plain mkdir without an owner, exact argv', () => {
    assert.deepEqual(makeDirectories(['/a', '/b c']), ['mkdir', '-p', '--', '/a', '/b c']);
  });

  it('makeDirectories with an owner: exact argv', () => {
    assert.deepEqual(makeDirectories(['/a', '/b c'], 1001), [
      'sh',
      '-c',
      'u=$1; shift; mkdir -p -- "$@" || exit; for d in "$@"; do [ "$(stat -c %u -- "$d")" = "$u" ] || chown -- "$u" "$d" || exit; done',
      'zkplan-mkdir',
      '1001',
      '/a',
      '/b c',
    ]);
  });

  it('makeDirectories with an owner creates, chowns only what it must, and re-runs', () => {
    const root = mkdtempSync(join(tmpdir(), 'zkplan-mkdir-'));
    try {
      const fresh = join(root, 'x', 'zk', '1');
      const present = join(root, 'present dir');
      mkdirSync(present);
      const [cmd, ...args] = makeDirectories([fresh, present], 1001);
      const run = () => execFileSync(cmd!, args, { stdio: 'pipe' });
      if (process.getuid?.() !== 0) {
        // Not root: the chown a fresh directory needs is refused, and the command says so.
        assert.throws(run);
        return;
      }
      run();
      assert.equal(statSync(fresh).uid, 1001);
      assert.equal(statSync(present).uid, 1001);
      assert.equal(statSync(join(root, 'x')).uid, 0, 'parents keep their owner');
      run();
      assert.equal(statSync(fresh).uid, 1001);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('run scripts chown the data directories; compose renders say how', () => {
    const e = planOf(caseInventory({ profile: 'bitnami', network: 'bridge', hostCount: 1 }));
    const script = renderTarget('run-scripts', e, { set: {}, resolve: true }, templates)[0]!.content;
    assert.match(script, /^mkdir -p \/var\/lib\/zkplan\/zk\/1\nchown 1001 \/var\/lib\/zkplan\/zk\/1\n/m);
    const compose = renderTarget('compose-bridge', e, { set: {}, resolve: false }, templates)[0]!.content;
    assert.match(compose, /^# The image runs as uid 1001: .*chown 1001 DIR\), on h1: \/var\/lib\/zkplan\/zk\/1 \/var\/lib\/zkplan\/zk\/2 \/var\/lib\/zkplan\/zk\/3\.$/m);
    const official = planOf(caseInventory({ profile: 'official', network: 'bridge', hostCount: 1 }));
    assert.doesNotMatch(renderTarget('run-scripts', official, { set: {}, resolve: true }, templates)[0]!.content, /chown/);
  });
});

describe('IPv6 host addresses', () => {
  it('3.5+: server lines carry them in brackets, literal and as variables', () => {
    const e = planOf(withHostAddresses(caseInventory({ profile: 'official', network: 'host' }), V6));
    assert.equal(
      envOf(e).get('ZOO_SERVERS'),
      'server.1=[2001:db8::11]:2888:3888;2181 server.2=[2001:db8::12]:2888:3888;2181 server.3=[2001:db8::13]:2888:3888;2181',
    );
    assert.match(envOf(e, 1, 'variable').get('ZOO_SERVERS')!, /^server\.1=\[\$\{ZOOKEEPER_1\}\]:2888:3888;2181 /);
    const aliyun = planOf(withHostAddresses(caseInventory({ profile: 'aliyun', network: 'host', image: 'zookeeper:3.8.4', version: '3.8' }), V6));
    assert.equal(envOf(aliyun).get('ADDITIONAL_ZOOKEEPER_2'), 'server.2=[2001:db8::12]:2888:3888;2181');
  });

  it('a --set override decides the brackets by the address it writes', () => {
    const e = planOf(withHostAddresses(caseInventory({ profile: 'official', network: 'host' }), V6));
    const server = e.servers[0]!;
    const env = new Map(imageProfile('official').environment(server, e, addressingFor(e, 'resolved', { ZOOKEEPER_2: '192.0.2.99' })));
    assert.match(env.get('ZOO_SERVERS')!, /server\.2=192\.0\.2\.99:2888:3888;2181/);
  });

  it('bitnami: every group spelled out keeps the `::id` suffix the only `::`', () => {
    const full = ['2001:db8:0:0:0:0:0:11', '2001:db8:0:0:0:0:0:12', '2001:db8:0:0:0:0:0:13'];
    const e = planOf(withHostAddresses(caseInventory({ profile: 'bitnami', network: 'host' }), full));
    const servers = envOf(e).get('ZOO_SERVERS')!;
    assert.equal(servers.split(',')[0], '[2001:db8:0:0:0:0:0:11]:2888:3888::1');
    // libzookeeper.sh: each entry must match this, then is split at `::` into address and id.
    for (const entry of servers.split(',')) {
      assert.match(entry, /^\S+:\d+:\d+(:observer|:participant)?::\d+$/);
      assert.equal(entry.split('::').length, 2, entry);
    }
  });

  it('the connect string brackets them', () => {
    const e = planOf(withHostAddresses(caseInventory({ profile: 'official', network: 'host' }), V6));
    assert.equal(e.connectString, '[2001:db8::11]:2181,[2001:db8::12]:2181,[2001:db8::13]:2181');
  });

  it('3.4: refused at the host address, exit 2', async () => {
    const inv = `hosts:
  - { name: h1, address: 192.0.2.11, labels: { idx: 1 } }
  - { name: h2, address: "2001:db8::12", labels: { idx: 2 } }
  - { name: h3, address: 192.0.2.13, labels: { idx: 3 } }
ensembles:
  - { name: zk, servers: 3, image: zookeeper:3.4.14, placement: { pin_label: idx } }
`;
    const r = await runZkplan(['plan', 'bad.yml'], { 'bad.yml': inv });
    assert.equal(r.code, 2, r.err);
    assert.equal(r.out, '');
    assert.match(r.err, /^bad\.yml:3:26: IPv6 address 2001:db8::12 of host "h2" cannot be written in a ZooKeeper 3\.4\.14 server line \(ensemble "zk"\)/m);
  });

  it('bitnami with a `::` address: refused at the host address, exit 2', async () => {
    const inv = `hosts:
  - { name: h1, address: "2001:db8::11", labels: { idx: 1 } }
  - { name: h2, address: 192.0.2.12, labels: { idx: 2 } }
  - { name: h3, address: 192.0.2.13, labels: { idx: 3 } }
ensembles:
  - { name: zk, servers: 3, image: bitnamilegacy/zookeeper:3.9.3, profile: bitnami, placement: { pin_label: idx } }
`;
    const r = await runZkplan(['plan', 'bad.yml'], { 'bad.yml': inv });
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /^bad\.yml:2:26: the bitnami image splits ZOO_SERVERS entries at "::", so ensemble "zk" cannot use host "h1" at 2001:db8::11/m);
  });
});

describe('zookeeper_version against the image tag', () => {
  const inv = (image: string, version: string) => `hosts:
  - { name: h1, address: 192.0.2.11, labels: { idx: 1 } }
  - { name: h2, address: 192.0.2.12, labels: { idx: 2 } }
  - { name: h3, address: 192.0.2.13, labels: { idx: 3 } }
ensembles:
  - name: zk
    servers: 3
    image: ${image}
    zookeeper_version: "${version}"
    placement: { pin_label: idx }
`;

  it('a contradiction is an error naming both, exit 2', async () => {
    const r = await runZkplan(['plan', 'bad.yml'], { 'bad.yml': inv('zookeeper:3.4.14', '3.9') });
    assert.equal(r.code, 2, r.err);
    assert.equal(r.out, '');
    assert.equal(
      r.err.trim().split('\n').find((l) => l.startsWith('bad.yml:')),
      'bad.yml:9:24: zookeeper_version "3.9" contradicts image "zookeeper:3.4.14", whose tag says ZooKeeper 3.4.14; make them agree or drop zookeeper_version',
    );
    const patch = await runZkplan(['plan', 'bad.yml'], { 'bad.yml': inv('zookeeper:3.9.2', '3.9.1') });
    assert.equal(patch.code, 2, patch.err);
  });

  it('a version that says less than the tag, or a tag without a version, is accepted', async () => {
    for (const [image, version] of [['zookeeper:3.9.2', '3.9'], ['zookeeper:3.9', '3.9.2'], ['zookeeper:latest', '3.4'], ['bitnamilegacy/zookeeper:3.8.4-debian-12-r5', '3.8.4']]) {
      const r = await runZkplan(['plan', 'ok.yml'], { 'ok.yml': inv(image!, version!) });
      assert.equal(r.code, 0, `${image} ${version}: ${r.err}`);
    }
  });
});

describe('connect string with a wildcard publish address', () => {
  for (const wildcard of ['0.0.0.0', '::']) {
    it(`publish_address ${wildcard}: clients are given the host's address`, () => {
      const inv = caseInventory({ profile: 'official', network: 'bridge', hostCount: 1 }) as { ensembles: Record<string, unknown>[] };
      inv.ensembles[0]!.publish_address = wildcard;
      const e = planOf(inv);
      assert.equal(e.publishAddress, wildcard, 'the ports are still published on every interface');
      assert.equal(e.connectString, '192.0.2.11:2181,192.0.2.11:2182,192.0.2.11:2183');
    });
  }

  it('a specific publish address is used as it is', () => {
    const inv = caseInventory({ profile: 'official', network: 'bridge', hostCount: 1 }) as { ensembles: Record<string, unknown>[] };
    inv.ensembles[0]!.publish_address = '::1';
    assert.equal(planOf(inv).connectString, '[::1]:2181,[::1]:2182,[::1]:2183');
  });

  it('isUnspecifiedAddress and endpoint', () => {
    assert.deepEqual(['0.0.0.0', '::', '0:0:0:0:0:0:0:0', '127.0.0.1', '0.0.0', '::1', 'zk1'].map(isUnspecifiedAddress), [true, true, true, false, false, false, false]);
    assert.equal(endpoint('2001:db8::1', 2181), '[2001:db8::1]:2181');
    assert.equal(endpoint('zk1', 2181), 'zk1:2181');
  });
});
