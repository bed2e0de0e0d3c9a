// `zkplan status`, `zkplan destroy` and the deploy lock on a 3-host lab, for both image
// contracts, through the built CLI: status reports every server and exits 1 on drift;
// destroy removes followers first and the leader last and keeps the data unless
// --purge-data; a second apply/destroy is refused while another apply holds the lock, and
// --force-unlock breaks a lock left by an interrupted run.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureBuilt, type ExecResult, type Lab, labUp, startZkplan, waitForQuorum, zkplanCli } from './lab.js';

const CLI_TIMEOUT = ['--timeout', '180'];

const CONTRACTS = [
  { profile: 'official', ensemble: 'zkst-o', myid: 'data/myid' },
  { profile: 'aliyun', ensemble: 'zkst-a', myid: 'myid' },
] as const;

function explain(r: ExecResult): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

/** [name, id] of zkplan's containers of the ensemble on host i. */
async function containersOn(lab: Lab, i: number, ensemble: string): Promise<string[][]> {
  const r = await lab.docker(i, ['ps', '-a', '--filter', `label=io.zkplan.ensemble=${ensemble}`, '--format', '{{.Names}} {{.ID}}']);
  return r.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' '));
}

async function allContainers(lab: Lab, ensemble: string): Promise<string[][]> {
  return (await Promise.all([1, 2, 3].map((i) => containersOn(lab, i, ensemble)))).flat();
}

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

