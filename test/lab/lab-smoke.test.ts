// Smoke test of the lab itself: 3 hosts, a real 3-server ensemble per image contract, started
// the way the Aliyun article does it (ssh to each host, docker run --net=host).
// Prints the measured timings as test diagnostics.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { fourLetterWord, IMAGES, type Lab, labUp, shellQuote, srvrMode, waitForQuorum } from './lab.js';

const N = 3;
const ids = [1, 2, 3] as const;

function ms(since: bigint): number {
  return Number((process.hrtime.bigint() - since) / 1_000_000n);
}

describe('zkplan lab (3 hosts)', { timeout: 180_000 }, () => {
  let lab: Lab;

  before(async () => {
    const t = process.hrtime.bigint();
    lab = await labUp(N);
    console.log(`# timing: labUp(${N}) incl. image load ${ms(t)} ms`);
  });

  after(async () => {
    // Containers only: run.sh tears the lab down once, after every lab test file.
    if (lab) await Promise.all(ids.map((i) => lab.docker(i, ['rm', '-f', '-v', `zk${i}`], { allowFail: true })));
  });

  it('hosts answer over ssh with their own name, address and docker daemon', async () => {
    for (const i of ids) {
      const r = await lab.ssh(i, 'hostname; echo $DOCKER_HOST; docker info --format "{{json .Labels}}"');
      const [hostname, dockerHost, labels] = r.stdout.trim().split('\n');
      assert.equal(hostname, `h${i}`);
      assert.equal(dockerHost, `unix://${lab.host(i).dockerSocket}`);
      assert.deepEqual(JSON.parse(labels ?? 'null'), [`aliyun.node_index=${i}`]);
    }
    // Bridged host-to-host traffic (the FORWARD rule): h1 reaches h2's sshd.
    const r = await lab.ssh(1, `nc -z -w 2 ${lab.host(2).address} 22 && echo open`);
    assert.equal(r.stdout.trim(), 'open');
  });

  it('writes an inventory in the zkplan format', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'zkplan-lab-inv-'));
    const file = path.join(dir, 'inventory.yml');
    await lab.writeInventory(file, { profile: 'aliyun' });
    const inv = YAML.parse(await readFile(file, 'utf8'));
    await rm(dir, { recursive: true, force: true });
    assert.equal(inv.hosts.length, N);
    assert.deepEqual(inv.hosts[1], { name: 'h2', address: lab.host(2).address, labels: { 'aliyun.node_index': 2, zone: 'z2' }, state_dir: path.join(lab.info.stateDir, 'h2', 'zkplan') });
    assert.equal(inv.ssh.known_hosts, lab.info.knownHosts);
    assert.equal(inv.ensembles[0].image, IMAGES.aliyun);
    assert.equal(inv.ensembles[0].zookeeper_version, '3.4');
  });

  const contracts: Array<{ name: string; env: (id: number) => string[] }> = [
    {
      name: 'aliyun contract (SERVER_ID + ADDITIONAL_ZOOKEEPER_n)',
      env: (id) => [
        `SERVER_ID=${id}`,
        ...ids.map((k) => `ADDITIONAL_ZOOKEEPER_${k}=server.${k}=${lab.host(k).address}:2888:3888`),
      ],
    },
    {
      name: 'official contract (ZOO_MY_ID + ZOO_SERVERS)',
      env: (id) => [
        `ZOO_MY_ID=${id}`,
        `ZOO_SERVERS=${ids.map((k) => `server.${k}=${lab.host(k).address}:2888:3888;2181`).join(' ')}`,
        'ZOO_4LW_COMMANDS_WHITELIST=srvr,mntr,ruok,conf',
        'ZOO_CFG_EXTRA=admin.serverPort=8081',
      ],
    },
  ];

  for (const [ci, contract] of contracts.entries()) {
    it(`3-server ensemble over ssh + docker run --net=host: ${contract.name}`, async () => {
      const image = ci === 0 ? IMAGES.aliyun : IMAGES.official;
      await Promise.all(ids.map((i) => lab.docker(i, ['rm', '-f', '-v', `zk${i}`], { allowFail: true })));
      const t = process.hrtime.bigint();
      await Promise.all(
        ids.map((i) =>
          lab.ssh(i, ['docker', 'run', '-d', `--name=zk${i}`, '--net=host', ...contract.env(i).flatMap((e) => ['-e', e]), image]),
        ),
      );
      const started = ms(t);
      const q = await waitForQuorum(lab.addresses, 60_000);
      console.log(`# timing: ${image}: docker run x3 over ssh ${started} ms, quorum after ${ms(t)} ms total`);

      const modes = await Promise.all(lab.addresses.map((a) => srvrMode(a)));
      assert.equal(modes.filter((m) => m === 'leader').length, 1, `modes ${modes.join(',')}`);
      assert.equal(modes.filter((m) => m === 'follower').length, 2, `modes ${modes.join(',')}`);
      assert.equal(q.followers.length, 2);

      const mntr = await fourLetterWord(q.leader, 'mntr');
      assert.match(mntr, /^zk_server_state\tleader$/m);
      assert.match(mntr, /^zk_synced_followers\t2(\.0)?$/m);
      assert.match(mntr, /^zk_version\t3\.8\.0/m);

      if (ci === 0) {
        // 3.4.8 emulation: base zoo.cfg first, ADDITIONAL_* appended; no AdminServer.
        const cfg = await lab.ssh(1, 'docker exec zk1 cat /opt/zookeeper/conf/zoo.cfg /tmp/zookeeper/myid');
        assert.match(cfg.stdout, /^tickTime=2000\ninitLimit=10\nsyncLimit=5\ndataDir=\/tmp\/zookeeper\nclientPort=2181\n4lw\.commands\.whitelist=\*\nadmin\.enableServer=false\nserver\.1=/);
        assert.match(await fourLetterWord(lab.host(1).address, 'ruok'), /imok/);
      } else {
        const cfg = await lab.ssh(2, 'docker exec zk2 cat /conf/zoo.cfg /data/myid');
        assert.doesNotMatch(cfg.stdout, /clientPort/);
        assert.match(cfg.stdout, /^admin\.serverPort=8081$/m);
        assert.match(cfg.stdout, /^2$/m);
        // AdminServer really runs, on the port from ZOO_CFG_EXTRA.
        const res = await fetch(`http://${lab.host(2).address}:8081/commands/ruok`);
        assert.equal(res.status, 200);
        assert.equal(((await res.json()) as { error: unknown }).error, null);
        // busybox nc inside the image, for probes from within the container.
        const nc = await lab.ssh(2, `docker exec zk2 sh -c ${shellQuote('echo ruok | nc 127.0.0.1 2181')}`);
        assert.equal(nc.stdout, 'imok');
      }

      await Promise.all(ids.map((i) => lab.ssh(i, ['docker', 'rm', '-f', '-v', `zk${i}`])));
      const left = await Promise.all(ids.map((i) => lab.docker(i, ['ps', '-aq'])));
      assert.deepEqual(left.map((r) => r.stdout.trim()), ['', '', '']);
    });
  }
});
