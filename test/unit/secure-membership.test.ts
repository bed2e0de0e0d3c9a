// A membership change of a secured ensemble on the host target: every step's servers mount the
// same key material as the planned ones (a joiner included, its certificate naming its address;
// a server that leaves later keeps the files it runs with), and a membership change is refused
// in an apply that also changes the security.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { hostMembershipSupport } from '../../src/drivers/host/membership.js';
import { KEPT_MATERIAL } from '../../src/drivers/host/spec-secrets.js';
import type { HostSession, Sessions } from '../../src/drivers/sessions.js';
import { apply, type ApplyOptions } from '../../src/engine/engine.js';
import { loadInventory } from '../../src/inventory/load.js';
import { SECRET_FILES } from '../../src/plan/security.js';
import { planInventory } from '../../src/plan/plan.js';
import { ensureMaterial } from '../../src/security/material.js';
import type { ConfServer } from '../../src/verify/four-letter-parse.js';
import { fakeSupport, MembershipFake, plannedServers } from './helpers/fake-membership.js';
import { recordingProgress, TINY_TIMING } from './helpers/fake-target.js';

const dir = mkdtempSync(path.join(tmpdir(), 'zkplan-secure-member-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const HOSTS = [1, 2, 3, 4].map((i) => ({ name: `h${i}`, address: `10.9.0.${i}` }));

function securedPlan(servers: number) {
  const file = path.join(dir, 'inv.yml');
  writeFileSync(
    file,
    `hosts:\n${HOSTS.map((h) => `  - { name: ${h.name}, address: ${h.address} }\n`).join('')}ensembles:\n  - name: zk\n    servers: ${servers}\n    image: zookeeper:3.8.0\n    security: { quorum_tls: true, client_tls: both, quorum_sasl: true }\n`,
  );
  const inv = loadInventory(readFileSync(file, 'utf8'), file);
  return { file, spec: inv.ensembles[0]!, e: planInventory(inv).ensembles[0]! };
}

const sessions: Sessions = new Map(HOSTS.map((h) => [h.name, { host: { ...h, stateDir: '/etc/zkplan' } } as unknown as HostSession]));
const reported: ConfServer[] = HOSTS.map((h, i) => ({ id: i + 1, address: h.address, quorumPort: 2888, electionPort: 3888, role: 'participant', clientPort: 2181 }));
const members = (ids: number[]) => ids.map((id) => ({ id, role: 'participant' as const }));

describe('membership steps of a secured ensemble (host target)', () => {
  it('grow: every server of the step, the joiner included, mounts its own secrets read-only and carries its fingerprint and security step', async () => {
    const { file, spec, e } = securedPlan(4);
    const material = await ensureMaterial(spec, e, e.security!, file);
    const step = hostMembershipSupport(e, sessions, undefined, material).desiredFor(members([1, 2, 3, 4]), reported.slice(0, 3), []);
    assert.deepEqual(
      step.map((d) => d.serverId),
      [1, 2, 3, 4],
    );
    for (const d of step) {
      assert.deepEqual(d.spec.mounts.at(-1), { kind: 'bind', source: `/etc/zkplan/zk/secrets/${d.name}`, target: '/zkplan-secrets', readOnly: true });
      assert.equal(d.spec.labels['io.zkplan.security'], material.servers.get(d.name)!.fingerprint);
      assert.match(d.spec.labels['io.zkplan.security-phase']!, /^secured:/);
    }
    // the joiner's certificate names the address its peers reach it by
    const keyStore = material.servers.get('zk4')!.files.find((f) => f.name === SECRET_FILES.keyStore)!.content.toString();
    const cert = new X509Certificate(keyStore.slice(keyStore.indexOf('-----BEGIN CERTIFICATE-----')));
    assert.equal(cert.subjectAltName, 'IP Address:10.9.0.4');
    // the planned servers in the last step are specified as the HostDriver specifies them
    const { HostDriver } = await import('../../src/drivers/host/driver.js');
    const planned = new HostDriver(e, sessions, 1, [e], material).desired();
    assert.deepEqual(
      step.map((d) => d.configHash),
      planned.map((d) => d.configHash),
    );
  });

  it('shrink: a server that leaves in a later step keeps the secrets directory it runs with; no material is made for it', async () => {
    const { file, spec, e } = securedPlan(3);
    const material = await ensureMaterial(spec, e, e.security!, file);
    assert.equal(material.servers.has('zk4'), false);
    const former = [{ serverId: 4, host: 'h4', name: 'zk4', running: true }];
    const step = hostMembershipSupport(e, sessions, undefined, material).desiredFor(members([1, 2, 3, 4]), reported, former);
    const leaving = step.find((d) => d.serverId === 4)!;
    assert.deepEqual(leaving.spec.mounts.at(-1), { kind: 'bind', source: '/etc/zkplan/zk/secrets/zk4', target: '/zkplan-secrets', readOnly: true });
    assert.equal(leaving.spec.labels['io.zkplan.security'], KEPT_MATERIAL);
    assert.equal(step.find((d) => d.serverId === 1)!.spec.labels['io.zkplan.security'], material.servers.get('zk1')!.fingerprint);
  });

  it('a join by reconfig is refused for a TLS-only client port (no plain client port for the joiner\'s line); a leave is not; static joins are not', () => {
    const tlsOnly = securedPlan(4).e;
    const e = { ...tlsOnly, security: { ...tlsOnly.security!, clientTls: 'only' as const } };
    const superUser = { password: 'p', digest: 'super:d' };
    const join = [{ kind: 'join' as const, serverId: 4, role: 'participant' as const, members: members([1, 2, 3, 4]), restarts: [], voters: 4, servingDuring: 4, majority: 3 }];
    const leave = [{ ...join[0]!, kind: 'leave' as const, members: members([1, 2, 3]) }];
    assert.match(hostMembershipSupport(e, sessions, superUser).refusal!(join) ?? '', /reconfig -add only with a plain client port/);
    assert.equal(hostMembershipSupport(e, sessions, superUser).refusal!(leave), undefined);
    assert.equal(hostMembershipSupport(e, sessions).refusal!(join), undefined);
    assert.equal(hostMembershipSupport(securedPlan(4).e, sessions, superUser).refusal!(join), undefined, 'client_tls: both');
  });

  it('without the material a secured step is refused, never made without its secrets', () => {
    const { e } = securedPlan(4);
    assert.throws(() => hostMembershipSupport(e, sessions).desiredFor(members([1, 2, 3, 4]), reported.slice(0, 3), []), /security block/);
  });
});

describe('engine: membership and security changes in one apply', () => {
  const OPTS: ApplyOptions = { dryRun: false, timeoutMs: 3000, concurrency: 4, forceUnlock: false, command: 'zkplan apply test.yaml' };
  const refusal = 'change membership or security, not both in one apply';

  it('a membership change is refused up front, nothing changed, when the support says so', async () => {
    const target = new MembershipFake();
    target.runWith([1, 2, 3]);
    const ctx = { ensemble: 'zk', desired: plannedServers([1, 2, 3, 4]), driver: target, progress: recordingProgress(), timing: TINY_TIMING, znodeCheck: target.znodeCheck, membership: { ...fakeSupport([1, 2, 3, 4], new Date(0)), refusal: () => refusal } };
    await assert.rejects(apply(ctx, OPTS), /refusing to apply zk: change membership or security, not both in one apply; nothing was changed/);
    assert.deepEqual(target.ops, []);
  });

  it('the same refusal lets an apply without a membership change through', async () => {
    const target = new MembershipFake();
    target.runWith([1, 2, 3]);
    const ctx = { ensemble: 'zk', desired: plannedServers([1, 2, 3]), driver: target, progress: recordingProgress(), timing: TINY_TIMING, znodeCheck: target.znodeCheck, membership: { ...fakeSupport([1, 2, 3], new Date(0)), refusal: () => refusal } };
    const report = await apply(ctx, OPTS);
    assert.equal(report.ok, true);
    assert.equal(report.membership, undefined);
  });
});
