// What zkplan sends for dynamic reconfiguration, byte for byte (src/verify/jute.ts), the super
// user's digest and kept password (src/security/super-digest.ts), the inventory key
// `reconfig: true` (refused with its position where the version has no reconfigEnabled), and
// the config hash of a reconfig ensemble, which leaves the peers' server lines out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configVersion, connectRequest, digestAuthRequest, FrameReader, getDataRequest, parseReply, reconfigRequest, replyData } from '../../src/verify/jute.js';
import { ensureSuperCredential, superDigest } from '../../src/security/super-digest.js';
import { desiredServers } from '../../src/rollout/server-specs.js';
import { planForMembership } from '../../src/rollout/membership-plan.js';
import { runZkplan } from './helpers/cli.js';
import { hosts } from './helpers/inventory.js';
import { planOf } from './golden/support.js';

const hex = (b: Buffer) => b.toString('hex');

test('connect: protocol 0, no zxid, the session timeout, no session, an empty 16-byte password, not read-only', () => {
  assert.equal(hex(connectRequest(30000)), '0000002d' + '00000000' + '0000000000000000' + '00007530' + '0000000000000000' + '00000010' + '00'.repeat(16) + '00');
});

test('auth: xid -4, op 100, type 0, scheme digest, user:password in the body', () => {
  assert.equal(hex(digestAuthRequest('super', 'pw')), '00000022' + 'fffffffc' + '00000064' + '00000000' + '00000006' + hex(Buffer.from('digest')) + '00000008' + hex(Buffer.from('super:pw')));
});

test('getData of /zookeeper/config without a watch', () => {
  assert.equal(hex(getDataRequest(1, '/zookeeper/config')), '0000001e' + '00000001' + '00000004' + '00000011' + hex(Buffer.from('/zookeeper/config')) + '00');
});

test('reconfig -remove 5 -v 100000000: joining and new members null (-1), leaving "5", the version as a long', () => {
  assert.equal(hex(reconfigRequest(2, { leaving: [5] }, 0x100000000n)), '0000001d' + '00000002' + '00000010' + 'ffffffff' + '00000001' + '35' + 'ffffffff' + '0000000100000000');
});

test('reconfig -add one server line; -1 skips the version check', () => {
  const line = 'server.4=10.0.0.4:2888:3888;2181';
  const body = '00000003' + '00000010' + '00000020' + hex(Buffer.from(line)) + 'ffffffff' + 'ffffffff' + 'ffffffffffffffff';
  assert.equal(hex(reconfigRequest(3, { joining: [line] }, -1n)), (body.length / 2).toString(16).padStart(8, '0') + body);
});

test('frames split across chunks and packed together are read whole; a reply gives its header and data', () => {
  const reply = Buffer.from('00000001' + '0000000100000005' + '00000000' + '00000003' + hex(Buffer.from('abc')), 'hex');
  const framed = Buffer.concat([Buffer.from([0, 0, 0, reply.length]), reply]);
  const r = new FrameReader();
  assert.deepEqual(r.push(framed.subarray(0, 5)), []);
  const frames = r.push(Buffer.concat([framed.subarray(5), framed]));
  assert.equal(frames.length, 2);
  const p = parseReply(frames[0]!);
  assert.deepEqual([p.xid, p.zxid, p.err, replyData(p.body).toString()], [1, 0x100000005n, 0, 'abc']);
});

test('the configuration version is hex', () => {
  assert.equal(configVersion('server.1=a:2888:3888:participant;0.0.0.0:2181\nversion=10000000a'), 0x10000000an);
  assert.equal(configVersion('server.1=a:2888:3888'), undefined);
});

test("the super digest is DigestAuthenticationProvider's (the Admin Guide's super:admin example)", () => {
  assert.equal(superDigest('admin'), 'super:xQJmxLMiHGwaqBvst5y6rkB6HQs=');
});

test('the super password is made once (256 bits), kept 0600 in a 0700 .zkplan/<ensemble>, and reused', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'zkplan-super-'));
  try {
    const inv = path.join(dir, 'inv.yml');
    const first = ensureSuperCredential(inv, 'zk');
    const again = ensureSuperCredential(inv, 'zk');
    assert.deepEqual(again, first);
    assert.equal(Buffer.from(first.password, 'base64url').length, 32);
    assert.equal(first.digest, superDigest(first.password));
    const file = path.join(dir, '.zkplan', 'zk', 'super.password');
    assert.equal(readFileSync(file, 'utf8').trim(), first.password);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(path.dirname(file)).mode & 0o777, 0o700);
    assert.equal(statSync(path.dirname(path.dirname(file))).mode & 0o777, 0o700);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const HOSTS_YAML = `hosts:
  - { name: h1, address: 192.0.2.11 }
  - { name: h2, address: 192.0.2.12 }
  - { name: h3, address: 192.0.2.13 }
ensembles:
`;