for (const contract of CONTRACTS) {
  describe(`zkplan status / destroy / lock on 3 lab hosts: ${contract.profile} contract`, { timeout: 900_000 }, () => {
    let lab: Lab;
    let dir: string;
    let inventory: string;
    const ens = contract.ensemble;
    const stateDir = (i: number) => path.join(lab.info.stateDir, `h${i}`, 'zkplan');
    const lockDetails = (i: number) => path.join(stateDir(i), 'locks', ens, 'lock', 'details');
    const dataRoot = () => path.join(lab.info.stateDir, 'hostdata', ens);
    const nameOf = (i: number) => (contract.profile === 'aliyun' ? `zookeeper${i}` : `${ens}${i}`);

    const cleanUp = async () => {
      await Promise.all(
        [1, 2, 3].map(async (i) => {
          const ids = (await containersOn(lab, i, ens)).map(([, id]) => id!);
          if (ids.length) await lab.docker(i, ['rm', '-f', '-v', ...ids], { allowFail: true });
          await rm(path.join(stateDir(i), ens), { recursive: true, force: true });
          await rm(path.join(stateDir(i), 'locks', ens), { recursive: true, force: true });
        }),
      );
      await rm(dataRoot(), { recursive: true, force: true });
    };

    before(async () => {
      lab = await labUp(3);
      await ensureBuilt();
      await cleanUp();
      dir = await mkdtemp(path.join(os.tmpdir(), `zkplan-status-${contract.profile}-`));
      inventory = path.join(dir, 'inventory.yml');
      await lab.writeInventory(inventory, { profile: contract.profile, ensembleName: ens });
      const r = await zkplanCli(['apply', inventory, ...CLI_TIMEOUT]);
      assert.equal(r.code, 0, explain(r));
    });

    after(async () => {
      if (!lab) return;
      await Promise.all([1, 2, 3].map((i) => lab.docker(i, ['unpause', nameOf(i)], { allowFail: true })));
      await cleanUp();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('status of a whole ensemble: exit 0, every server with its host, container, role and zxid', async () => {
      const q = await waitForQuorum(lab.addresses, 60_000);
      const r = await zkplanCli(['status', inventory]);
      assert.equal(r.code, 0, explain(r));
      assert.match(r.stdout, new RegExp(`^${ens}: whole and as planned$`, 'm'));
      for (const i of [1, 2, 3]) {
        const mode = q.modes[lab.host(i).address];
        assert.match(r.stdout, new RegExp(`^\\s+${i}\\s+participant\\s+h${i}\\s+${nameOf(i)} running\\s+${mode}\\s+0x[0-9a-f]+\\s+[\\d.]+ ms\\s+\\d+\\s+none$`, 'm'), r.stdout);
      }
      // --json: only JSON on stdout
      const j = await zkplanCli(['status', inventory, '--json']);
      assert.equal(j.code, 0, explain(j));
      const [s] = JSON.parse(j.stdout);
      assert.equal(s.ensemble, ens);
      assert.equal(s.ok, true);
      assert.deepEqual(s.problems, []);
      assert.deepEqual(
        s.servers.map((x: any) => [x.id, x.host, x.name, x.container, x.mode, x.drift]),
        [1, 2, 3].map((i) => [i, `h${i}`, nameOf(i), 'running', q.modes[lab.host(i).address], []]),
      );
      for (const x of s.servers) {
        assert.match(x.zxid, /^0x[0-9a-f]+$/);
        assert.equal(typeof x.latencyAvg, 'number');
        assert.equal(typeof x.connections, 'number');
      }
    });

    if (contract.profile === 'official') {
      it('the deploy lock: a second apply or destroy is refused while one runs; --force-unlock breaks a stale one', async () => {
        const q = await waitForQuorum(lab.addresses, 60_000);
        const follower = lab.addresses.indexOf(q.followers[0]!) + 1;
        const ids = await allContainers(lab, ens);
        // A frozen follower keeps apply A verifying (and holding the lock) until we let it go.
        await lab.docker(follower, ['pause', nameOf(follower)]);
        const a = startZkplan(['apply', inventory, '--timeout', '600']);
        try {
          await until('apply A to hold the lock on every host', () =>
            [1, 2, 3].every((i) => existsSync(lockDetails(i)) && readFileSync(lockDetails(i), 'utf8').includes(`pid: ${a.child.pid}`)),
          );
          const since = /^since: (\S+)$/m.exec(readFileSync(lockDetails(1), 'utf8'))?.[1];
          assert.ok(since);
          const holder = new RegExp(`ensemble "${ens}" is locked by \\S+@\\S+ since ${since.replace(/[.]/g, '\\.')} \\(zkplan apply \\S+, pid ${a.child.pid}\\)`);
          const b = await zkplanCli(['apply', inventory, ...CLI_TIMEOUT]);
          assert.equal(b.code, 1, explain(b));
          assert.match(b.stderr, holder);
          assert.match(b.stderr, /nothing was changed; if no zkplan is running, retry with --force-unlock/);
          const d = await zkplanCli(['destroy', inventory]);
          assert.equal(d.code, 1, explain(d));
          assert.match(d.stderr, holder);
          assert.deepEqual(await allContainers(lab, ens), ids);
        } finally {
          // The operator's run is interrupted: its lock stays behind.
          a.child.kill('SIGKILL');
          await a.done;
          await lab.docker(follower, ['unpause', nameOf(follower)]);
        }
        for (const i of [1, 2, 3]) assert.ok(existsSync(lockDetails(i)), `the interrupted apply's lock on h${i} is gone`);
        const stale = await zkplanCli(['apply', inventory, ...CLI_TIMEOUT]);
        assert.equal(stale.code, 1, explain(stale));
        assert.match(stale.stderr, /is locked by/);

        const forced = await zkplanCli(['apply', inventory, '--force-unlock', ...CLI_TIMEOUT]);
        assert.equal(forced.code, 0, explain(forced));
        assert.match(forced.stdout, new RegExp(`^${ens}: 0 to create, 0 to change, 3 unchanged$`, 'm'));
        for (const i of [1, 2, 3]) assert.ok(!existsSync(path.dirname(lockDetails(i))), `lock left on h${i} after a successful apply`);
        assert.deepEqual(await allContainers(lab, ens), ids);
      });
    }

    it('status reports a removed and a stopped container as drift and exits 1; apply brings them back', async () => {
      const q = await waitForQuorum(lab.addresses, 60_000);
      const victim = lab.addresses.indexOf(q.followers[0]!) + 1;
      const stopped = lab.addresses.indexOf(q.followers[1]!) + 1;
      await lab.docker(victim, ['rm', '-f', nameOf(victim)]);
      await lab.docker(stopped, ['stop', nameOf(stopped)]);

      const r = await zkplanCli(['status', inventory]);
      assert.equal(r.code, 1, explain(r));
      assert.match(r.stdout, new RegExp(`^${ens}: NOT whole or not as planned$`, 'm'));
      assert.match(r.stdout, new RegExp(`^\\s+${victim}\\s+participant\\s+h${victim}\\s+${nameOf(victim)} missing\\s+down\\s+.*container missing$`, 'm'), r.stdout);
      assert.match(r.stderr, /not every ensemble is whole and as planned/);

      const j = await zkplanCli(['status', inventory, '--json']);
      assert.equal(j.code, 1, explain(j));
      const [s] = JSON.parse(j.stdout);
      assert.equal(s.ok, false);
      const gone = s.servers.find((x: any) => x.id === victim);
      assert.equal(gone.container, 'missing');
      assert.equal(gone.mode, null);
      assert.deepEqual(gone.drift, ['container missing']);
      const down = s.servers.find((x: any) => x.id === stopped);
      assert.equal(down.container, 'exited');
      assert.equal(down.mode, null);
      assert.deepEqual(down.drift, ['container exited']);
      for (const x of s.servers.filter((x: any) => x.id !== victim && x.id !== stopped)) assert.deepEqual(x.drift, []);

      // Both come back together (neither is serving, so neither counts against the quorum budget).
      const fix = await zkplanCli(['apply', inventory, ...CLI_TIMEOUT]);
      assert.equal(fix.code, 0, explain(fix));
      assert.match(fix.stdout, new RegExp(`^${ens}: 1 to create, 1 to change, 1 unchanged$`, 'm'));
      assert.match(fix.stdout, new RegExp(`^\\s+${victim}\\s+h${victim}\\s+${nameOf(victim)}\\s+create\\s`, 'm'));
      assert.match(fix.stdout, new RegExp(`^\\s+${stopped}\\s+h${stopped}\\s+${nameOf(stopped)}\\s+start\\s`, 'm'));
      const again = await zkplanCli(['status', inventory]);
      assert.equal(again.code, 0, explain(again));
    });

    it('destroy removes the followers first and the leader last, and keeps the data', async () => {
      const q = await waitForQuorum(lab.addresses, 60_000);
      const leader = lab.addresses.indexOf(q.leader) + 1;
      const r = await zkplanCli(['destroy', inventory]);
      assert.equal(r.code, 0, explain(r));
      assert.match(r.stdout, new RegExp(`^${ens}: removed 3 containers$`, 'm'));
      const removed = r.stderr.split('\n').flatMap((l) => /^\s*\d+\.\ds\s+(h\d)\s+remove\s+ok\s+(\S+)/.exec(l)?.slice(1, 3) ?? []);
      assert.equal(removed.length, 6, r.stderr);
      assert.deepEqual([removed[4], removed[5]], [`h${leader}`, nameOf(leader)], `leader h${leader} must go last\n${r.stderr}`);
      assert.deepEqual(await allContainers(lab, ens), []);
      for (const i of [1, 2, 3]) {
        assert.ok(existsSync(path.join(dataRoot(), String(i), contract.myid)), `server ${i}'s data is gone`);
        assert.ok(!existsSync(path.join(stateDir(i), ens)), `h${i} still has the deploy record`);
        assert.ok(!existsSync(path.join(stateDir(i), 'locks', ens, 'lock')), `h${i} still has the lock`);
      }
    });

    it('destroy --purge-data also removes the data directories, leaving no empty ones', async () => {
      const r = await zkplanCli(['destroy', inventory, '--purge-data', '--yes']);
      assert.equal(r.code, 0, explain(r));
      // the containers went with the plain destroy before
      assert.match(r.stdout, new RegExp(`^${ens}: removed 0 containers and their data$`, 'm'));
      assert.ok(!existsSync(dataRoot()), `${dataRoot()} is still there`);
      assert.ok(existsSync(path.dirname(dataRoot())), 'the data_dir itself belongs to the operator and stays');
    });
  });
}
