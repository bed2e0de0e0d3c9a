import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imageProfile } from '../../src/render/profiles/index.js';
import { addressingFor } from '../../src/render/server-line.js';
import { caseInventory, clonePlan, planOf, planOfFile } from './golden/support.js';

const resolved = (e: Parameters<typeof addressingFor>[0]) => addressingFor(e, 'resolved', {});

test('aliyun: SERVER_ID then the server lines in id order (article method 1)', () => {
  const e = planOfFile('inventories/article-host.yml');
  const env = imageProfile('aliyun').environment(e.servers[1]!, e, addressingFor(e, 'variable', {}));
  assert.deepEqual(env, [
    ['SERVER_ID', '2'],
    ['ADDITIONAL_ZOOKEEPER_1', 'server.1=${ZOOKEEPER_1}:2888:3888'],
    ['ADDITIONAL_ZOOKEEPER_2', 'server.2=${ZOOKEEPER_2}:2888:3888'],
    ['ADDITIONAL_ZOOKEEPER_3', 'server.3=${ZOOKEEPER_3}:2888:3888'],
  ]);
  assert.equal(imageProfile('aliyun').dataMountTarget, '/tmp/zookeeper');
});

test('aliyun: extra zoo.cfg lines for a non-default client port and an observer', () => {
  const e = planOf(caseInventory({ profile: 'aliyun', network: 'host', observers: 1, ports: { client: 2191 } }));
  const env = imageProfile('aliyun').environment(e.servers[3]!, e, resolved(e));
  assert.deepEqual(env.slice(-5), [
    ['ADDITIONAL_ZOOKEEPER_4', 'server.4=192.0.2.14:2888:3888:observer'],
    ['ADDITIONAL_ZOOKEEPER_5', 'clientPort=2191'],
    ['ADDITIONAL_ZOOKEEPER_6', 'peerType=observer'],
    // autopurge is on by default
    ['ADDITIONAL_ZOOKEEPER_7', 'autopurge.snapRetainCount=3'],
    ['ADDITIONAL_ZOOKEEPER_8', 'autopurge.purgeInterval=24'],
  ]);
});

test('aliyun: more than 10 zoo.cfg lines is refused, not silently truncated', () => {
  const e = clonePlan(planOf(caseInventory({ profile: 'aliyun', network: 'host', servers: 9, hostCount: 9, settings: { autopurge: false } })));
  const s = e.servers[0]!;
  s.config.quorumListenOnAllIPs = true;
  s.config.fourLetterWords = ['srvr'];
  assert.throws(() => imageProfile('aliyun').environment(s, e, resolved(e)), /11 zoo\.cfg lines.*ADDITIONAL_ZOOKEEPER_1\.\.10/);
});

test('official 3.9: ZOO_SERVERS space-separated with ;client, whitelist, admin server, ZOO_CFG_EXTRA', () => {
  const e = planOf(caseInventory({ profile: 'official', network: 'overlay', observers: 1, ports: { admin: 8081 } }));
  const env = Object.fromEntries(imageProfile('official').environment(e.servers[3]!, e, resolved(e)));
  assert.deepEqual(env, {
    ZOO_MY_ID: '4',
    ZOO_SERVERS: 'server.1=zk1:2888:3888;2181 server.2=zk2:2888:3888;2181 server.3=zk3:2888:3888;2181 server.4=zk4:2888:3888:observer;2181',
    ZOO_4LW_COMMANDS_WHITELIST: 'conf,mntr,ruok,srvr',
    ZOO_ADMINSERVER_ENABLED: 'true',
    ZOO_AUTOPURGE_PURGEINTERVAL: '24',
    ZOO_AUTOPURGE_SNAPRETAINCOUNT: '3',
    ZOO_CFG_EXTRA: 'admin.serverPort=8081 peerType=observer quorumListenOnAllIPs=true',
  });
});

test('official 3.4: no ;client suffix, ZOO_PORT for a non-default client port, no admin server', () => {
  const e = planOf(caseInventory({ profile: 'official', network: 'host', image: 'zookeeper:3.4.14', version: '3.4.14', ports: { client: 2191 } }));
  const env = imageProfile('official').environment(e.servers[0]!, e, resolved(e));
  assert.deepEqual(env, [
    ['ZOO_MY_ID', '1'],
    ['ZOO_SERVERS', 'server.1=192.0.2.11:2888:3888 server.2=192.0.2.12:2888:3888 server.3=192.0.2.13:2888:3888'],
    ['ZOO_AUTOPURGE_PURGEINTERVAL', '24'],
    ['ZOO_AUTOPURGE_SNAPRETAINCOUNT', '3'],
    ['ZOO_PORT', '2191'],
  ]);
});

test('official: a disabled admin server is said explicitly', () => {
  const e = planOf(caseInventory({ profile: 'official', network: 'host', adminServer: false }));
  const env = Object.fromEntries(imageProfile('official').environment(e.servers[0]!, e, resolved(e)));
  assert.equal(env.ZOO_ADMINSERVER_ENABLED, 'false');
  assert.equal(env.ZOO_CFG_EXTRA, undefined);
});

test('bitnami 3.8: explicit ::id entries, both login gates, observer and admin variables', () => {
  const e = planOf(caseInventory({ profile: 'bitnami', network: 'overlay', observers: 1 }));
  const env = imageProfile('bitnami').environment(e.servers[3]!, e, resolved(e));
  assert.deepEqual(env, [
    ['ZOO_SERVER_ID', '4'],
    ['ZOO_SERVERS', 'zk1:2888:3888::1,zk2:2888:3888::2,zk3:2888:3888::3,zk4:2888:3888:observer::4'],
    ['ZOO_PORT_NUMBER', '2181'],
    ['ALLOW_ANONYMOUS_LOGIN', 'yes'],
    ['ALLOW_EMPTY_PASSWORD', 'yes'],
    ['ZOO_4LW_COMMANDS_WHITELIST', 'conf,mntr,ruok,srvr'],
    ['ZOO_LISTEN_ALLIPS_ENABLED', 'yes'],
    ['ZOO_PEER_TYPE', 'observer'],
    ['ZOO_ENABLE_ADMIN_SERVER', 'yes'],
    ['ZOO_ADMIN_SERVER_PORT_NUMBER', '8080'],
    ['ZOO_AUTOPURGE_INTERVAL', '24'],
    ['ZOO_AUTOPURGE_RETAIN_COUNT', '3'],
  ]);
  assert.equal(imageProfile('bitnami').dataMountTarget, '/bitnami/zookeeper');
});
