// The rollout engine against a target held in memory: what it changes, in which order, and
// how it stops. The four-letter words and the znode proof come from the same fake servers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apply, type ApplyOptions } from '../../src/engine/engine.js';
import { Duplex } from 'node:stream';
import type { Dial } from '../../src/verify/dial.js';
import { contextFor, desiredServers, FakeTarget, recordingProgress, rolesOf } from './helpers/fake-target.js';

/** A connection to the fake server behind `real` whose answer `replace` may give instead (undefined: the server's). */
function intercepted(real: Duplex, replace: (word: string) => string | undefined): Duplex {
  const out: Duplex = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      const fake = replace(chunk.toString('utf8'));
      if (fake !== undefined) {
        real.destroy();
        out.push(fake);
        out.push(null);
        cb();
        return;
      }
      real.on('data', (d: Buffer) => out.push(d));
      real.on('end', () => out.push(null));
      real.write(chunk, cb);
    },
  });
  return out;
}

const OPTS: ApplyOptions = { dryRun: false, timeoutMs: 3000, concurrency: 4, forceUnlock: false, command: 'zkplan apply test.yaml' };

function scene(n = 3, observers = 0) {
  const before = desiredServers(n, observers, '512m');
  const after = desiredServers(n, observers, '1g');
  return { before, after, target: new FakeTarget(rolesOf(after)) };
}

