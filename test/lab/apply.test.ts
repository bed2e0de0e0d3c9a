// `zkplan apply` end to end on a 3-host lab, for both image contracts, through the built CLI
// as an operator runs it: a fresh apply proves the ensemble and leaves a record on every host;
// a second apply changes nothing; the pushed run.sh run by hand re-creates a server that the
// next apply finds unchanged; --dry-run of a changed inventory reports per host and touches
// nothing; the change rolls one server at a time, leader last, while a client keeps writing,
// and no acknowledged write is lost; data survives the roll and destroy + apply; a change of
// client port rolls the same way.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ensureBuilt,
  IMAGES,
  type Lab,
  labUp,
  startZkplan,
  startZnodeWriter,
  waitForQuorum,
  writingApply,
  zkplanCli,
  znodeChildren,
  type ExecResult,
} from './lab.js';

const CLI_TIMEOUT = ['--timeout', '180'];

interface Contract {
  profile: 'official' | 'aliyun';
  ensemble: string;
  /** Extra inventory keys that change every server's configuration. */
  change: Record<string, unknown>;
  /** What --dry-run names as the change. */
  says: string;
  /** How the change shows in the new container. */
  changed: (c: ContainerInfo) => boolean;
  /** Host paths mounted into each server, relative to <data_dir>/<ensemble>/<id>. */
  mounts: Record<string, string>;
  /** Where ZooKeeper's myid lands, relative to the same directory. */
  myid: string;
  envFile: (id: number, lab: Lab) => RegExp[];
}

const ROLLED_TAG = 'zkplan-lab/aliyun-contract:rolled';

const CONTRACTS: Contract[] = [
  {
    profile: 'official',
    ensemble: 'zkat-o',
    // A real configuration change: the AdminServer moves, which only ZOO_CFG_EXTRA can say.
    change: { ports: { admin: 8081 } },
    says: 'environment ZOO_CFG_EXTRA',
    changed: (c) => c.env.includes('ZOO_CFG_EXTRA=admin.serverPort=8081'),
    mounts: { '/data': 'data', '/datalog': 'datalog' },
    myid: 'data/myid',
    envFile: (id, lab) => [new RegExp(`^ZOO_MY_ID=${id}$`, 'm'), new RegExp(`^ZOO_SERVERS=.*server\\.3=${lab.host(3).address.replace(/\./g, '\\.')}:2888:3888`, 'm')],
  },
  {
    profile: 'aliyun',
    ensemble: 'zkat-a',
    // An image upgrade (same bits under a new tag, present on every host).
    change: { image: ROLLED_TAG },
    says: `image ${IMAGES.aliyun} → ${ROLLED_TAG}`,
    changed: (c) => c.image === ROLLED_TAG,
    // One state directory: the server's directory itself is mounted.
    mounts: { '/tmp/zookeeper': '' },
    myid: 'myid',
    envFile: (id, lab) => [new RegExp(`^SERVER_ID=${id}$`, 'm'), new RegExp(`^ADDITIONAL_ZOOKEEPER_${id}=server\\.${id}=${lab.host(id).address.replace(/\./g, '\\.')}:2888:3888$`, 'm')],
  },
];

interface ContainerInfo {
  host: number;
  name: string;
  id: string;
  startedAt: string;
  image: string;
  env: string[];
  labels: Record<string, string>;
  networkMode: string;
  restart: string;
  binds: { source: string; destination: string }[];
}

