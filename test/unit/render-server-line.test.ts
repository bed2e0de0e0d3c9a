import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { formatAddress, serverLine } from '../../src/render/server-line.js';
import { yamlScalar } from '../../src/render/yaml-scalar.js';
import type { Addressing } from '../../src/render/types.js';
import type { ServerEntry } from '../../src/plan/types.js';

const hostEntry: ServerEntry = {
  id: 1,
  address: { kind: 'host', variable: 'ZOOKEEPER_1', value: '192.0.2.11' },
  quorumPort: 2888,
  electionPort: 3888,
  role: 'participant',
};
const variable: Addressing = { hostAddress: 'variable', overrides: {} };
const required: Addressing = { hostAddress: 'required-variable', overrides: {}, hostNames: { ZOOKEEPER_1: 'zookeeper1' } };
const resolved: Addressing = { hostAddress: 'resolved', overrides: {} };

test('server line: 3.4 grammar with a host variable, as in the Aliyun template', () => {
  assert.equal(serverLine(hostEntry, variable), 'server.1=${ZOOKEEPER_1}:2888:3888');
});

test('server line: required variable names the host in its error text', () => {
  assert.equal(
    serverLine(hostEntry, required),
    'server.1=${ZOOKEEPER_1:?set ZOOKEEPER_1 to the address of host zookeeper1}:2888:3888',
  );
});

test('server line: resolved address, and a --set override wins', () => {
  assert.equal(serverLine(hostEntry, resolved), 'server.1=192.0.2.11:2888:3888');
  assert.equal(serverLine(hostEntry, { hostAddress: 'resolved', overrides: { ZOOKEEPER_1: 'zk1.example' } }), 'server.1=zk1.example:2888:3888');
});

test('server line: observer role and the 3.5+ client port suffix', () => {
  const e: ServerEntry = { ...hostEntry, id: 4, role: 'observer', clientPort: 2181, address: { kind: 'name', value: 'zk4' } };
  assert.equal(serverLine(e, variable), 'server.4=zk4:2888:3888:observer;2181');
});

test('address kinds: name, ip and any ignore the host addressing', () => {
  for (const a of [variable, required, resolved]) {
    assert.equal(formatAddress({ kind: 'name', value: 'zknode2' }, a), 'zknode2');
    assert.equal(formatAddress({ kind: 'ip', value: '172.19.200.2' }, a), '172.19.200.2');
    assert.equal(formatAddress({ kind: 'any' }, a), '0.0.0.0');
  }
});

test('yaml scalar: plain when it reads back as the same string under YAML 1.1 and 1.2', () => {
  assert.equal(yamlScalar('server.1=${ZOOKEEPER_1}:2888:3888'), 'server.1=${ZOOKEEPER_1}:2888:3888');
  assert.equal(yamlScalar('registry.aliyuncs.com/acs-sample/zookeeper:3.4.8'), 'registry.aliyuncs.com/acs-sample/zookeeper:3.4.8');
  assert.equal(yamlScalar(2181), '2181');
  // YAML 1.1 (PyYAML, docker-compose 1.x) reads these as booleans, numbers or sexagesimals.
  for (const s of ['yes', 'no', 'on', 'off', 'true', 'null', '1', '0x1f', '1_000', '1:20', '.inf', '~', '']) {
    assert.equal(yamlScalar(s), JSON.stringify(s), s);
  }
});

test('yaml scalar: hostile strings are quoted and read back byte for byte', () => {
  const hostile = [
    `a: b`, `x #y`, `- z`, `'q'`, `"dq"`, `back\\slash`, `line\nbreak`, `tab\there`, `nul\u0000`, `nel\u0085`,
    `ls\u2028ps\u2029`, `bom\ufeff`, `emoji 😀`, `lone \ud800`, `$(rm -rf /); echo '`, `{a: 1}`, `[1]`, `*alias`, `&anchor`,
    `!tag`, `%dir`, `@at`, '`tick`', `|`, `>`, `?`, `ends:`,
  ];
  for (const s of hostile) {
    const doc = `k: ${yamlScalar(s)}\n`;
    assert.deepEqual(parse(doc, { version: '1.1' }), { k: s }, JSON.stringify(s));
    assert.deepEqual(parse(doc), { k: s }, JSON.stringify(s));
  }
});