describe('engine apply', () => {
  it('creates a fresh ensemble in one parallel batch and proves it', async () => {
    const { after, target } = scene();
    const report = await apply(contextFor(target, after), OPTS);
    assert.equal(report.ok, true);
    assert.deepEqual(report.rollout.counts, { create: 3, change: 0, unchanged: 0 });
    assert.deepEqual(target.ops, ['prepare 1,2,3', 'create 1', 'create 2', 'create 3', 'finish']);
    assert.equal(report.health?.servers.filter((s) => s.mode === 'leader').length, 1);
    assert.equal(report.health?.znode?.ok, true);
    assert.equal(target.lockHolder, undefined, 'the lock is released');
  });

  it('changes nothing when everything matches, and still verifies', async () => {
    const { after, target } = scene();
    target.run(after);
    const report = await apply(contextFor(target, after), OPTS);
    assert.equal(report.ok, true);
    assert.deepEqual(report.rollout.counts, { create: 0, change: 0, unchanged: 3 });
    assert.deepEqual(target.changesMade(), []);
    assert.ok(!target.ops.some((o) => o.startsWith('prepare')), 'nothing is prepared when nothing changes');
  });

  it('a no-op apply probes each server once: membership and the first verification round reuse the start probe', async () => {
    const { after, target } = scene();
    target.run(after);
    const report = await apply(contextFor(target, after), OPTS);
    assert.equal(report.ok, true);
    assert.equal(report.health?.znode?.ok, true, 'the znode round trip still proves the ensemble');
    const count = (word: string) => target.words.filter((w) => w.endsWith(` ${word}`)).length;
    assert.equal(count('srvr'), 3, target.words.join(', '));
    assert.equal(count('conf'), 3);
    assert.equal(count('mntr'), 3, "each server's with its srvr (one round, not two), the leader's kept");
    assert.equal(target.observations, 1, 'what was observed under the lock is what runs');
  });

  it('a no-op apply whose first probe finds the ensemble unsettled probes again before it is proven', async () => {
    const { after, target } = scene();
    target.run(after);
    // The leader's first mntr counts one synced follower of two (one still syncing), later both.
    const real = target.dial;
    const mntrs = new Map<string, number>();
    (target as { dial: Dial }).dial = async (address, port) =>
      intercepted(await real(address, port), (word) => {
        if (word !== 'mntr') return undefined;
        const asked = mntrs.get(address) ?? 0;
        mntrs.set(address, asked + 1);
        return asked === 0 ? 'zk_version\t3.8.4-fake\nzk_server_state\tleader\nzk_synced_followers\t1\nzk_synced_non_voting_followers\t0\nzk_synced_observers\t0\n' : undefined;
      });
    const report = await apply(contextFor(target, after), OPTS);
    assert.equal(report.ok, true);
    assert.ok(Math.max(...mntrs.values()) >= 2, 'the leader was asked again');
    assert.ok(target.words.filter((w) => w.endsWith(' srvr')).length >= 6, 'verification probed again');
    assert.deepEqual(target.changesMade(), []);
  });

  it('verifies afresh after a finish() that changed something', async () => {
    const { after, target } = scene();
    target.run(after);
    target.finish = async () => {
      target.ops.push('finish');
      return true;
    };
    const report = await apply(contextFor(target, after), OPTS);
    assert.equal(report.ok, true);
    assert.equal(target.words.filter((w) => w.endsWith(' srvr')).length, 6, 'start probe, then a verification round');
    assert.equal(target.observations, 2);
  });

  it('skips the preflight when nothing changes: a failing probe cannot matter to what is left alone', async () => {
    const { after, target } = scene();
    target.run(after);
    target.faults.preflightFails.add('h2');
    const report = await apply(contextFor(target, after), OPTS);
    assert.equal(report.ok, true);
    assert.deepEqual(report.preflight, []);
    assert.deepEqual(target.changesMade(), []);
  });

  it('still preflights when one server changes, and stops there', async () => {
    const { before, after, target } = scene();
    target.run([...after.slice(0, 2), before[2]!]);
    target.faults.preflightFails.add('h1');
    await assert.rejects(apply(contextFor(target, after), OPTS), /preflight failed; nothing was changed on any host\n {2}h1: docker/);
    assert.deepEqual(target.changesMade(), []);
  });

  it('a dry run plans and changes nothing, taking no lock', async () => {
    const { before, after, target } = scene();
    target.run(before);
    const report = await apply(contextFor(target, after), { ...OPTS, dryRun: true });
    assert.equal(report.dryRun, true);
    assert.equal(report.rollout.rolling.length, 3);
    assert.equal(report.health, undefined);
    assert.deepEqual(target.ops, []);
  });

  it('replaces one changed follower alone', async () => {
    const { before, after, target } = scene();
    target.run(before);
    target.containers.get(1)!.configHash = after[0]!.configHash;
    target.containers.get(3)!.configHash = after[2]!.configHash;
    const report = await apply(contextFor(target, after), OPTS);
    assert.equal(report.ok, true);
    assert.deepEqual(target.changesMade(), ['replace 2']);
    assert.deepEqual(target.ops, ['prepare 2', 'replace 2', 'finish']);
    assert.match(report.rollout.rolling[0]!.reason, /environment JVMFLAGS/);
  });

  it('renewed certificates of servers that reload them: each reloaded in place, one at a time, nothing restarted, then verified', async () => {
    const { after, target } = scene();
    const renewed = after.map((d) => ({ ...d, certificate: `new${d.serverId}` }));
    target.run(after.map((d) => ({ ...d, certificate: `old${d.serverId}` })));
    const progress = recordingProgress();
    const report = await apply({ ...contextFor(target, renewed), progress }, OPTS);
    assert.equal(report.ok, true);
    assert.deepEqual(report.rollout.counts, { create: 0, change: 3, unchanged: 0 });
    assert.deepEqual(report.rollout.reload.map((a) => a.kind), ['reload', 'reload', 'reload']);
    assert.deepEqual(target.ops, ['reload 1', 'reload 2', 'reload 3', 'finish']);
    assert.deepEqual(target.changesMade(), [], 'no container made, started or replaced');
    assert.ok(progress.lines.some((l) => /zk2 presents its new certificate after [\d.]+ s, without a restart/.test(l)), progress.lines.join('\n'));
    // the next apply finds every certificate in place
    const again = await apply(contextFor(target, renewed), OPTS);
    assert.deepEqual(again.rollout.counts, { create: 0, change: 0, unchanged: 3 });
  });

  it('a server that does not take its renewed certificate stops the apply there, naming it', async () => {
    const { after, target } = scene();
    const renewed = after.map((d) => ({ ...d, certificate: `new${d.serverId}` }));
    target.run(after.map((d) => ({ ...d, certificate: `old${d.serverId}` })));
    target.faults.neverReloads = new Set([2]);
    await assert.rejects(apply(contextFor(target, renewed), OPTS), /h2: reload zk2 failed: zk2 did not take its new certificate/);
    assert.deepEqual(target.ops, ['reload 1', 'reload 2']);
    assert.equal(target.lockHolder, undefined, 'the lock is released');
  });

  it('replaces every server one at a time, observers and followers first, the leader last', async () => {
    const { before, after, target } = scene(3, 1);
    target.run(before);
    target.leader = 1;
    const progress = recordingProgress();
    const report = await apply(contextFor(target, after, progress), OPTS);
    assert.equal(report.ok, true);
    assert.deepEqual(target.changesMade(), ['replace 4', 'replace 2', 'replace 3', 'replace 1']);
    assert.ok(target.servingAtReplace.every((n) => n === 3), 'every step starts from a whole ensemble');
    assert.ok(progress.lines.some((l) => /verify ok ensemble whole again after replacing zk1/.test(l)));
  });

  it('refuses a change that would break the quorum, changing nothing', async () => {
    const { before, after, target } = scene();
    target.run(before);
    // server 1 runs the planned configuration but does not answer: only 2 and 3 serve
    target.containers.get(1)!.configHash = after[0]!.configHash;
    target.containers.get(1)!.silent = true;
    await assert.rejects(apply(contextFor(target, after), OPTS), /refusing to apply zk: replacing zk\d would leave 1 of 3 voters running \(majority is 2\); already not serving: zk1.*nothing was changed/s);
    assert.deepEqual(target.changesMade(), []);
    assert.equal(target.lockHolder, undefined);
  });

  it('stops when a preflight check fails, changing nothing', async () => {
    const { after, target } = scene();
    target.faults.preflightFails.add('h2');
    await assert.rejects(apply(contextFor(target, after), OPTS), /preflight failed; nothing was changed on any host\n {2}h2: docker: Docker is not reachable/);
    assert.deepEqual(target.ops, []);
  });

  it('stops at a server that does not stay up, naming every server and its last log lines', async () => {
    const { before, after, target } = scene();
    target.run(before);
    target.faults.neverStaysUp.add(2);
    const started = Date.now();
    const err = await apply(contextFor(target, after), OPTS).then(
      () => assert.fail('apply should stop'),
      (e: Error) => e,
    );
    assert.ok(Date.now() - started < 2000, 'stops at once, not at the timeout');
    assert.match(err.message, /rollout of zk stopped: the new zk2 on h2 does not stay up \(restarting, last exit code 1, restarted \d+ times?\)/);
    assert.match(err.message, /last log lines of zk2:\n {4}ERROR Unable to load database on disk/);
    assert.match(err.message, /server 1 zk1 on h1: container running, follower, replaced/);
    assert.match(err.message, /server 2 zk2 on h2: container restarting.*, not serving, replaced/);
    assert.match(err.message, /server 3 zk3 on h3: container running, leader, not replaced \(stopped before it\)/);
    assert.match(err.message, /problem: server 2 \(h2:2182\) is unreachable/);
    assert.deepEqual(target.changesMade(), ['replace 1', 'replace 2'], 'the rollout goes no further');
    assert.equal(target.lockHolder, undefined, 'the lock is released on failure');
  });

  it('asks for the driver report while the last proof runs, once, and uses it when the proof keeps the leader', async () => {
    const { before, after, target } = scene();
    target.run(before);
    (target as { reportFromLeader?: boolean }).reportFromLeader = true;
    const asked: { leader: number | undefined; changed: boolean; proofsDone: number }[] = [];
    let proofsDone = 0;
    const context = () => {
      const ctx = contextFor(target, after);
      const check = ctx.znodeCheck!;
      return { ...ctx, znodeCheck: async (...args: Parameters<typeof check>) => check(...args).finally(() => proofsDone++) };
    };
    (target as { report?: unknown }).report = async (health: { servers: { id: number; mode: string | null }[] }, changed: boolean) => {
      const leader = health.servers.find((s) => s.mode === 'leader')?.id;
      asked.push({ leader, changed, proofsDone });
      return { reportedLeader: leader };
    };
    const report = (await apply(context(), OPTS)) as { reportedLeader?: number; health?: { servers: { id: number; mode: string | null }[] } };
    assert.deepEqual(target.changesMade(), ['replace 1', 'replace 2', 'replace 3']);
    const leader = report.health?.servers.find((s) => s.mode === 'leader')?.id;
    assert.ok(leader !== undefined);
    assert.deepEqual(asked, [{ leader, changed: true, proofsDone: proofsDone - 1 }], 'asked once, as the last proof began, not after every step');
    assert.equal(report.reportedLeader, leader);

    // nothing to change: asked after the proof, as before
    asked.length = 0;
    proofsDone = 0;
    const again = await apply(context(), OPTS);
    assert.equal(again.ok, true);
    assert.deepEqual(asked, [{ leader, changed: false, proofsDone: 1 }]);

    // a driver whose report depends on more (Swarm's: what finish() pruned) is asked after the proof
    (target as { reportFromLeader?: boolean }).reportFromLeader = false;
    target.run(before);
    asked.length = 0;
    proofsDone = 0;
    const rolled = await apply(context(), OPTS);
    assert.equal(rolled.ok, true);
    assert.deepEqual(asked, [{ leader: rolled.health?.servers.find((s) => s.mode === 'leader')?.id, changed: true, proofsDone }]);
  });

  for (const membersFixed of [true, false]) {
    it(`rolls a change of client port: running servers are probed where they listen, not waited for at the new port (membersFixed ${membersFixed})`, async () => {
      const { before, after, target } = scene();
      target.membersFixed = membersFixed;
      target.run(before);
      target.clientPortShift = 10; // the plan now says 2191-2193; zk1-zk3 listen on 2181-2183
      const progress = recordingProgress();
      const started = Date.now();
      const report = await apply(contextFor(target, after, progress), { ...OPTS, timeoutMs: 20_000 });
      assert.equal(report.ok, true, progress.lines.join('\n'));
      assert.ok(Date.now() - started < 10_000, 'nothing waited for the timeout');
      assert.ok(!progress.lines.some((l) => /waiting for .* to serve/.test(l)), progress.lines.join('\n'));
      assert.deepEqual(target.changesMade().sort(), ['replace 1', 'replace 2', 'replace 3'], 'one by one, all three');
      assert.ok(target.servingAtReplace.every((n) => n === 3), `every replace began with the whole ensemble serving: ${target.servingAtReplace.join(',')}`);
      assert.deepEqual([...target.containers.values()].map((c) => c.port), [2191, 2192, 2193]);
    });
  }

  it('follows a leader change mid-roll: the new leader goes last', async () => {
    const { before, after, target } = scene();
    target.run(before);
    target.leader = 3;
    target.faults.leaderChangesAfter = 1; // after zk1 is replaced, 3 hands over to 2
    const report = await apply(contextFor(target, after), OPTS);
    assert.equal(report.ok, true);
    assert.deepEqual(target.changesMade(), ['replace 1', 'replace 3', 'replace 2']);
    assert.deepEqual(report.rollout.rolling.map((a) => a.serverId), [1, 2, 3], 'the plan had 3 last; the loop re-observed');
  });

  it('replaces a server that was down before the roll first', async () => {
    const { before, after, target } = scene();
    target.run(before);
    target.leader = 3;
    Object.assign(target.containers.get(2)!, { running: false, status: 'exited', exitCode: 143 });
    const report = await apply(contextFor(target, after), OPTS);
    assert.equal(report.ok, true);
    assert.deepEqual(report.rollout.parallel.map((a) => a.serverId), [2]);
    assert.deepEqual(target.changesMade(), ['replace 2', 'replace 1', 'replace 3']);
    assert.ok(target.servingAtReplace.slice(1).every((n) => n === 3));
  });

  it('a server running but not serving is replaced before the serving ones', async () => {
    const { before, after, target } = scene(5);
    target.run(before);
    target.leader = 5;
    target.containers.get(4)!.silent = true;
    const report = await apply(contextFor(target, after), OPTS);
    assert.equal(report.ok, true);
    assert.deepEqual(target.changesMade(), ['replace 4', 'replace 1', 'replace 2', 'replace 3', 'replace 5']);
  });

  it('an interrupted roll keeps its lock; the next apply with --force-unlock completes it within the quorum', async () => {
    const { before, after, target } = scene(5);
    target.run(before);
    target.leader = 5;
    target.faults.killedAtChange = 3;
    await assert.rejects(apply(contextFor(target, after), OPTS), /h3: change zk3 failed: zkplan was killed/);
    assert.deepEqual(target.changesMade(), ['replace 1', 'replace 2']);
    assert.equal(target.lockHolder, 'zkplan apply test.yaml', 'a killed run leaves its lock');

    target.faults.killedAtChange = undefined;
    await assert.rejects(apply(contextFor(target, after), OPTS), /locked by zkplan apply test\.yaml.*--force-unlock/s);
    const report = await apply(contextFor(target, after), { ...OPTS, forceUnlock: true });
    assert.equal(report.ok, true);
    assert.deepEqual(report.rollout.counts, { create: 0, change: 3, unchanged: 2 });
    assert.deepEqual(target.changesMade(), ['replace 1', 'replace 2', 'replace 3', 'replace 4', 'replace 5']);
    assert.ok(target.servingAtReplace.every((n) => n === 5), 'no step started with a server missing');
    assert.equal(target.lockHolder, undefined);
  });

  it('moves a server that changes host first, even when it leads', async () => {
    const { after, target } = scene();
    target.run(after);
    target.containers.get(3)!.host = 'h9';
    target.leader = 3;
    const report = await apply(contextFor(target, after), OPTS);
    assert.equal(report.ok, true);
    assert.match(report.rollout.rolling[0]!.reason, /^moves from h9 \(leader\)$/);
    assert.deepEqual(target.changesMade(), ['replace 3']);
    assert.equal(target.containers.get(3)!.host, 'h3');
  });

  it('waits for a server that runs but does not serve yet (just replaced) before the quorum budget decides', async () => {
    const { before, after, target } = scene();
    target.run(before);
    // an interrupted apply replaced server 1 a moment ago: its JVM is still starting
    target.containers.get(1)!.configHash = after[0]!.configHash;
    target.containers.get(1)!.silent = true;
    setTimeout(() => (target.containers.get(1)!.silent = false), 100);
    const progress = recordingProgress();
    const report = await apply(contextFor(target, after, progress), OPTS);
    assert.equal(report.ok, true);
    assert.deepEqual(target.changesMade().sort(), ['replace 2', 'replace 3']);
    assert.ok(progress.lines.some((l) => /waiting for zk1 to serve/.test(l)));
  });

  it('refuses to touch a container zkplan did not make', async () => {
    const { after, target } = scene();
    target.run(after);
    target.containers.get(2)!.foreign = true;
    await assert.rejects(apply(contextFor(target, after), OPTS), /h2: zk2 exists but was not made by zkplan for ensemble zk.*nothing was changed/);
    assert.deepEqual(target.changesMade(), []);
  });

  it('stops a fresh create at a server that does not stay up', async () => {
    const { after, target } = scene();
    target.faults.neverStaysUp.add(3);
    await assert.rejects(apply(contextFor(target, after), { ...OPTS, timeoutMs: 500 }), /the new zk3 on h3 does not stay up/);
  });
});
