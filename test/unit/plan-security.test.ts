// The inventory's security block: how it resolves into EnsemblePlan.security and the zoo.cfg
// the official profile writes, and every refusal with its position (what a version, profile or
// network cannot do).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadInventoryParts } from '../../src/inventory/load.js';
import { planWithProblems } from '../../src/plan/plan.js';
import { SECRETS_MOUNT, securityConfig } from '../../src/plan/security.js';
import { imageProfile } from '../../src/render/profiles/index.js';
import { addressingFor } from '../../src/render/server-line.js';

const HOSTS = `hosts:
  - { name: h1, address: 192.0.2.11 }
  - { name: h2, address: 192.0.2.12 }
  - { name: h3, address: 192.0.2.13 }
ensembles:
  - name: zk
    servers: 3
`;

function planText(ensembleLines: string) {
  const text = `${HOSTS}${ensembleLines}`;
  const loaded = loadInventoryParts(text, 'inv.yml');
  const schemaProblems = loaded.problems.map((p) => `${p.line}:${p.col}: ${p.message}`);
  if (!loaded.inventory) return { problems: schemaProblems, ensemble: undefined };
  const { plan, problems } = planWithProblems(loaded.inventory);
  return { problems: [...schemaProblems, ...problems.filter((p) => p.severity === 'error').map((p) => `${p.line}:${p.col}: ${p.message}`)], ensemble: plan.ensembles[0] };
}

function officialEnv(ensembleLines: string): Map<string, string> {
  const { problems, ensemble } = planText(ensembleLines);
  assert.deepEqual(problems, []);
  const s = ensemble!.servers[0]!;
  return new Map(imageProfile('official').environment(s, ensemble!, addressingFor(ensemble!, 'resolved', {})));
}

test('no security block: no security in the plan, the client port in every server line', () => {
  const env = officialEnv('    image: zookeeper:3.8.4\n');
  assert.match(env.get('ZOO_SERVERS')!, /server\.1=192\.0\.2\.11:2888:3888;2181/);
  assert.doesNotMatch(env.get('ZOO_CFG_EXTRA') ?? '', /ssl|quorum\.auth/);
});

test('quorum TLS + client TLS only + quorum SASL: PEM paths under the mount, no plain client port, JAAS flag', () => {
  const env = officialEnv('    image: zookeeper:3.8.4\n    heap: 256m\n    security: { quorum_tls: true, client_tls: only, quorum_sasl: true }\n');
  const extra = env.get('ZOO_CFG_EXTRA')!.split(' ');
  for (const line of [
    'sslQuorum=true',
    `ssl.quorum.keyStore.location=${SECRETS_MOUNT}/server.pem`,
    'ssl.quorum.keyStore.type=PEM',
    `ssl.quorum.trustStore.location=${SECRETS_MOUNT}/ca.pem`,
    'secureClientPort=2181',
    'serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory',
    'quorum.auth.enableSasl=true',
    'quorum.auth.learnerRequireSasl=true',
    'quorum.auth.serverRequireSasl=true',
  ]) {
    assert.ok(extra.includes(line), line);
  }
  // client_tls: only: the TLS port is the client port, and no server line opens a plain one
  assert.doesNotMatch(env.get('ZOO_SERVERS')!, /;/);
  assert.equal(env.get('JVMFLAGS'), `-Xmx256m -Xms256m -Djava.security.auth.login.config=${SECRETS_MOUNT}/jaas.conf`);
  // nothing but paths and switches: no password key at all
  assert.doesNotMatch(env.get('ZOO_CFG_EXTRA')!, /password/i);
});

