// The bitnami contract on 3 lab hosts, through the built CLI: the lab image follows bitnami's
// libzookeeper.sh (uid 1001, /bitnami/zookeeper/data, ZOO_SERVERS with `::id`, the login gate of
// its line), so what zkplan renders for profile bitnami is proven against it: the image refuses
// what the real one refuses, zkplan's apply hands the host data directories to uid 1001 and the
// ensemble is verified, and its data survive the containers being re-created.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureBuilt, IMAGES, type ExecResult, type Lab, labUp, startZnodeWriter, waitForQuorum, zkplanCli, znodeChildren } from './lab.js';

const CLI_TIMEOUT = ['--timeout', '180'];
const ENSEMBLE = 'zkbn';
const LINE_38 = IMAGES.bitnami.replace(/:3\.9$/, ':3.8');

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
});
