// Bad input gets `file:line:col: message`, exit code 2, nothing else: one test per case.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runZkplan } from './helpers/cli.js';

const HOSTS = `hosts:
  - { name: h1, address: 192.0.2.11, labels: { idx: 1, zone: a } }
  - { name: h2, address: 192.0.2.12, labels: { idx: 2, zone: b } }
  - { name: h3, address: 192.0.2.13, labels: { idx: 3, zone: c } }
`;
const ENSEMBLE = `ensembles:
  - name: zk
    servers: 3
    image: zookeeper:3.9
    placement: { pin_label: idx }
`;

async function expectError(text: string, position: string, message: string | RegExp, args: string[] = []) {
  const r = await runZkplan(['plan', 'bad.yml', ...args], { 'bad.yml': text });
  assert.equal(r.code, 2, `exit code; stderr was:\n${r.err}`);
  assert.equal(r.out, '', 'nothing on stdout');
  const line = r.err.split('\n').find((l) => l.startsWith(`bad.yml:${position}: `));
  assert.ok(line, `expected an error at bad.yml:${position}, got:\n${r.err}`);
  if (typeof message === 'string') assert.ok(line.includes(message), `"${line}" should include "${message}"`);
  else assert.match(line, message);
  assert.doesNotMatch(r.err, /\n\s+at .*\(.*:\d+:\d+\)/, 'no stack trace');
  return r;
}