test('bitnami: the same zoo.cfg entries as ZOO_CFG_<key> variables, the JAAS flag in JVMFLAGS, no password anywhere', () => {
  const { problems, ensemble } = planText('    image: bitnamilegacy/zookeeper:3.8.4\n    profile: bitnami\n    heap: 256m\n    security: { quorum_tls: true, client_tls: both, quorum_sasl: true, client_sasl: true }\n');
  assert.deepEqual(problems.filter((p) => !/bitnamilegacy in 2025/.test(p)), []);
  const s = ensemble!.servers[0]!;
  const env = new Map(imageProfile('bitnami').environment(s, ensemble!, addressingFor(ensemble!, 'resolved', {})));
  // every entry the official image gets in ZOO_CFG_EXTRA, with the image's '_' for '.'
  for (const [key, value] of securityConfig(ensemble!.security!, s.ports.secureClient)) assert.equal(env.get(`ZOO_CFG_${key.replace(/\./g, '_')}`), value, key);
  assert.equal(env.get('ZOO_CFG_secureClientPort'), '2281');
  assert.equal(env.get('ZOO_CFG_sslQuorum'), 'true');
  assert.equal(env.get('ZOO_CFG_quorum_auth_serverRequireSasl'), 'true');
  assert.equal(env.get('ZOO_CFG_authProvider_1'), 'org.apache.zookeeper.server.auth.SASLAuthenticationProvider');
  // libzookeeper.sh appends -Xmx/-Xms from ZOO_HEAP_SIZE itself when JVMFLAGS has none
  assert.equal(env.get('JVMFLAGS'), `-Djava.security.auth.login.config=${SECRETS_MOUNT}/jaas.conf`);
  assert.equal(env.get('ZOO_HEAP_SIZE'), '256');
  // the image's own switches would turn every quorum flag on at once: never used
  for (const name of ['ZOO_TLS_QUORUM_ENABLE', 'ZOO_TLS_CLIENT_ENABLE', 'ZOO_ENABLE_QUORUM_AUTH', 'ZOO_ENABLE_AUTH']) assert.equal(env.has(name), false, name);
  // (ALLOW_EMPTY_PASSWORD is the 3.9 line's start gate, set without any security too)
  for (const [name, value] of env) if (name !== 'ALLOW_EMPTY_PASSWORD') assert.doesNotMatch(`${name}=${value}`, /password/i);
  // zkplan's variables cannot be overridden by the inventory's env
  const overridden = planText('    image: bitnamilegacy/zookeeper:3.8.4\n    profile: bitnami\n    security: { quorum_sasl: true }\n    env: { JVMFLAGS: -Dx=1 }\n');
  assert.ok(overridden.problems.some((p) => /env JVMFLAGS is set by zkplan for the bitnami image/.test(p)), overridden.problems.join('\n'));
});

test('client_tls: both keeps the plain port and allocates a TLS port beside it (2281, or ports.secure_client)', () => {
  const { ensemble } = planText('    image: zookeeper:3.8.4\n    security: { client_tls: both }\n');
  assert.equal(ensemble!.servers[0]!.ports.secureClient, 2281);
  assert.equal(ensemble!.servers[0]!.config.servers[0]!.clientPort, 2181);
  const fixed = planText('    image: zookeeper:3.8.4\n    ports: { secure_client: 3281 }\n    security: { client_tls: both }\n');
  assert.deepEqual(fixed.problems, []);
  assert.equal(fixed.ensemble!.servers[0]!.ports.secureClient, 3281);
  assert.deepEqual(securityConfig(fixed.ensemble!.security!, 3281).find(([k]) => k === 'secureClientPort'), ['secureClientPort', '3281']);
});

