// A secured ensemble under Swarm mode, by `zkplan apply --target swarm` (the built CLI) on a
// 3-node lab Swarm (h1 manager): quorum TLS, client TLS only and quorum SASL, the key material
// and SASL password carried as Docker secrets. Proven from outside: zkplan's verify passed;
// `openssl s_client` completes a TLS handshake with every election port and the leader's quorum
// port, checking the certificate against zkplan's CA and the node's address; the secrets are
// mounted 0400 for uid 1000 at the host target's paths; no secret value is found in `docker
// service inspect`, `docker inspect` of the task containers, `ps` on the nodes, zkplan's output
// or the rendered stack; destroy removes the secrets. Then a running plain ensemble is taken to
// quorum TLS + client TLS beside the plain port by one apply, a client writing all the time
// through the plain port (no acknowledged write lost; step times and the longest write outage
// printed, never asserted on: the machine is shared); renewed certificates become new secrets,
// rolled one service at a time, the old ones removed; and the way back to plain text, writes
// going on, leaves no secret. Last, a fresh secured ensemble of profile bitnami, whose image runs
// as uid 1001 (not root, not 1000): its tasks get the secrets 0400 for uid 1001, read them, and
// are verified over the TLS port.
// Needs root; run with ZKPLAN_LAB_ID set (see test/lab/README.md).
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ClientMaterial } from '../../src/security/material.js';
import { directDial } from '../../src/verify/dial.js';
import { tlsDial } from '../../src/verify/tls-dial.js';
import { ensureBuilt, type ExecResult, type Lab, labUp, run, startZnodeWriter, swarmUp, zkplanCli, znodeChildren, opensslHandshake, wordOver } from './lab.js';

const ENSEMBLE = 'zks';
const SECURED = { quorum_tls: true, client_tls: 'only', quorum_sasl: true };
const ROLLED = { quorum_tls: true, client_tls: 'both', quorum_sasl: true };
const PIN = 'aliyun.node_index';

function explain(r: ExecResult): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

function stepTimes(stderr: string): string[] {
  return [...stderr.matchAll(/step (\d+\/\d+) (\w+) (verified|NOT verified) after ([\d.]+) s/g)].map((m) => `${m[2]} ${m[4]} s${m[3] === 'verified' ? '' : ' (NOT verified)'}`);
}