describe('bad inventories', () => {
  it('rejects text that is not YAML', async () => {
    await expectError('hosts:\n  - name: a\n   bad: [\n', '3:1', 'not valid YAML');
  });
  it('rejects an empty file', async () => {
    await expectError('', '1:1', 'the inventory is empty');
  });
  it('rejects a top level that is not a mapping', async () => {
    await expectError('- a\n- b\n', '1:1', 'must be a mapping with "hosts" and "ensembles", got a list');
  });
  it('rejects a misspelled key and suggests the closest', async () => {
    await expectError(HOSTS + ENSEMBLE + '    prots: { client: 2181 }\n', '10:5', 'unknown key "prots" in ensembles; did you mean "ports"?');
  });
  it('rejects an unknown top-level key', async () => {
    await expectError(HOSTS + ENSEMBLE + 'hostz: []\n', '10:1', 'unknown key "hostz"; did you mean "hosts"?');
  });
  it('rejects a wrong type', async () => {
    await expectError(HOSTS + ENSEMBLE.replace('servers: 3', 'servers: three'), '7:14', 'servers must be an integer, got string "three"');
  });
  it('rejects a missing required field', async () => {
    await expectError(HOSTS.replace('{ name: h2, address: 192.0.2.12,', '{ name: h2,') + ENSEMBLE, '3:5', 'missing required field "address" in hosts');
  });
  it('rejects duplicate host names', async () => {
    await expectError(HOSTS.replace('name: h3', 'name: h1') + ENSEMBLE, '4:13', 'duplicate host name "h1"');
  });
  it('rejects duplicate host addresses', async () => {
    await expectError(HOSTS.replace('192.0.2.13', '192.0.2.11') + ENSEMBLE, '4:26', 'duplicate host address "192.0.2.11" (also host "h1")');
  });
  it('rejects duplicate pin-label values', async () => {
    await expectError(HOSTS.replace('idx: 3', 'idx: 2') + ENSEMBLE, '4:53', 'duplicate pin label idx=2: hosts "h2" and "h3" both carry it');
  });
  it('rejects missing pin-label values', async () => {
    await expectError(HOSTS + ENSEMBLE.replace('servers: 3', 'servers: 5'), '7:14', 'no host has idx=4, 5');
  });
  it('rejects a pin label that no host carries, at the pin_label key', async () => {
    await expectError(HOSTS + ENSEMBLE.replace('pin_label: idx', 'pin_label: slot'), '9:18', 'no host carries pin label "slot": ensemble "zk" needs hosts labelled slot=1..3');
  });
  it('rejects a failure domain that no host carries', async () => {
    await expectError('failure_domains: [zone, rack]\n' + HOSTS + ENSEMBLE, '1:25', 'no host carries label "rack" named as a failure domain');
  });
  it('rejects a pin value out of range', async () => {
    await expectError(HOSTS.replace('idx: 3', 'idx: 0') + ENSEMBLE, '4:53', 'pin label idx=0 on host "h3" is out of range');
  });
  it('rejects fewer eligible hosts than servers', async () => {
    const text = HOSTS + ENSEMBLE.replace('servers: 3', 'servers: 5').replace('placement: { pin_label: idx }', 'placement: { spread_label: zone }');
    await expectError(text, '7:14', 'needs 5 hosts (one server per host under host networking) but the inventory has 3 eligible hosts');
  });
  it('rejects fixed ports that collide', async () => {
    const text =
      HOSTS +
      ENSEMBLE +
      '    ports: { client: 2181 }\n  - name: zk2\n    servers: 3\n    image: zookeeper:3.9\n    placement: { pin_label: idx }\n    ports: { client: 2181 }\n';
    await expectError(text, '15:22', 'client port 2181 of ensemble "zk2" collides on host "h1" with the client port of ensemble "zk"');
  });
  it('rejects one port used twice in an ensemble', async () => {
    await expectError(HOSTS + ENSEMBLE + '    ports: { quorum: 3000, election: 3000 }\n', '10:38', 'port 3000 is used twice in ensemble "zk" (quorum and election)');
  });
  it('rejects an invalid static IP', async () => {
    const text = HOSTS + ENSEMBLE.replace('placement: { pin_label: idx }', 'network: static-ip') + '    docker_network: { subnet: 172.19.0.0/16, ip_range: 172.19.0.0/17, addresses: [172.19.200.1, 172.19.300.2, 172.19.200.3] }\n';
    await expectError(text, '10:97', 'invalid IPv4 address "172.19.300.2"');
  });
  it('rejects a static IP outside the subnet', async () => {
    const text = HOSTS + ENSEMBLE.replace('placement: { pin_label: idx }', 'network: static-ip') + '    docker_network: { subnet: 172.19.0.0/16, ip_range: 172.19.0.0/17, addresses: [172.19.200.1, 172.20.0.2, 172.19.200.3] }\n';
    await expectError(text, '10:97', 'static address 172.20.0.2 is outside subnet 172.19.0.0/16');
  });
  it('rejects a static IP inside the dynamic ip_range', async () => {
    const text = HOSTS + ENSEMBLE.replace('placement: { pin_label: idx }', 'network: static-ip') + '    docker_network: { subnet: 172.19.0.0/16, ip_range: 172.19.0.0/17, addresses: [172.19.200.1, 172.19.0.2, 172.19.200.3] }\n';
    await expectError(text, '10:97', 'static address 172.19.0.2 is inside ip_range 172.19.0.0/17');
  });
  it('rejects the gateway as a static IP', async () => {
    const text = HOSTS + ENSEMBLE.replace('placement: { pin_label: idx }', 'network: static-ip') + '    docker_network: { subnet: 172.19.0.0/16, gateway: 172.19.200.1, ip_range: 172.19.0.0/17, addresses: [172.19.200.1, 172.19.200.2, 172.19.200.3] }\n';
    await expectError(text, '10:106', 'static address 172.19.200.1 is the gateway');
  });
  it('rejects an unknown profile', async () => {
    await expectError(HOSTS + ENSEMBLE + '    profile: aliyn\n', '10:14', 'unknown profile "aliyn"; expected one of aliyun, official, bitnami (did you mean "aliyun"?)');
  });
  it('rejects an unknown network', async () => {
    await expectError(HOSTS + ENSEMBLE + '    network: hots\n', '10:14', 'unknown network "hots"; expected one of host, overlay, bridge, links, static-ip (did you mean "host"?)');
  });
  it('rejects more than 10 servers with the aliyun profile', async () => {
    const many = Array.from({ length: 11 }, (_, i) => `  - { name: h${i + 1}, address: 192.0.2.${i + 11}, labels: { idx: ${i + 1} } }`).join('\n');
    const text = `hosts:\n${many}\n${ENSEMBLE.replace('servers: 3', 'servers: 11')}    profile: aliyun\n`;
    await expectError(text, '15:14', 'the aliyun image reads at most 10 ADDITIONAL_ZOOKEEPER_n lines');
  });
  it('rejects a host name unusable as a container name or shell word', async () => {
    await expectError(HOSTS.replace('name: h2', 'name: "h2;rm -rf /"') + ENSEMBLE, '3:13', 'invalid name "h2;rm -rf /"');
  });
  it('rejects a label value with shell syntax', async () => {
    await expectError(HOSTS.replace('zone: b', 'zone: "$(reboot)"') + ENSEMBLE, '3:62', 'invalid label "zone" "$(reboot)"');
  });
  it('rejects a label key with unsafe characters', async () => {
    await expectError(HOSTS.replace('zone: c', '"zo ne": c') + ENSEMBLE, '4:56', 'invalid label key "zo ne"');
  });
  it('rejects an image name with shell syntax', async () => {
    await expectError(HOSTS + ENSEMBLE.replace('image: zookeeper:3.9', 'image: "zookeeper:3.9; reboot"'), '8:12', 'invalid image');
  });
  it('does not place ensembles on a host whose name is taken twice (their errors would be its consequences)', async () => {
    const r = await expectError(HOSTS.replace('name: h3', 'name: h1') + ENSEMBLE.replace('servers: 3', 'servers: 5'), '4:13', 'duplicate host name');
    assert.equal(r.err.split('\n').filter((l) => l.startsWith('bad.yml:')).length, 1, 'the placement of zk waits for the fix');
  });
  it('reports a missing inventory file', async () => {
    const r = await runZkplan(['plan', 'missing.yml']);
    assert.equal(r.code, 2);
    assert.match(r.err, /^missing\.yml:1:1: cannot read the inventory: no such file/m);
  });
});

describe('bad usage', () => {
  it('rejects an unknown target', async () => {
    const r = await runZkplan(['render', 'inventories/example.yml', '--target', 'kubernetes']);
    assert.equal(r.code, 2);
    assert.match(r.err, /unknown target "kubernetes"; expected one of aliyun, swarm/);
  });
  it('render rejects an unknown ensemble, naming those there are', async () => {
    const r = await runZkplan(['render', 'inventories/example.yml', '--target', 'swarm', '--ensemble', 'nope']);
    assert.equal(r.code, 2);
    assert.equal(r.out, '');
    assert.match(r.err, /no ensemble "nope" in the inventory; it has zk/);
  });
  it('rejects an unknown command', async () => {
    const r = await runZkplan(['plna', 'inventories/example.yml']);
    assert.equal(r.code, 2);
    assert.match(r.err, /unknown command 'plna'/);
  });
  it('rejects an unknown report format', async () => {
    const r = await runZkplan(['plan', 'inventories/example.yml', '--format', 'html']);
    assert.equal(r.code, 2);
    assert.match(r.err, /unknown --format "html"/);
  });
});