/** zkplan's containers of one ensemble on every host (found by label), by host index. */
async function containers(lab: Lab, ensemble: string): Promise<ContainerInfo[]> {
  const all = await Promise.all(
    lab.hosts.map(async (_, i) => {
      const ids = (await lab.docker(i + 1, ['ps', '-aq', '--filter', `label=io.zkplan.ensemble=${ensemble}`])).stdout.trim().split('\n').filter(Boolean);
      if (ids.length === 0) return [];
      const inspected = JSON.parse((await lab.docker(i + 1, ['container', 'inspect', ...ids])).stdout) as any[];
      return inspected.map(
        (c): ContainerInfo => ({
          host: i + 1,
          name: String(c.Name).replace(/^\//, ''),
          id: c.Id,
          startedAt: c.State.StartedAt,
          image: c.Config.Image,
          env: c.Config.Env ?? [],
          labels: c.Config.Labels ?? {},
          networkMode: c.HostConfig.NetworkMode,
          restart: c.HostConfig.RestartPolicy?.Name,
          // docker inspect lists mounts in no fixed order
          binds: (c.Mounts as any[])
            .filter((m) => m.Type === 'bind')
            .map((m) => ({ source: m.Source, destination: m.Destination }))
            .sort((a, b) => a.destination.localeCompare(b.destination)),
        }),
      );
    }),
  );
  return all.flat();
}

/** Every file under zkplan's per-host state (records and locks) with size and mtime. */
function snapshotFiles(roots: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (p: string) => {
    if (!existsSync(p)) return;
    const st = statSync(p);
    if (st.isDirectory()) {
      out[`${p}/`] = 'dir';
      for (const e of readdirSync(p)) walk(path.join(p, e));
    } else out[p] = `${st.size} ${st.mtimeMs}`;
  };
  for (const r of roots) walk(r);
  return out;
}

interface ProgressLine {
  host: string;
  step: string;
  status: string;
  detail: string;
}

/** The plain progress lines apply writes to stderr when it is not a terminal. */
function progressLines(stderr: string): ProgressLine[] {
  return stderr.split('\n').flatMap((l) => {
    const m = /^\s*\d+\.\ds\s+(\S+)\s+(\S+)\s+(ok|fail|info|skip)\b\s*(.*)$/.exec(l);
    return m ? [{ host: m[1]!, step: m[2]!, status: m[3]!, detail: m[4]! }] : [];
  });
}

function explain(r: ExecResult): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const hostOf = (lab: Lab, id: number) => lab.host(id).name;

for (const contract of CONTRACTS) {
  describe(`zkplan apply on 3 lab hosts: ${contract.profile} contract`, { timeout: 900_000 }, () => {
    let lab: Lab;
    let dir: string;
    let inventory: string;
    let changedInventory: string;
    let servers: string[];
    const ens = contract.ensemble;
    const stateDirs = () => lab.hosts.map((h) => path.join(lab.info.stateDir, h.name, 'zkplan'));
    const dataRoot = () => path.join(lab.info.stateDir, 'hostdata', ens);
    // The znodes written before the change, and the writer's during it.
    const before_: string[] = [];
    let rolledAcks: string[] = [];

    const cleanUp = async () => {
      await lab.removeEnsemble(ens);
      if (contract.profile === 'aliyun') await Promise.all(lab.hosts.map((_, i) => lab.docker(i + 1, ['rmi', ROLLED_TAG], { allowFail: true })));
    };

    before(async () => {
      lab = await labUp(3);
      await ensureBuilt();
      await cleanUp();
      dir = await mkdtemp(path.join(os.tmpdir(), `zkplan-apply-${contract.profile}-`));
      inventory = path.join(dir, 'inventory.yml');
      changedInventory = path.join(dir, 'changed.yml');
      await lab.writeInventory(inventory, { profile: contract.profile, ensembleName: ens });
      await lab.writeInventory(changedInventory, { profile: contract.profile, ensembleName: ens, extra: contract.change });
      servers = lab.addresses.map((a) => `${a}:2181`);
    });

    after(async () => {
      if (!lab) return;
      await cleanUp();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('a fresh apply creates, runs and proves the ensemble, and leaves a record on every host', async () => {
      const r = await zkplanCli(['apply', inventory, ...CLI_TIMEOUT]);
      assert.equal(r.code, 0, explain(r));
      assert.match(r.stdout, new RegExp(`^${ens}: 3 to create, 0 to change, 0 unchanged$`, 'm'));
      assert.match(r.stderr, /verified in [\d.]+ s: one leader, followers synced, znode \S+ read back through every server/);

      // Independently of zkplan's own verify: one leader, two followers.
      const q = await waitForQuorum(lab.addresses, 60_000);
      assert.equal(q.followers.length, 2);

      const cs = await containers(lab, ens);
      assert.equal(cs.length, 3, JSON.stringify(cs.map((c) => `h${c.host}/${c.name}`)));
      for (const id of [1, 2, 3]) {
        const c = cs.find((x) => x.host === id);
        assert.ok(c, `no container of ${ens} on h${id}`);
        assert.equal(c.networkMode, 'host');
        assert.equal(c.restart, 'always');
        assert.equal(c.image, IMAGES[contract.profile]);
        assert.equal(c.labels['io.zkplan.ensemble'], ens);
        assert.equal(c.labels['io.zkplan.server-id'], String(id));
        assert.match(c.labels['io.zkplan.config-hash'] ?? '', /^[0-9a-f]{16}$/);
        const expected = Object.entries(contract.mounts)
          .map(([destination, sub]) => ({ source: path.join(dataRoot(), String(id), sub), destination }))
          .sort((a, b) => a.destination.localeCompare(b.destination));
        assert.deepEqual([...c.binds].sort((a, b) => a.destination.localeCompare(b.destination)), expected);

        // The record pushed to this host: env file(s) and the run script.
        const record = path.join(stateDirs()[id - 1]!, ens);
        const envFile = path.join(record, `${c.name}.env`);
        assert.ok(existsSync(envFile), `missing ${envFile}`);
        assert.equal(statSync(envFile).mode & 0o777, 0o600);
        const env = readFileSync(envFile, 'utf8');
        for (const re of contract.envFile(id, lab)) assert.match(env, re);
        const runSh = path.join(record, 'run.sh');
        assert.equal(statSync(runSh).mode & 0o777, 0o755);
        assert.match(readFileSync(runSh, 'utf8'), new RegExp(`docker run --detach --name ${c.name} .*--label io\\.zkplan\\.config-hash=${c.labels['io.zkplan.config-hash']} `));
        // The data directory the container writes to is the host's.
        assert.ok(existsSync(path.join(dataRoot(), String(id), contract.myid)), `no myid in server ${id}'s host data dir`);
      }
    });

    it('a second apply changes nothing and restarts nothing', async () => {
      const pre = await containers(lab, ens);
      // --json: the report alone on stdout; the progress (with the counts) on stderr.
      const r = await zkplanCli(['apply', inventory, '--json', ...CLI_TIMEOUT]);
      assert.equal(r.code, 0, explain(r));
      assert.match(r.stderr, new RegExp(`${ens}: 0 to create, 0 to change, 3 unchanged`));
      const report = JSON.parse(r.stdout);
      assert.equal(report.length, 1);
      assert.deepEqual(report[0].rollout.counts, { create: 0, change: 0, unchanged: 3 });
      assert.equal(report[0].ok, true);
      assert.equal(report[0].health.ok, true);
      assert.equal(progressLines(r.stderr).filter((l) => ['create', 'change', 'start'].includes(l.step)).length, 0);
      const post = await containers(lab, ens);
      assert.deepEqual(
        post.map((c) => [c.name, c.id, c.startedAt]),
        pre.map((c) => [c.name, c.id, c.startedAt]),
      );
    });

    it('the pushed run.sh, run by hand for one server, restarts it as apply made it: the next apply leaves it alone', async () => {
      const pre = await containers(lab, ens);
      const mine = pre.find((c) => c.host === 1)!;
      const runSh = path.join(stateDirs()[0]!, ens, 'run.sh');
      const byHand = await lab.ssh(1, ['sh', runSh, mine.name]);
      assert.equal(byHand.code, 0, explain(byHand));

      const restarted = await containers(lab, ens);
      const again = restarted.find((c) => c.host === 1)!;
      assert.notEqual(again.id, mine.id, 'run.sh did not re-create the container');
      assert.deepEqual(again.labels, mine.labels, 'same labels, config hash included');
      assert.deepEqual([again.image, again.env, again.networkMode, again.restart, again.binds], [mine.image, mine.env, mine.networkMode, mine.restart, mine.binds]);
      // The other servers were not touched.
      assert.deepEqual(
        restarted.filter((c) => c.host !== 1).map((c) => [c.name, c.id, c.startedAt]),
        pre.filter((c) => c.host !== 1).map((c) => [c.name, c.id, c.startedAt]),
      );
      const q = await waitForQuorum(lab.addresses, 60_000);
      assert.equal(q.followers.length, 2, 'the ensemble is whole again');

      const r = await zkplanCli(['apply', inventory, ...CLI_TIMEOUT]);
      assert.equal(r.code, 0, explain(r));
      assert.match(r.stdout, new RegExp(`^${ens}: 0 to create, 0 to change, 3 unchanged$`, 'm'));
      assert.equal(progressLines(r.stderr).filter((l) => ['create', 'change', 'start'].includes(l.step)).length, 0, r.stderr);
      assert.deepEqual(
        (await containers(lab, ens)).map((c) => [c.name, c.id, c.startedAt]),
        restarted.map((c) => [c.name, c.id, c.startedAt]),
        'the apply after run.sh restarted nothing',
      );
    });

    it('--dry-run of a changed inventory says per host what would change and changes nothing', async () => {
      if (contract.profile === 'aliyun') {
        for (const i of [1, 2, 3]) await lab.docker(i, ['tag', IMAGES.aliyun, ROLLED_TAG]);
      }
      const pre = await containers(lab, ens);
      const files = snapshotFiles(stateDirs());
      const r = await zkplanCli(['apply', changedInventory, '--dry-run', ...CLI_TIMEOUT]);
      assert.equal(r.code, 0, explain(r));
      assert.match(r.stdout, new RegExp(`^${ens}: would have 0 to create, 3 to change, 0 unchanged \\(dry run: nothing was changed\\)$`, 'm'));
      for (const c of pre) {
        // one row per server: its host, its container, the action and why
        assert.match(r.stdout, new RegExp(`^\\s+${c.labels['io.zkplan.server-id']}\\s+h${c.host}\\s+${c.name}\\s+change\\s+.*configuration [0-9a-f]{16} → [0-9a-f]{16}: ${escape(contract.says)}`, 'm'));
      }
      const post = await containers(lab, ens);
      assert.deepEqual(
        post.map((c) => [c.name, c.id, c.startedAt]),
        pre.map((c) => [c.name, c.id, c.startedAt]),
      );
      assert.deepEqual(snapshotFiles(stateDirs()), files);
    });

    it('the change rolls one server at a time, leader last, without losing an acknowledged write', async () => {
      // Data written before the change must survive it.
      const seed = await startZnodeWriter(servers, `/apply-test/before`, 0);
      while (seed.acknowledged.length < 20) await new Promise((r) => setTimeout(r, 50));
      await seed.stop();
      before_.push(...seed.acknowledged);

      const q0 = await waitForQuorum(lab.addresses, 60_000);
      const leaderHost = lab.addresses.indexOf(q0.leader) + 1;
      const pre = await containers(lab, ens);

      const writer = await startZnodeWriter(servers, '/apply-test/rolling');
      let r: ExecResult;
      try {
        r = await startZkplan(['apply', changedInventory, ...CLI_TIMEOUT]).done;
      } finally {
        // Let the writer see the ensemble after the last step too.
        await new Promise((res) => setTimeout(res, 500));
        await writer.stop();
      }
      assert.equal(r.code, 0, explain(r));
      assert.match(r.stdout, new RegExp(`^${ens}: 0 to create, 3 to change, 0 unchanged$`, 'm'));

      // Progress: change, verify, change, verify, change (leader), verify; one server per step.
      const steps = progressLines(r.stderr).filter((l) => (l.step === 'change' || l.step === 'verify') && l.status !== 'info');
      // ... then the final verify, one line per server.
      assert.deepEqual(
        steps.map((s) => `${s.step} ${s.status}`),
        ['change ok', 'verify ok', 'change ok', 'verify ok', 'change ok', 'verify ok', 'verify ok', 'verify ok', 'verify ok'],
        r.stderr,
      );
      const order = steps.filter((s) => s.step === 'change').map((s) => s.host);
      assert.equal(new Set(order).size, 3);
      assert.equal(order[2], hostOf(lab, leaderHost), `the leader (h${leaderHost}) must be replaced last; order was ${order.join(', ')}\n${r.stderr}`);

      // The containers say the same: all replaced, the leader's started last, and changed.
      const post = await containers(lab, ens);
      assert.equal(post.length, 3);
      for (const c of post) {
        const old = pre.find((p) => p.host === c.host)!;
        assert.notEqual(c.id, old.id, `h${c.host}/${c.name} was not replaced`);
        assert.ok(contract.changed(c), `h${c.host}/${c.name} does not carry the change`);
      }
      const byStart = [...post].sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt)).map((c) => c.host);
      assert.equal(byStart[2], leaderHost, `started order ${byStart.join(', ')}, leader was h${leaderHost}`);
      assert.deepEqual(byStart.map((h) => hostOf(lab, h)), order);

      const q1 = await waitForQuorum(lab.addresses, 60_000);
      assert.equal(q1.followers.length, 2);

      // Every acknowledged write is there, and so is the data from before.
      assert.ok(writer.acknowledged.length > 0, 'the writer got no write acknowledged');
      const rolling = new Set(await znodeChildren(servers, '/apply-test/rolling'));
      const lost = writer.acknowledged.filter((p) => !rolling.has(path.basename(p)));
      assert.deepEqual(lost, [], `${lost.length} of ${writer.acknowledged.length} acknowledged writes lost (${writer.retries} retries)`);
      rolledAcks = writer.acknowledged;
      const kept = new Set(await znodeChildren(servers, '/apply-test/before'));
      assert.deepEqual(before_.filter((p) => !kept.has(path.basename(p))), []);
    });

    it('data survives destroy and a fresh apply', async () => {
      assert.ok(before_.length >= 20 && rolledAcks.length > 0, 'needs the znodes of the rolling test');
      const d = await zkplanCli(['destroy', changedInventory]);
      assert.equal(d.code, 0, explain(d));
      assert.equal((await containers(lab, ens)).length, 0);
      for (const id of [1, 2, 3]) assert.ok(existsSync(path.join(dataRoot(), String(id), contract.myid)), `server ${id}'s data dir is gone`);

      const r = await zkplanCli(['apply', changedInventory, ...CLI_TIMEOUT]);
      assert.equal(r.code, 0, explain(r));
      assert.match(r.stdout, new RegExp(`^${ens}: 3 to create, 0 to change, 0 unchanged$`, 'm'));
      await waitForQuorum(lab.addresses, 60_000);
      const kept = new Set(await znodeChildren(servers, '/apply-test/before'));
      assert.deepEqual(before_.filter((p) => !kept.has(path.basename(p))), []);
      const rolling = new Set(await znodeChildren(servers, '/apply-test/rolling'));
      assert.deepEqual(rolledAcks.filter((p) => !rolling.has(path.basename(p))), []);
    });

    it('a change of client port rolls like any change: each server probed where it listens, no acknowledged write lost', async (t) => {
      const moved = path.join(dir, 'client-port.yml');
      const ports = { ...((contract.change.ports as Record<string, number> | undefined) ?? {}), client: 2191 };
      await lab.writeInventory(moved, { profile: contract.profile, ensembleName: ens, extra: { ...contract.change, ports } });
      // the writer's client finds the servers on either port while they move
      const both = lab.addresses.flatMap((a) => [`${a}:2181`, `${a}:2191`]);
      const { result: r, line } = await writingApply(['apply', moved, ...CLI_TIMEOUT], 'client port 2181 → 2191', both, '/apply-test/client-port');
      t.diagnostic(line);
      assert.match(r.stdout, new RegExp(`^${ens}: 0 to create, 3 to change, 0 unchanged$`, 'm'));
      assert.doesNotMatch(r.stderr, /waiting for .* to serve/, 'the running servers answered on the port they were made with');
      await waitForQuorum(lab.addresses, 60_000, 2191);
      const status = await zkplanCli(['status', moved]);
      assert.equal(status.code, 0, explain(status));
    });
  });
}
