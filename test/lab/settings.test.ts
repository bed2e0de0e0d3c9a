// Production settings on running servers: `zkplan apply` (the built CLI) of an ensemble with
// heap, memory, autopurge, data_log_dir, four_letter_words, zoo_cfg and env set, for the official
// contract (ZOO_* variables, JVMFLAGS) and the aliyun one (ADDITIONAL_ZOOKEEPER_n zoo.cfg lines),
// checked on the servers themselves: the JVM's -Xmx, the container's memory limit, the autopurge
// values the server started its purge task with, its data log directory (`conf`), transaction
// log files in their own host directory and none beside the snapshots.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureBuilt, fourLetterWord, type Lab, labUp, waitForQuorum, zkplanCli, type ExecResult } from './lab.js';

interface Contract {
  profile: 'official' | 'aliyun';
  ensemble: string;
  /** the whitelist on the plan's settings line (3.4 has none: every word answers) */
  words: string;
  /** container paths of the snapshots and the transaction logs */
  dataLogDir: string;
  dataDir: string;
  /** the snapshot directory on the host, relative to <data_dir>/<ensemble>/<id> */
  snapshots: string;
}

const CONTRACTS: Contract[] = [
  { profile: 'official', ensemble: 'zkset-o', words: '; 4lw conf,envi,mntr,ruok,srvr', dataLogDir: '/datalog', dataDir: '/data', snapshots: 'data/version-2' },
  { profile: 'aliyun', ensemble: 'zkset-a', words: '', dataLogDir: '/tmp/zookeeper-datalog', dataDir: '/tmp/zookeeper', snapshots: 'version-2' },
];
const MIB = 1024 * 1024;
const SETTINGS = {
  heap: '200m',
  memory: '640m',
  autopurge: { snap_retain_count: 4, purge_interval_hours: 2 },
  four_letter_words: ['envi'],
  zoo_cfg: { maxClientCnxns: 77 },
  env: { TZ: 'UTC' },
};

function explain(r: ExecResult): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

for (const contract of CONTRACTS) describe(`production settings on 3 lab hosts (${contract.profile} contract, zkplan apply)`, { timeout: 600_000 }, () => {
  const ENSEMBLE = contract.ensemble;
  let lab: Lab;
  let dir: string;
  let inventory: string;
  const dataRoot = () => path.join(lab.info.stateDir, 'hostdata', ENSEMBLE);
  const logRoot = () => path.join(lab.info.stateDir, `txlog-${contract.profile}`);
  const stateDirs = () => lab.hosts.map((h) => path.join(lab.info.stateDir, h.name, 'zkplan'));
  // the aliyun profile names containers zookeeper<id> unless told otherwise
  const container = (id: number) => `${ENSEMBLE}-${id}`;

  const cleanUp = async () => {
    await Promise.all(lab.hosts.map((_, i) => lab.docker(i + 1, ['rm', '-f', '-v', container(i + 1)], { allowFail: true })));
    for (const s of stateDirs()) {
      await rm(path.join(s, ENSEMBLE), { recursive: true, force: true });
      await rm(path.join(s, 'locks', ENSEMBLE), { recursive: true, force: true });
    }
    await rm(dataRoot(), { recursive: true, force: true });
    await rm(logRoot(), { recursive: true, force: true });
  };

  before(async () => {
    lab = await labUp(3);
    await ensureBuilt();
    await cleanUp();
    dir = await mkdtemp(path.join(os.tmpdir(), 'zkplan-settings-'));
    inventory = path.join(dir, 'inventory.yml');
    await lab.writeInventory(inventory, { profile: contract.profile, ensembleName: ENSEMBLE, extra: { ...SETTINGS, data_log_dir: logRoot(), service_prefix: `${ENSEMBLE}-` } });
  });

  after(async () => {
    if (!lab) return;
    await cleanUp();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('plan shows the settings', async () => {
    const r = await zkplanCli(['plan', inventory]);
    assert.equal(r.code, 0, explain(r));
    const escaped = logRoot().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    assert.match(r.stdout, new RegExp(`Settings: heap 200m, memory limit 640m; autopurge every 2 h keeping 4 snapshots; transaction logs under ${escaped}; metrics off${contract.words}; zoo\\.cfg maxClientCnxns=77; env TZ\n`));
  });

  it('apply runs the ensemble with every setting in force on every server', async () => {
    const r = await zkplanCli(['apply', inventory, '--timeout', '180']);
    assert.equal(r.code, 0, explain(r));
    const q = await waitForQuorum(lab.addresses, 60_000);
    assert.equal(q.followers.length, 2);

    for (const id of [1, 2, 3]) {
      const address = lab.host(id).address;
      const [inspected] = JSON.parse((await lab.docker(id, ['container', 'inspect', container(id)])).stdout) as any[];
      // the container's memory limit
      assert.equal(inspected.HostConfig.Memory, 640 * MIB, `h${id} memory limit`);
      assert.ok((inspected.Config.Env as string[]).includes('TZ=UTC'), `h${id} env`);
      // the JVM's max heap: the last -Xmx on the java command line wins
      const cmdline = (await lab.docker(id, ['exec', container(id), 'cat', '/proc/1/cmdline'])).stdout.split('\0');
      assert.equal(path.basename(cmdline[0]!), 'java', cmdline.join(' '));
      assert.deepEqual(cmdline.filter((a) => a.startsWith('-Xmx')).slice(-1), ['-Xmx200m'], cmdline.join(' '));
      assert.deepEqual(cmdline.filter((a) => a.startsWith('-Xms')).slice(-1), ['-Xms200m'], cmdline.join(' '));

      // what the server itself reports: data log directory and zoo_cfg's value (conf), the
      // autopurge task it started (its log), the extra whitelisted word (envi)
      const conf = await fourLetterWord(address, 'conf');
      assert.match(conf, new RegExp(`^dataLogDir=${contract.dataLogDir}/version-2$`, 'm'), conf);
      assert.match(conf, new RegExp(`^dataDir=${contract.dataDir}/version-2$`, 'm'), conf);
      assert.match(conf, /^maxClientCnxns=77$/m, conf);
      const logs = await lab.docker(id, ['logs', container(id)]);
      const output = logs.stdout + logs.stderr;
      assert.match(output, /autopurge\.snapRetainCount set to 4/, `h${id} log`);
      assert.match(output, /autopurge\.purgeInterval set to 2/, `h${id} log`);
      assert.match(output, /Purge task started/, `h${id} log`);
      const envi = await fourLetterWord(address, 'envi');
      assert.match(envi, /^java\.version=/m, envi);

      // the transaction logs in data_log_dir's directory for this server, none beside the snapshots
      const logDir = path.join(logRoot(), ENSEMBLE, String(id), 'version-2');
      assert.ok(existsSync(logDir), `no ${logDir}`);
      const txlogs = readdirSync(logDir).filter((f) => f.startsWith('log.'));
      assert.ok(txlogs.length > 0, `no log.* in ${logDir}: ${readdirSync(logDir).join(' ')}`);
      const dataDir = path.join(dataRoot(), String(id), contract.snapshots);
      assert.ok(existsSync(path.join(dataDir, '..', 'myid')), `no myid beside ${dataDir}`);
      const beside = existsSync(dataDir) ? readdirSync(dataDir).filter((f) => f.startsWith('log.')) : [];
      assert.deepEqual(beside, [], `transaction logs beside the snapshots in ${dataDir}`);
    }
  });
});