test('refusals with file:line:col: versions, profiles, networks, half a CA, unknown values, secret values', () => {
  const cases: [string, RegExp][] = [
    ['    image: zookeeper:3.5.4\n    security: { quorum_tls: true }\n', /^9:29: quorum_tls needs ZooKeeper 3\.5\.5 or later/],
    ['    image: zookeeper:3.4.14\n    security: { client_tls: only }\n', /client_tls: only needs ZooKeeper 3\.5\.5/],
    ['    image: zookeeper:3.4.9\n    security: { quorum_sasl: true }\n', /quorum_sasl needs ZooKeeper 3\.4\.10/],
    ['    image: registry.aliyuncs.com/acs-sample/zookeeper:3.4.8\n    profile: aliyun\n    security: { client_sasl: true }\n', /profile aliyun \(ZooKeeper 3\.4\.8\) cannot be secured/],
    ['    image: bitnamilegacy/zookeeper:3.8.4\n    profile: bitnami\n    security: { client_tls: only }\n', /client_tls: only cannot be rendered for profile bitnami: its libzookeeper\.sh always opens a plain client port/],
    ['    image: zookeeper:3.8.4\n    network: overlay\n    security: { quorum_tls: true }\n', /needs network: host/],
    ['    image: zookeeper:3.8.4\n    network: bridge\n    security: { client_tls: both }\n', /client_tls: both is for host networking; on network bridge only the client port is published, so use client_tls: only/],
    ['    image: zookeeper:3.8.4\n    security: { quorum_tls: true, tls: { ca_cert: ca.pem } }\n', /needs both ca_cert and ca_key/],
    ['    image: zookeeper:3.8.4\n    security: { client_tls: yes }\n', /unknown client tls "yes"; expected one of off, both, only/],
    ['    image: zookeeper:3.8.4\n    security: { quorum_sasl: true, quorum_sasl_password: hunter2 }\n', /^9:58: invalid quorum sasl password \(its value is not shown: name a file or an environment variable instead\)/],
    ['    image: zookeeper:3.8.4\n    security: { quorum_sasl: true, quorum_sasl_password: { value: hunter2 } }\n', /invalid quorum sasl password \(its value is not shown/],
    ['    image: zookeeper:3.8.4\n    security: { quorum_tls: true }\n    zoo_cfg: { sslQuorum: false }\n', /zoo_cfg key "sslQuorum" is set by zkplan itself; use security/],
  ];
  for (const [lines, expected] of cases) {
    const { problems } = planText(lines);
    assert.ok(problems.some((p) => expected.test(p)), `${lines}\n${problems.join('\n')}`);
    assert.ok(problems.every((p) => /^\d+:\d+: /.test(p)));
    assert.ok(problems.every((p) => !p.includes('hunter2')), 'a secret written inline is never echoed');
  }
});

test('one host\'s networks (bridge, links, static-ip) carry quorum and client TLS: certificates name the containers', () => {
  for (const network of ['bridge', 'links', 'static-ip']) {
    const { problems, ensemble } = planText(`    image: zookeeper:3.8.4\n    network: ${network}\n    security: { quorum_tls: true, client_tls: only, quorum_sasl: true }\n`);
    assert.deepEqual(problems, [], network);
    assert.deepEqual(ensemble!.security, { quorumTls: true, clientTls: 'only', quorumSasl: true, clientSasl: false });
  }
});

test('secrets by reference: a file or an environment variable name is accepted', () => {
  const { problems, ensemble } = planText(
    '    image: zookeeper:3.8.4\n    security:\n      quorum_sasl: true\n      client_sasl: true\n      quorum_sasl_password: { file: secrets/quorum.txt }\n      client_sasl_password: { env: ZK_CLIENT_PASSWORD }\n',
  );
  assert.deepEqual(problems, []);
  assert.deepEqual(ensemble!.security, { quorumTls: false, clientTls: 'off', quorumSasl: true, clientSasl: true });
});

import { ensembleInStep, phaseLabel, phaseSteps, readPhaseLabel } from '../../src/plan/security-phases.js';

test('rolling steps: plain → unify → tls → secured and back, resumed from the servers\' labels', () => {
  const target = { quorumTls: true, clientTls: 'only' as const, quorumSasl: true, clientSasl: false };
  const label = (phase?: 'unify' | 'tls') => phaseLabel({ ...target, ...(phase ? { phase } : {}) });
  assert.equal(label('tls'), 'tls:quorum_tls,client_tls=only,quorum_sasl');
  assert.deepEqual(readPhaseLabel(label('tls')), { level: 2, security: { ...target, phase: 'tls' } });
  assert.deepEqual(readPhaseLabel(undefined), { level: 0 });
  const names = (steps: ReturnType<typeof phaseSteps>) => steps.map((s) => s.name);
  assert.deepEqual(names(phaseSteps(target, [])), ['secured'], 'a fresh ensemble starts secured');
  assert.deepEqual(names(phaseSteps(target, [undefined, undefined, undefined])), ['unify', 'tls', 'secured']);
  // interrupted during the tls step: one server still at unify
  assert.deepEqual(names(phaseSteps(target, [label('tls'), label('unify'), label('tls')])), ['tls', 'secured']);
  assert.deepEqual(names(phaseSteps(target, [label(), label(), label()])), ['secured']);
  const back = phaseSteps(undefined, [label(), label(), label()]);
  assert.deepEqual(names(back), ['tls', 'unify', 'plain']);
  assert.deepEqual(back[0]!.security, { ...target, phase: 'tls' });
  assert.equal(back[2]!.security, undefined);
  assert.deepEqual(names(phaseSteps(undefined, [undefined, undefined])), ['plain']);
});

test('the zoo.cfg of each step: port unification and SASL offered first, then TLS dialled and learners require SASL, then neither kept', () => {
  const target = { quorumTls: true, clientTls: 'only' as const, quorumSasl: true, clientSasl: false };
  const cfg = (phase?: 'unify' | 'tls') => Object.fromEntries(securityConfig({ ...target, ...(phase ? { phase } : {}) }, 2181));
  assert.equal(cfg('unify').sslQuorum, 'false');
  assert.equal(cfg('unify').portUnification, 'true');
  assert.equal(cfg('unify')['client.portUnification'], 'true');
  assert.equal(cfg('unify').secureClientPort, undefined);
  assert.equal(cfg('unify')['quorum.auth.learnerRequireSasl'], 'false');
  assert.equal(cfg('unify')['quorum.auth.serverRequireSasl'], 'false');
  assert.equal(cfg('tls').sslQuorum, 'true');
  assert.equal(cfg('tls').portUnification, 'true');
  assert.equal(cfg('tls')['quorum.auth.learnerRequireSasl'], 'true');
  assert.equal(cfg('tls')['quorum.auth.serverRequireSasl'], 'false');
  assert.equal(cfg().portUnification, undefined);
  assert.equal(cfg()['client.portUnification'], undefined);
  assert.equal(cfg().secureClientPort, '2181');
  assert.equal(cfg()['quorum.auth.serverRequireSasl'], 'true');
  // until the last step the plain client port stays in the server lines
  const { ensemble } = planText('    image: zookeeper:3.8.4\n    security: { quorum_tls: true, client_tls: only }\n');
  assert.equal(ensemble!.servers[0]!.config.servers[0]!.clientPort, undefined);
  const unify = ensembleInStep(ensemble!, { name: 'unify', security: { ...ensemble!.security!, phase: 'unify' } });
  assert.equal(unify.servers[0]!.config.servers[0]!.clientPort, 2181);
  assert.equal(ensembleInStep(ensemble!, { name: 'plain', security: undefined }).security, undefined);
});

test('the way back from client_tls: both keeps the TLS port the servers had (from their label)', () => {
  const both = { quorumTls: false, clientTls: 'both' as const, quorumSasl: false, clientSasl: false };
  const label = phaseLabel(both, 3281);
  assert.equal(label, 'secured:client_tls=both,secure_client=3281');
  const steps = phaseSteps(undefined, [label, label, label]);
  assert.deepEqual(steps.map((s) => [s.name, s.secureClientPort]), [['tls', 3281], ['unify', 3281], ['plain', 3281]]);
  const { ensemble } = planText('    image: zookeeper:3.8.4\n');
  const unify = ensembleInStep(ensemble!, steps[1]!);
  assert.equal(unify.servers[0]!.ports.secureClient, 3281);
  assert.ok(securityConfig(unify.security!, unify.servers[0]!.ports.secureClient).some(([k, v]) => k === 'secureClientPort' && v === '3281'));
});
