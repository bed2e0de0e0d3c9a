// The engine changing a running membership by dynamic reconfiguration (`reconfig: true`), against
// an in-memory target whose client ports answer the reconfig packets: single-voter steps, no
// member restarted, the version checked, a step that does not settle stops the change.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apply, type ApplyOptions } from '../../src/engine/engine.js';
import { asideSuffix } from '../../src/rollout/aside.js';
import { ReconfigFake, reconfigServers, reconfigSpec, reconfigSupport } from './helpers/fake-reconfig.js';
import { recordingProgress, TINY_TIMING } from './helpers/fake-target.js';

const OPTS: ApplyOptions = { dryRun: false, timeoutMs: 3000, concurrency: 4, forceUnlock: false, command: 'zkplan apply test.yaml' };
const CLOCK = new Date('2026-11-29T14:41:07.123Z');

function contextFor(target: ReconfigFake, ids: number[], progress = recordingProgress(), password?: string) {
  return { ensemble: 'zk', desired: reconfigServers(ids), driver: target, progress, timing: TINY_TIMING, znodeCheck: target.znodeCheck, membership: reconfigSupport(ids, CLOCK, password) };
}

const membersOf = (t: ReconfigFake) => [...t.servers].sort(([a], [b]) => a - b).map(([id, s]) => `${id}:${s.members.join(',')}`);
const line = (id: number) => `server.${id}=h${id}:2888:3888:participant;0.0.0.0:${2180 + id}`;

describe('engine membership changes (dynamic reconfiguration)', () => {
  it('grows 3 → 5: each joiner started with the committed membership plus itself, then reconfig -add with the version checked; nobody restarted', async () => {
    const target = new ReconfigFake();
    target.runWith([1, 2, 3]);
    const report = await apply(contextFor(target, [1, 2, 3, 4, 5]), OPTS);
    assert.equal(report.ok, true);
    assert.deepEqual(target.ops, [`aside 4 ${asideSuffix(CLOCK, 4, 'stale')}`, 'create 4 [1,2,3,4]', `aside 5 ${asideSuffix(CLOCK, 5, 'stale')}`, 'create 5 [1,2,3,4,5]']);
    assert.deepEqual(target.requests, [`+${line(4)} -v 100000000`, `+${line(5)} -v 100000001`]);
    assert.deepEqual(membersOf(target), ['1:1,2,3,4,5', '2:1,2,3,4,5', '3:1,2,3,4,5', '4:1,2,3,4,5', '5:1,2,3,4,5']);
    // The members still run as created (their containers name {1,2,3}); the hash leaves that out.
    assert.deepEqual(report.rollout.counts, { create: 0, change: 0, unchanged: 5 });
    assert.match(report.membership![0]!, /2 single-server steps, dynamic reconfiguration/);
  });

  it('shrinks 5 → 3: reconfig -remove from the highest id down, each removed server stopped only after the commit, its data moved aside', async () => {
    const target = new ReconfigFake();
    target.runWith([1, 2, 3, 4, 5]);
    target.leader = 5;
    const progress = recordingProgress();
    const report = await apply(contextFor(target, [1, 2, 3], progress), OPTS);
    assert.equal(report.ok, true);
    assert.deepEqual(target.requests, ['-5 -v 100000000', '-4 -v 100000001']);
    assert.deepEqual(target.ops, ['retire 5', 'retire 4'], 'no restart, no replace: a leaving leader is simply removed');
    assert.deepEqual(membersOf(target), ['1:1,2,3', '2:1,2,3', '3:1,2,3']);
    assert.ok(progress.lines.some((l) => l.includes('data moved aside to /data/zk/5.removed-20261129T144107Z-server5')));
    const commit = progress.lines.findIndex((l) => l.includes('reconfig -remove 5 committed'));
    const retire = progress.lines.findIndex((l) => l.includes('zk5: stopped, it left the membership'));
    assert.ok(commit >= 0 && retire > commit, 'stopped after the commit');
  });

  it('retries a version conflict with the version read again', async () => {
    const target = new ReconfigFake();
    target.runWith([1, 2, 3]);
    target.badVersionOnce = true;
    const report = await apply(contextFor(target, [1, 2, 3, 4]), OPTS);
    assert.equal(report.ok, true);
    assert.deepEqual(target.requests, [`+${line(4)} -v 100000000`, `+${line(4)} -v 100000001`]);
    assert.deepEqual(membersOf(target), ['1:1,2,3,4', '2:1,2,3,4', '3:1,2,3,4', '4:1,2,3,4']);
  });

  it('stops when a step does not settle (a member never learns the new configuration), naming every server, before anything else changes', async () => {
    const target = new ReconfigFake();
    target.runWith([1, 2, 3, 4, 5]);
    target.stale.add(2);
    await assert.rejects(apply(contextFor(target, [1, 2, 3]), { ...OPTS, timeoutMs: 600 }), (e: Error) => {
      assert.match(e.message, /membership change of zk stopped: after reconfig step 1 not every member reports configuration version 100000001: server\.2 100000000\n/);
      assert.match(e.message, /server\.1 on h1: \w+\n {2}server\.2 on h2: \w+\n {2}server\.3 on h3: \w+\n {2}server\.4 on h4: \w+\n {2}server\.5 on h5: \w+/);
      return true;
    });
    assert.deepEqual(target.requests, ['-5 -v 100000000']);
    assert.deepEqual(target.ops, [], 'server 5 is not stopped: the step did not settle');
  });

  it('refuses at once when the super password is wrong, changing no membership', async () => {
    const target = new ReconfigFake();
    target.runWith([1, 2, 3, 4]);
    await assert.rejects(apply(contextFor(target, [1, 2, 3], recordingProgress(), 'wrong'), OPTS), /reconfig refused: .*authenticate as super: AuthFailed/);
    assert.deepEqual(target.requests, []);
    assert.deepEqual(target.ops, []);
  });

  it('a dry run names the method and the steps and changes nothing', async () => {
    const target = new ReconfigFake();
    target.runWith([1, 2, 3]);
    const report = await apply(contextFor(target, [1, 2, 3, 4, 5]), { ...OPTS, dryRun: true });
    assert.deepEqual(target.ops, []);
    assert.deepEqual(target.requests, []);
    assert.deepEqual(report.membership, [
      'zk: membership {1,2,3} runs, the plan has {1,2,3,4,5}: 2 single-server steps, dynamic reconfiguration (reconfig -add/-remove, no member restarted)',
      '  step 1: server.4 joins (started with the committed membership plus itself, then reconfig -add); no restart; membership {1,2,3,4}; 4 voters serving during the step, majority 3',
      '  step 2: server.5 joins (started with the committed membership plus itself, then reconfig -add); no restart; membership {1,2,3,4,5}; 5 voters serving during the step, majority 3',
    ]);
  });

  it('refuses a server that keeps its id on a new host (not done by reconfig yet), changing nothing', async () => {
    const target = new ReconfigFake();
    target.runWith([1, 2, 3]);
    target.servers.delete(3); // h3 is gone
    const desired = [...reconfigServers([1, 2]), reconfigSpec(3, [1, 2, 3], 'h8')];
    const ctx = { ensemble: 'zk', desired, driver: target, progress: recordingProgress(), timing: TINY_TIMING, znodeCheck: target.znodeCheck, membership: reconfigSupport([1, 2, 3], CLOCK) };
    await assert.rejects(apply(ctx, OPTS), /refusing to apply zk: server\.3 \(to h8\) would keep its id on a new host.*nothing was changed/s);
    assert.deepEqual(target.ops, []);
    assert.deepEqual(target.requests, []);
  });
});
