// The bitnami contract on 3 lab hosts, through the built CLI: the lab image follows bitnami's
// libzookeeper.sh (uid 1001, /bitnami/zookeeper/data, ZOO_SERVERS with `::id`, the login gate of
// its line), so what zkplan renders for profile bitnami is proven against it: the image refuses
// what the real one refuses, zkplan's apply hands the host data directories to uid 1001 and the
// ensemble is verified, and its data survive the containers being re-created. Then the running
// ensemble is secured by one apply (quorum TLS, client TLS beside the plain port, quorum SASL)
// with writes going on, through bitnami's ZOO_CFG_* variables and a JVMFLAGS JAAS flag: the
// uid-1001 server reads the secrets zkplan mounted, openssl completes TLS handshakes with its
// ports, no secret is in docker inspect; and one more apply takes it back to plain text.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureBuilt, IMAGES, type ExecResult, type Lab, labUp, opensslHandshake, startZnodeWriter, waitForQuorum, wordOver, writingApply, zkplanCli, znodeChildren } from './lab.js';
import { directDial } from '../../src/verify/dial.js';
import { tlsDial } from '../../src/verify/tls-dial.js';

const CLI_TIMEOUT = ['--timeout', '180'];
const ENSEMBLE = 'zkbn';
const LINE_38 = IMAGES.bitnami.replace(/:3\.9$/, ':3.8');
// client_tls: only is refused for bitnami (its scripts always open a plain client port)
const SECURITY = { quorum_tls: true, client_tls: 'both', quorum_sasl: true };

function explain(r: ExecResult): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