test('reconfig: true is refused with its position before 3.5.3 and for the aliyun profile (3.4.8)', async () => {
  const old = await runZkplan(['plan', 'inv.yml'], { 'inv.yml': `${HOSTS_YAML}  - name: zk\n    servers: 3\n    image: zookeeper:3.5.2\n    reconfig: true\n` });
  assert.equal(old.code, 2);
  assert.match(old.err, /inv\.yml:9:15: reconfig needs ZooKeeper 3\.5\.3 or later .*runs ZooKeeper 3\.5\.2/);
  const aliyun = await runZkplan(['plan', 'inv.yml'], { 'inv.yml': `${HOSTS_YAML}  - name: zk\n    servers: 3\n    image: registry.aliyuncs.com/acs-sample/zookeeper:3.4.8\n    profile: aliyun\n    reconfig: true\n` });
  assert.equal(aliyun.code, 2);
  assert.match(aliyun.err, /inv\.yml:10:15: reconfig needs ZooKeeper 3\.5\.3 or later; the aliyun profile's image runs ZooKeeper 3\.4\.8/);
  const ok = await runZkplan(['plan', 'inv.yml'], { 'inv.yml': `${HOSTS_YAML}  - name: zk\n    servers: 3\n    image: zookeeper:3.5.3\n    reconfig: true\n` });
  assert.equal(ok.code, 0, ok.err);
});

test('a reconfig ensemble: reconfigEnabled and standaloneEnabled=false in every server; the super digest as a zoo.cfg entry; the peers left out of the hash', () => {
  const plan = planOf({ hosts: hosts(5), ensembles: [{ name: 'zk', servers: 5, image: 'zookeeper:3.9.4', reconfig: true }] });
  const [d] = desiredServers(plan, { kind: 'host', superDigest: 'super:abc=' });
  const env = new Map(d!.spec.env);
  assert.equal(env.get('ZOO_STANDALONE_ENABLED'), 'false');
  assert.equal(env.get('ZOO_CFG_EXTRA'), 'reconfigEnabled=true DigestAuthenticationProvider.superDigest=super:abc=');
  assert.equal(d!.spec.labels['io.zkplan.config-hash'], d!.configHash);
  // server.1 as it ran in the membership {1,2,3}: other peers, same hash
  const three = planForMembership(plan, [1, 2, 3].map((id) => ({ id, role: 'participant' as const })), []);
  const [d3] = desiredServers(three, { kind: 'host', superDigest: 'super:abc=' });
  assert.notEqual(new Map(d3!.spec.env).get('ZOO_SERVERS'), env.get('ZOO_SERVERS'));
  assert.equal(d3!.configHash, d!.configHash);
  // without reconfig the peers are part of the hash
  const staticPlan = planOf({ hosts: hosts(5), ensembles: [{ name: 'zk', servers: 5, image: 'zookeeper:3.9.4' }] });
  const staticThree = planForMembership(staticPlan, [1, 2, 3].map((id) => ({ id, role: 'participant' as const })), []);
  assert.notEqual(desiredServers(staticThree, { kind: 'host' })[0]!.configHash, desiredServers(staticPlan, { kind: 'host' })[0]!.configHash);
  // its own line still counts: another digest (or port) rolls it
  assert.notEqual(desiredServers(plan, { kind: 'host', superDigest: 'super:other=' })[0]!.configHash, d!.configHash);
});

test('bitnami: ZOO_RECONFIG_ENABLED=yes and standaloneEnabled through ZOO_CFG_', () => {
  const plan = planOf({ hosts: hosts(3), ensembles: [{ name: 'zk', servers: 3, image: 'bitnami/zookeeper:3.9', profile: 'bitnami', reconfig: true }] });
  const env = new Map(desiredServers(plan, { kind: 'host' })[0]!.spec.env);
  assert.equal(env.get('ZOO_RECONFIG_ENABLED'), 'yes');
  assert.equal(env.get('ZOO_CFG_standaloneEnabled'), 'false');
});
