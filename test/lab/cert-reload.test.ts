// Certificate renewal without a restart, by `zkplan apply` (the built CLI) on 3 lab hosts: an
// ensemble with quorum TLS and quorum SASL (no client TLS, the client port stays plain) gets new
// server certificates (same CA and keys) by one apply while a client writes all the time. Every
// server takes its certificate from the files apply pushed (sslQuorumReloadCertFiles): the same
// container keeps running (id and start time unchanged), and its election port, asked from
// outside, presents the new certificate; no acknowledged write is lost; the next apply changes
// nothing. Needs root; run with ZKPLAN_LAB_ID set (see test/lab/README.md).
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { presentedCertificate } from '../../src/verify/tls-dial.js';
import { ensureBuilt, type ExecResult, type Lab, labUp, netnsDial, srvrMode, writingApply, zkplanCli } from './lab.js';

const ENSEMBLE = 'zkcr';
const SECURITY = { quorum_tls: true, quorum_sasl: true };

function explain(r: ExecResult): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

describe('renewed certificates reloaded without a restart (quorum TLS, zkplan apply, writes going on)', { timeout: 900_000 }, () => {
  let lab: Lab;
  let dir: string;
  let inventory: string;
  let tlsDir: string;
  const container = (id: number) => `${ENSEMBLE}${id}`;
  const cleanUp = () => lab.removeEnsemble(ENSEMBLE);
  const started = (id: number) => lab.docker(id, ['inspect', '--format', '{{.Id}} {{.State.StartedAt}}', container(id)]).then((r) => r.stdout.trim());
  /**
   * What server `id`'s port presents to a client holding that server's own key and certificate,
   * dialled from inside its host (the quorum checks a client certificate against the address it
   * connects from, as zkplan's check through the host's SSH connection does).
   */
  const presented = async (id: number, port: number) => {
    const own = Buffer.concat([readFileSync(path.join(tlsDir, `${ENSEMBLE}${id}.key`)), readFileSync(path.join(tlsDir, `${ENSEMBLE}${id}.pem`))]);
    return presentedCertificate(netnsDial(lab.host(id)), lab.host(id).address, port, { key: own, cert: own, ca: readFileSync(path.join(tlsDir, 'ca.pem')) });
  };
  const fileCertificate = (id: number) => new X509Certificate(readFileSync(path.join(tlsDir, `${ENSEMBLE}${id}.pem`))).raw;

  before(async () => {
    lab = await labUp(3);
    await ensureBuilt();
    await cleanUp();
    dir = await mkdtemp(path.join(os.tmpdir(), 'zkplan-cert-reload-'));
    inventory = path.join(dir, 'inventory.yml');
    tlsDir = path.join(dir, '.zkplan', ENSEMBLE, 'tls');
    await lab.writeInventory(inventory, { profile: 'official', ensembleName: ENSEMBLE, extra: { heap: '200m', security: SECURITY } });
    const r = await zkplanCli(['apply', inventory], { timeoutMs: 400_000 });
    assert.equal(r.code, 0, explain(r));
  });

  after(async () => {
    if (!lab) return;
    await cleanUp();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('new server certificates: each server reloads its own in place, one at a time; no restart, no write lost', async () => {
    const before = await Promise.all([1, 2, 3].map(started));
    const old = [1, 2, 3].map(fileCertificate);
    for (const id of [1, 2, 3]) assert.ok((await presented(id, 3888)).equals(old[id - 1]!), `zkcr${id} presents its certificate before`);
    for (const id of [1, 2, 3]) await rm(path.join(tlsDir, `${ENSEMBLE}${id}.pem`));

    const servers = lab.addresses.map((a) => `${a}:2181`);
    const { result: r, line } = await writingApply(['apply', inventory, '--timeout', '300'], 'certificate renewal by reload', servers, '/cert-reload');
    const times = [...r.stderr.matchAll(/(zkcr\d) presents its new certificate after ([\d.]+) s, without a restart/g)].map((m) => `${m[1]} ${m[2]} s`);
    console.log(`# ${line}; reloads: ${times.join(', ')}`);
    assert.equal(times.length, 3, r.stderr);
    assert.match(r.stdout, /0 to create, 3 to change, 0 unchanged/);
    assert.match(r.stdout, /reload/);
    assert.match(r.stdout, /verified; apply took/);

    assert.deepEqual(await Promise.all([1, 2, 3].map(started)), before, 'the same containers, never restarted');
    let leader: number | undefined;
    for (const id of [1, 2, 3]) {
      const now = fileCertificate(id);
      assert.ok(!now.equals(old[id - 1]!), 'a new certificate was issued');
      assert.ok((await presented(id, 3888)).equals(now), `zkcr${id}'s election port presents its new certificate`);
      if ((await srvrMode(lab.host(id).address)) === 'leader') leader = id;
    }
    assert.ok(leader !== undefined, 'a leader answers srvr');
    assert.ok((await presented(leader, 2888)).equals(fileCertificate(leader)), 'the leader\'s quorum port presents its new certificate');

    const again = await zkplanCli(['apply', inventory], { timeoutMs: 300_000 });
    assert.equal(again.code, 0, explain(again));
    assert.match(again.stdout, /0 to create, 0 to change, 3 unchanged/);
  });
});