describe('a secured ensemble on a 3-node lab Swarm (zkplan apply --target swarm, Docker secrets)', { timeout: 2_400_000 }, () => {
  let lab: Lab;
  let dir: string;
  let inventory: string;
  let applied: ExecResult;
  let tlsDir: string;
  let client: ClientMaterial;
  const write = (security?: object, profile: 'official' | 'bitnami' = 'official') =>
    lab.writeInventory(inventory, { profile, swarm: true, ensembleName: ENSEMBLE, extra: { heap: '200m', ...(security ? { security } : {}) } });
  const secretNames = async () => (await lab.docker(1, ['secret', 'ls', '--filter', `label=io.zkplan.ensemble=${ENSEMBLE}`, '--format', '{{.Name}}'])).stdout.split('\n').filter(Boolean).sort();
  const taskContainers = async (i: number) => (await lab.docker(i, ['ps', '-q', '--filter', `label=com.docker.stack.namespace=${ENSEMBLE}`])).stdout.split('\n').filter(Boolean);
  const phaseLabels = async () =>
    Promise.all([1, 2, 3].map(async (i) => (await lab.docker(1, ['service', 'inspect', '--format', '{{index .Spec.Labels "io.zkplan.security-phase"}}', `${ENSEMBLE}_${ENSEMBLE}${i}`])).stdout.trim()));

  /**
   * One `apply --target swarm` in three security steps while a client writes through the plain
   * port: no acknowledged write lost; step times, writes and the longest write outage printed.
   */
  async function applyWhileWriting(what: string): Promise<ExecResult> {
    const servers = lab.hosts.map((h) => `${h.address}:2181`);
    const root = `/swarm-security-${Date.now()}`;
    const writer = await startZnodeWriter(servers, root);
    const started = Date.now();
    let r: ExecResult;
    let total: number;
    try {
      r = await zkplanCli(['apply', inventory, '--target', 'swarm', '--timeout', '900'], { timeoutMs: 1_200_000 });
      total = Date.now() - started;
      await new Promise((res) => setTimeout(res, 1000));
    } finally {
      await writer.stop();
    }
    assert.equal(r.code, 0, explain(r));
    const times = stepTimes(r.stderr);
    assert.equal(times.length, 3, r.stderr);
    const children = new Set(await znodeChildren(servers, root));
    const lost = writer.acknowledged.filter((p) => !children.has(p.slice(root.length + 1)));
    assert.deepEqual(lost, [], 'no acknowledged write lost');
    console.log(`# ${what}: steps ${times.join(', ')}; apply ${(total / 1000).toFixed(1)} s; writes acknowledged ${writer.acknowledged.length}, retried ${writer.retries}, checked ${children.size}; longest write outage ${writer.longestGapMs} ms`);
    return r;
  }

  async function cleanUp(): Promise<void> {
    await lab.docker(1, ['stack', 'rm', ENSEMBLE], { allowFail: true });
    for (let i = 1; i <= 3; i++) {
      for (let k = 0; k < 120 && (await taskContainers(i).catch(() => [])).length > 0; k++) await new Promise((r) => setTimeout(r, 500));
    }
    const left = await secretNames().catch(() => []);
    if (left.length) await lab.docker(1, ['secret', 'rm', ...left], { allowFail: true });
    for (let i = 1; i <= 3; i++) {
      const labels = JSON.parse((await lab.docker(1, ['node', 'inspect', '--format', '{{json .Spec.Labels}}', `h${i}`], { allowFail: true })).stdout || 'null') as Record<string, string> | null;
      const rm = Object.keys(labels ?? {}).filter((k) => k === PIN || k.startsWith('io.zkplan.'));
      if (rm.length) await lab.docker(1, ['node', 'update', ...rm.flatMap((k) => ['--label-rm', k]), `h${i}`], { allowFail: true });
      const v = (await lab.docker(i, ['volume', 'ls', '-q', '--filter', `name=${ENSEMBLE}_`], { allowFail: true })).stdout.split('\n').filter(Boolean);
      if (v.length) await lab.docker(i, ['volume', 'rm', '-f', ...v], { allowFail: true });
    }
  }

  before(async () => {
    lab = await labUp(3);
    await swarmUp(lab);
    await ensureBuilt();
    await cleanUp();
    dir = await mkdtemp(path.join(os.tmpdir(), 'zkplan-swarm-security-'));
    inventory = path.join(dir, 'inventory.yml');
    await write(SECURED);
    const started = Date.now();
    applied = await zkplanCli(['apply', inventory, '--target', 'swarm', '--timeout', '400'], { timeoutMs: 500_000 });
    console.log(`# fresh secured ensemble: apply --target swarm ${((Date.now() - started) / 1000).toFixed(1)} s`);
    tlsDir = path.join(dir, '.zkplan', ENSEMBLE, 'tls');
    client = { key: readFileSync(path.join(tlsDir, 'zkplan-client.key')), cert: readFileSync(path.join(tlsDir, 'zkplan-client.pem')), ca: readFileSync(path.join(tlsDir, 'ca.pem')) };
  });

  after(async () => {
    if (!lab) return;
    await cleanUp();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('apply makes the key material and the Docker secrets, and proves the ensemble (verify over TLS)', async () => {
    assert.equal(applied.code, 0, explain(applied));
    assert.match(applied.stderr, /key material in .*: made .*CA in/);
    assert.match(applied.stdout, /verified in [\d.]+ s/);
    assert.equal(statSync(tlsDir).mode & 0o777, 0o700);
    const names = await secretNames();
    // each server's key, the CA and the JAAS file, each named with a digest of its content
    assert.equal(names.length, 5, names.join(' '));
    for (const n of [`${ENSEMBLE}_ca.pem_`, `${ENSEMBLE}_jaas.conf_`, `${ENSEMBLE}_${ENSEMBLE}1_server.pem_`, `${ENSEMBLE}_${ENSEMBLE}2_server.pem_`, `${ENSEMBLE}_${ENSEMBLE}3_server.pem_`]) {
      assert.ok(names.some((x) => new RegExp(`^${n.replace(/\./g, '\\.')}[0-9a-f]{12}$`).test(x)), `${n}… in ${names.join(' ')}`);
    }
    const again = await zkplanCli(['apply', inventory, '--target', 'swarm'], { timeoutMs: 300_000 });
    assert.equal(again.code, 0, explain(again));
    assert.match(again.stdout, /0 to create, 0 to change, 3 unchanged/);
    assert.deepEqual(await secretNames(), names, 'a second apply makes no secret');
  });

  it('each task mounts its secrets read-only at the host target\'s paths, 0400 for uid 1000; the servers run TLS-only quorum sockets with SASL', async () => {
    for (let i = 1; i <= 3; i++) {
      const [c] = await taskContainers(i);
      assert.ok(c, `a task container on h${i}`);
      const ls = await lab.docker(i, ['exec', c!, 'ls', '-ln', '/zkplan-secrets/']);
      for (const f of ['server.pem', 'ca.pem', 'jaas.conf']) assert.match(ls.stdout, new RegExp(`^-r-------- +\\d+ +1000 +1000 .* ${f.replace('.', '\\.')}$`, 'm'), ls.stdout);
      const logs = await lab.docker(i, ['logs', c!]);
      const text = logs.stdout + logs.stderr;
      assert.match(text, /Creating TLS-only quorum server socket/);
      assert.match(text, /quorum\.auth\.serverRequireSasl set to true/);
    }
  });

  it('openssl s_client completes a TLS handshake with every election port and the leader\'s quorum port, verified with zkplan\'s CA', async () => {
    let leader: string | undefined;
    for (const h of lab.hosts) {
      const mode = /Mode: (\w+)/.exec(await wordOver(tlsDial(directDial, client), h.address, 2181, 'srvr'))?.[1];
      if (mode === 'leader') leader = h.address;
    }
    assert.ok(leader, 'a leader answers srvr over TLS');
    const endpoints = [...lab.hosts.map((h) => [h.address, 3888] as const), [leader, 2888] as const];
    for (const [address, port] of endpoints) {
      const out = await opensslHandshake(tlsDir, address, port);
      assert.match(out, /Verify return code: 0 \(ok\)/, `${address}:${port}\n${out}`);
      assert.match(out, new RegExp(`subject=CN = ${ENSEMBLE}\\d`), `${address}:${port}`);
    }
  });

  it('no secret value in docker service inspect, docker inspect of the tasks, ps on the nodes, zkplan\'s output or the rendered stack', async () => {
    const keys = (await readdir(tlsDir)).filter((f) => f.endsWith('.key') && f !== 'fingerprint.key');
    const keyLines = await Promise.all(keys.map(async (f) => (await readFile(path.join(tlsDir, f), 'utf8')).split('\n')[1]!));
    const secrets = [(await readFile(path.join(tlsDir, 'quorum-sasl.password'), 'utf8')).trim(), (await readFile(path.join(tlsDir, 'fingerprint.key'), 'utf8')).trim(), ...keyLines];
    assert.ok(keys.length >= 5 && secrets.every((s) => s.length >= 20));
    const places: [string, string][] = [['zkplan apply output', applied.stdout + applied.stderr]];
    places.push(['docker service inspect', (await lab.docker(1, ['service', 'inspect', ...[1, 2, 3].map((i) => `${ENSEMBLE}_${ENSEMBLE}${i}`)])).stdout]);
    places.push(['docker secret inspect', (await lab.docker(1, ['secret', 'inspect', ...(await secretNames())])).stdout]);
    for (let i = 1; i <= 3; i++) {
      places.push([`docker inspect of the task on h${i}`, (await lab.docker(i, ['inspect', ...(await taskContainers(i))])).stdout]);
      places.push([`ps on h${i}`, (await lab.ssh(i, 'ps -ef ww 2>/dev/null || ps -ef')).stdout]);
    }
    const out = path.join(dir, 'render/');
    const render = await zkplanCli(['render', inventory, '--target', 'swarm', '--output', out]);
    assert.equal(render.code, 0, explain(render));
    const stack = await readFile(path.join(out, 'docker-stack.yml'), 'utf8');
    assert.match(stack, /^# Create each on a manager before deploying, reading the value from stdin/m);
    assert.match(stack, /external: true/);
    places.push(['rendered stack', stack], ['zkplan render output', render.stdout + render.stderr]);
    const status = await zkplanCli(['status', inventory, '--target', 'swarm']);
    assert.equal(status.code, 0, explain(status));
    places.push(['zkplan status output', status.stdout + status.stderr]);
    for (const [where, text] of places) for (const s of secrets) assert.ok(!text.includes(s), `a secret found in ${where}`);
  });

  it('destroy removes the stack and its secrets', async () => {
    const r = await zkplanCli(['destroy', inventory, '--target', 'swarm', '--purge-data', '--yes'], { timeoutMs: 300_000 });
    assert.equal(r.code, 0, explain(r));
    assert.deepEqual(await secretNames(), []);
    for (let i = 1; i <= 3; i++) assert.deepEqual(await taskContainers(i), []);
  });

  it('plain → quorum TLS + client TLS beside the plain port: one apply, three rolling steps, writes going on, none lost', async () => {
    await write();
    const plain = await zkplanCli(['apply', inventory, '--target', 'swarm', '--timeout', '300'], { timeoutMs: 400_000 });
    assert.equal(plain.code, 0, explain(plain));
    assert.deepEqual(await phaseLabels(), ['', '', '']);
    await write(ROLLED);
    const dry = await zkplanCli(['apply', inventory, '--target', 'swarm', '--dry-run'], { timeoutMs: 300_000 });
    assert.equal(dry.code, 0, explain(dry));
    assert.match(dry.stderr, /security changes in 3 rolling steps, each verified before the next: unify → tls → secured/);
    assert.deepEqual(await secretNames(), [], 'a dry run makes no secret');

    const r = await applyWhileWriting('swarm plain → secured');
    for (const step of ['1/3: unify', '2/3: tls', '3/3: secured']) assert.match(r.stderr, new RegExp(`step ${step}`));
    assert.deepEqual(await phaseLabels(), Array(3).fill('secured:quorum_tls,client_tls=both,quorum_sasl,secure_client=2281'));
    assert.equal((await secretNames()).length, 5);
    for (let i = 1; i <= 3; i++) {
      const [c] = await taskContainers(i);
      const logs = await lab.docker(i, ['logs', c!]);
      assert.match(logs.stdout + logs.stderr, /Creating TLS-only quorum server socket/);
    }
  });

  it('renewal: new server certificates get new secrets, rolled one service at a time; the old secrets are removed', async () => {
    const before = await secretNames();
    const pem = (i: number) => path.join(tlsDir, `${ENSEMBLE}${i}.pem`);
    for (let i = 1; i <= 3; i++) await rm(pem(i));
    const started = Date.now();
    const r = await zkplanCli(['apply', inventory, '--target', 'swarm', '--timeout', '600'], { timeoutMs: 700_000 });
    assert.equal(r.code, 0, explain(r));
    assert.match(r.stdout, /0 to create, 3 to change, 0 unchanged/);
    for (let i = 1; i <= 3; i++) assert.match(r.stderr, new RegExp(`ensemble whole again after replacing ${ENSEMBLE}_${ENSEMBLE}${i}`));
    const after = await secretNames();
    assert.equal(after.length, 5, after.join(' '));
    assert.deepEqual(after.filter((n) => !n.includes('server.pem')), before.filter((n) => !n.includes('server.pem')), 'CA and JAAS secrets kept');
    assert.ok(after.filter((n) => n.includes('server.pem')).every((n) => !before.includes(n)), 'every server key a new secret, the old ones gone');
    const served = await run(['openssl', 's_client', '-connect', `${lab.hosts[0]!.address}:3888`, '-CAfile', path.join(tlsDir, 'ca.pem')], { input: '', allowFail: true, timeoutMs: 20_000 });
    const presented = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(served.stdout)?.[0];
    assert.ok(presented, served.stdout + served.stderr);
    assert.equal(new X509Certificate(presented).serialNumber, new X509Certificate(readFileSync(pem(1))).serialNumber, 'the server presents the renewed certificate');
    console.log(`# swarm renewal: apply ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  it('secured → plain: one apply, the steps back, writes going on, none lost; every secret removed', async () => {
    await write();
    const r = await applyWhileWriting('swarm secured → plain');
    assert.match(r.stderr, /security changes in 3 rolling steps, each verified before the next: tls → unify → plain/);
    assert.deepEqual(await phaseLabels(), ['', '', '']);
    assert.deepEqual(await secretNames(), [], 'no secret left once no service uses one');
  });

  it('a secured bitnami ensemble (the image runs as uid 1001) reads its Docker secrets and is verified', async () => {
    const gone = await zkplanCli(['destroy', inventory, '--target', 'swarm', '--purge-data', '--yes'], { timeoutMs: 300_000 });
    assert.equal(gone.code, 0, explain(gone));
    // client_tls: only is refused for bitnami (it always opens a plain client port)
    await write(ROLLED, 'bitnami');
    const r = await zkplanCli(['apply', inventory, '--target', 'swarm', '--timeout', '400'], { timeoutMs: 500_000 });
    assert.equal(r.code, 0, explain(r));
    assert.match(r.stdout, /verified in [\d.]+ s/);
    let leader: string | undefined;
    for (let i = 1; i <= 3; i++) {
      const [c] = await taskContainers(i);
      assert.ok(c, `a task container on h${i}`);
      assert.equal((await lab.docker(i, ['exec', c!, 'id', '-u'])).stdout.trim(), '1001');
      const ls = await lab.docker(i, ['exec', c!, 'ls', '-ln', '/zkplan-secrets/']);
      for (const f of ['server.pem', 'ca.pem', 'jaas.conf']) assert.match(ls.stdout, new RegExp(`^-r-------- +\\d+ +1001 +1001 .* ${f.replace('.', '\\.')}$`, 'm'), ls.stdout);
      const logs = await lab.docker(i, ['logs', c!]);
      assert.match(logs.stdout + logs.stderr, /Creating TLS-only quorum server socket/);
      const srvr = await wordOver(tlsDial(directDial, client), lab.hosts[i - 1]!.address, 2281, 'srvr');
      assert.match(srvr, /Mode: (leader|follower)/, `TLS client port on h${i}`);
      if (/Mode: leader/.test(srvr)) leader = lab.hosts[i - 1]!.address;
    }
    assert.ok(leader, 'a leader answers srvr over TLS');
    assert.match(await opensslHandshake(tlsDir, leader, 2888), /Verify return code: 0 \(ok\)/);
  });
});