describe('bitnami contract on 3 lab hosts', { timeout: 900_000 }, () => {
  let lab: Lab;
  let dir: string;
  let inventory: string;
  let servers: string[];
  const written: string[] = [];
  const dataRoot = () => path.join(lab.info.stateDir, 'hostdata', ENSEMBLE);
  const stateDirs = () => lab.hosts.map((h) => path.join(lab.info.stateDir, h.name, 'zkplan'));

  const containerIds = (i: number) => lab.ensembleContainers(i, ENSEMBLE);
  const cleanUp = () => lab.removeEnsemble(ENSEMBLE);

  before(async () => {
    lab = await labUp(3);
    await ensureBuilt();
    await cleanUp();
    dir = await mkdtemp(path.join(os.tmpdir(), 'zkplan-bitnami-'));
    inventory = path.join(dir, 'inventory.yml');
    await lab.writeInventory(inventory, { profile: 'bitnami', ensembleName: ENSEMBLE });
    servers = lab.addresses.map((a) => `${a}:2181`);
  });

  after(async () => {
    if (!lab) return;
    await cleanUp();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the image runs as uid 1001 and refuses what bitnami refuses', async () => {
    assert.equal((await lab.docker(1, ['run', '--rm', '--entrypoint', 'id', IMAGES.bitnami, '-u'])).stdout.trim(), '1001');
    // Each line starts only with its own login variable.
    const gate39 = await lab.docker(1, ['run', '--rm', '-e', 'ALLOW_ANONYMOUS_LOGIN=yes', IMAGES.bitnami], { allowFail: true });
    assert.equal(gate39.code, 1, explain(gate39));
    assert.match(gate39.stderr, /Set the environment variable ALLOW_EMPTY_PASSWORD=yes/);
    const gate38 = await lab.docker(1, ['run', '--rm', '-e', 'ALLOW_EMPTY_PASSWORD=yes', LINE_38], { allowFail: true });
    assert.equal(gate38.code, 1, explain(gate38));
    assert.match(gate38.stderr, /Set the environment variable ALLOW_ANONYMOUS_LOGIN=yes/);
    // A server list without ids on one entry is refused like libzookeeper.sh refuses it.
    const mixed = await lab.docker(1, ['run', '--rm', '-e', 'ALLOW_EMPTY_PASSWORD=yes', '-e', 'ZOO_SERVERS=a:2888:3888::1,b:2888:3888', IMAGES.bitnami], { allowFail: true });
    assert.equal(mixed.code, 1, explain(mixed));
    assert.match(mixed.stderr, /Zookeeper server b:2888:3888 should follow the next syntax: host:port:port::id/);
    // What zkplan used to mount: a root-owned host directory the server cannot write.
    const rootOwned = path.join(dir, 'root-owned');
    mkdirSync(rootOwned, { mode: 0o755 });
    const denied = await lab.docker(1, ['run', '--rm', '-e', 'ALLOW_EMPTY_PASSWORD=yes', '-v', `${rootOwned}:/bitnami/zookeeper`, IMAGES.bitnami], { allowFail: true });
    assert.notEqual(denied.code, 0, explain(denied));
    assert.match(denied.stderr, /Permission denied/);
  });

  it('apply hands the data directories to uid 1001, and the ensemble is verified', async () => {
    const r = await zkplanCli(['apply', inventory, ...CLI_TIMEOUT]);
    assert.equal(r.code, 0, explain(r));
    assert.match(r.stdout, new RegExp(`^${ENSEMBLE}: 3 to create, 0 to change, 0 unchanged$`, 'm'));
    assert.match(r.stderr, /verified in [\d.]+ s: one leader, followers synced, znode \S+ read back through every server/);
    const q = await waitForQuorum(lab.addresses, 60_000);
    assert.equal(q.followers.length, 2);

    for (const id of [1, 2, 3]) {
      const mount = path.join(dataRoot(), String(id));
      assert.equal(statSync(mount).uid, 1001, `${mount} owner`);
      // bitnami's layout: the server's files under data/, written by uid 1001, myid from ZOO_SERVER_ID.
      const myid = path.join(mount, 'data', 'myid');
      assert.equal(readFileSync(myid, 'utf8').trim(), String(id));
      for (const f of [path.join(mount, 'data'), myid, path.join(mount, 'data', 'version-2')]) assert.equal(statSync(f).uid, 1001, `${f} owner`);

      const [cid] = await containerIds(id);
      const cfg = (await lab.docker(id, ['exec', cid!, 'cat', '/opt/bitnami/zookeeper/conf/zoo.cfg'])).stdout;
      // libzookeeper.sh took the `::id` and appended `;ZOO_PORT_NUMBER` to every entry.
      for (const peer of [1, 2, 3]) assert.match(cfg, new RegExp(`^server\\.${peer}=${lab.host(peer).address.replace(/\./g, '\\.')}:2888:3888;2181$`, 'm'));
      assert.match(cfg, /^4lw\.commands\.whitelist=conf,mntr,ruok,srvr$/m);
      const env = readFileSync(path.join(stateDirs()[id - 1]!, ENSEMBLE, `${ENSEMBLE}${id}.env`), 'utf8');
      assert.match(env, /^ALLOW_ANONYMOUS_LOGIN=yes$/m);
      assert.match(env, /^ALLOW_EMPTY_PASSWORD=yes$/m);
    }
  });

  it('data and ownership survive the containers being re-created', async () => {
    const writer = await startZnodeWriter(servers, '/bitnami-test', 0);
    while (writer.acknowledged.length < 20) await new Promise((res) => setTimeout(res, 50));
    await writer.stop();
    written.push(...writer.acknowledged);

    const d = await zkplanCli(['destroy', inventory]);
    assert.equal(d.code, 0, explain(d));
    for (const i of [1, 2, 3]) assert.deepEqual(await containerIds(i), [], `h${i} still has containers`);

    const r = await zkplanCli(['apply', inventory, ...CLI_TIMEOUT]);
    assert.equal(r.code, 0, explain(r));
    assert.match(r.stdout, new RegExp(`^${ENSEMBLE}: 3 to create, 0 to change, 0 unchanged$`, 'm'));
    assert.match(r.stderr, /verified in [\d.]+ s/);
    await waitForQuorum(lab.addresses, 60_000);

    const kept = new Set(await znodeChildren(servers, '/bitnami-test'));
    assert.deepEqual(written.filter((p) => !kept.has(path.basename(p))), [], 'znodes lost across the re-create');
    for (const id of [1, 2, 3]) {
      const [cid] = await containerIds(id);
      const logs = await lab.docker(id, ['logs', cid!]);
      // The data directory was not empty: myid was kept, not rewritten.
      assert.match(logs.stderr + logs.stdout, /Deploying ZooKeeper with persisted data/);
      const mount = path.join(dataRoot(), String(id));
      assert.equal(statSync(mount).uid, 1001);
      assert.equal(statSync(path.join(mount, 'data', 'myid')).uid, 1001);
      assert.ok(existsSync(path.join(mount, 'data', 'version-2')));
    }
  });

  it('a running bitnami ensemble is secured by one apply, writes going on; the uid-1001 server reads its mounted secrets', async () => {
    await lab.writeInventory(inventory, { profile: 'bitnami', ensembleName: ENSEMBLE, extra: { security: SECURITY } });
    const { result: r, line } = await writingApply(['apply', inventory, '--timeout', '900'], 'bitnami plain → secured', servers, '/bitnami-secure-on');
    console.log(`# ${line}; steps: ${[...r.stderr.matchAll(/step (\d+\/\d+) (\w+) verified after ([\d.]+) s/g)].map((m) => `${m[2]} ${m[3]} s`).join(', ')}`);
    for (const step of ['1/3: unify', '2/3: tls', '3/3: secured']) assert.match(r.stderr, new RegExp(`step ${step}`));
    assert.match(r.stderr, /verified in [\d.]+ s: one leader, followers synced/);

    const tlsDir = path.join(dir, '.zkplan', ENSEMBLE, 'tls');
    const client = { key: readFileSync(path.join(tlsDir, 'zkplan-client.key')), cert: readFileSync(path.join(tlsDir, 'zkplan-client.pem')), ca: readFileSync(path.join(tlsDir, 'ca.pem')) };
    const secrets = [
      readFileSync(path.join(tlsDir, 'quorum-sasl.password'), 'utf8').trim(),
      ...[1, 2, 3].map((i) => readFileSync(path.join(tlsDir, `${ENSEMBLE}${i}.key`), 'utf8').split('\n')[1]!),
    ];
    let leader: string | undefined;
    for (const id of [1, 2, 3]) {
      const [cid] = await containerIds(id);
      const cfg = (await lab.docker(id, ['exec', cid!, 'cat', '/opt/bitnami/zookeeper/conf/zoo.cfg'])).stdout;
      // libzookeeper.sh turned zkplan's ZOO_CFG_* variables into these lines
      for (const entry of ['sslQuorum=true', 'ssl.quorum.keyStore.location=/zkplan-secrets/server.pem', 'secureClientPort=2281', 'quorum.auth.serverRequireSasl=true']) {
        assert.ok(cfg.split('\n').includes(entry), `h${id} zoo.cfg lacks ${entry}\n${cfg}`);
      }
      const logs = await lab.docker(id, ['logs', cid!]);
      assert.match(logs.stdout + logs.stderr, /Creating TLS-only quorum server socket/);
      // the server runs as uid 1001 and reads the root-pushed, 1001-owned secrets
      assert.equal((await lab.docker(id, ['exec', cid!, 'id', '-u'])).stdout.trim(), '1001');
      const secretsDir = path.join(stateDirs()[id - 1]!, ENSEMBLE, 'secrets');
      for (const sub of readdirSync(secretsDir)) assert.equal(statSync(path.join(secretsDir, sub)).uid, 1001, `${secretsDir}/${sub} owner`);
      const inspect = (await lab.docker(id, ['inspect', cid!])).stdout;
      for (const secret of secrets) assert.ok(!inspect.includes(secret), `a secret in docker inspect on h${id}`);
      const address = lab.host(id).address;
      const srvr = await wordOver(tlsDial(directDial, client), address, 2281, 'srvr');
      assert.match(srvr, /Mode: (leader|follower)/, `TLS client port on h${id}`);
      if (/Mode: leader/.test(srvr)) leader = address;
      const election = await opensslHandshake(tlsDir, address, 3888);
      assert.match(election, /Verify return code: 0 \(ok\)/, `h${id}:3888\n${election}`);
    }
    assert.ok(leader, 'a leader answers srvr over TLS');
    assert.match(await opensslHandshake(tlsDir, leader, 2888), /Verify return code: 0 \(ok\)/);
    for (const secret of secrets) assert.ok(!(r.stdout + r.stderr).includes(secret), 'a secret in zkplan\'s output');
  });

  it('and back to plain text by one apply, writes going on', async () => {
    await lab.writeInventory(inventory, { profile: 'bitnami', ensembleName: ENSEMBLE });
    const { result: r, line } = await writingApply(['apply', inventory, '--timeout', '900'], 'bitnami secured → plain', servers, '/bitnami-secure-off');
    console.log(`# ${line}`);
    assert.match(r.stderr, /security changes in 3 rolling steps, each verified before the next: tls → unify → plain/);
    for (const id of [1, 2, 3]) {
      const [cid] = await containerIds(id);
      const cfg = (await lab.docker(id, ['exec', cid!, 'cat', '/opt/bitnami/zookeeper/conf/zoo.cfg'])).stdout;
      assert.doesNotMatch(cfg, /^(sslQuorum|secureClientPort|quorum\.auth\.)/m);
    }
  });
});
