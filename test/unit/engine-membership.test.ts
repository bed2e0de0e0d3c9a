// The engine changing a running membership one server at a time (static method), against a
// target held in memory whose servers each run with their own membership.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apply, status, type ApplyOptions } from '../../src/engine/engine.js';
import { asideSuffix } from '../../src/rollout/aside.js';
import { fakeSupport, MembershipFake, memberSpec, plannedServers } from './helpers/fake-membership.js';
import { recordingProgress, TINY_TIMING } from './helpers/fake-target.js';

const OPTS: ApplyOptions = { dryRun: false, timeoutMs: 3000, concurrency: 4, forceUnlock: false, command: 'zkplan apply test.yaml' };
const CLOCK = new Date('2026-11-29T14:41:07.123Z');

function contextFor(target: MembershipFake, ids: number[], progress = recordingProgress()) {
  return { ensemble: 'zk', desired: plannedServers(ids), driver: target, progress, timing: TINY_TIMING, znodeCheck: target.znodeCheck, membership: fakeSupport(ids, CLOCK) };
}

const membersOf = (t: MembershipFake) => [...t.servers].sort(([a], [b]) => a - b).map(([id, s]) => `${id}:${s.members.join(',')}`);

describe('engine membership changes (static method)', () => {
  it('grows 3 → 5 one joiner at a time: joiner started with the larger membership, then followers, the leader last', async () => {
    const target = new MembershipFake();
    target.runWith([1, 2, 3]);
    const report = await apply(contextFor(target, [1, 2, 3, 4, 5]), OPTS);
    assert.equal(report.ok, true);
    assert.deepEqual(target.ops, [
      `aside 4 ${asideSuffix(CLOCK, 4, 'stale')}`,
      'create 4 [1,2,3,4]',
      'replace 1 [1,2,3,4]',
      'replace 2 [1,2,3,4]',
      'replace 3 [1,2,3,4]',
      `aside 5 ${asideSuffix(CLOCK, 5, 'stale')}`,
      'create 5 [1,2,3,4,5]',
      'replace 1 [1,2,3,4,5]',
      'replace 2 [1,2,3,4,5]',
      'replace 4 [1,2,3,4,5]',
      'replace 3 [1,2,3,4,5]',
    ]);
    assert.deepEqual(membersOf(target), ['1:1,2,3,4,5', '2:1,2,3,4,5', '3:1,2,3,4,5', '4:1,2,3,4,5', '5:1,2,3,4,5']);
    assert.deepEqual(report.rollout.counts, { create: 0, change: 0, unchanged: 5 }, 'the last step leaves every server as planned');
    assert.equal(report.membership?.length, 3);
    assert.ok(target.servingAtReplace.every((n) => n >= 3), `a majority served at every restart: ${target.servingAtReplace}`);
  });

  it('shrinks 5 → 3 from the highest id down; a leaving leader hands leadership over first; its data is moved aside', async () => {
    const target = new MembershipFake();
    target.runWith([1, 2, 3, 4, 5]);
    target.leader = 5;
    const progress = recordingProgress();
    const report = await apply(contextFor(target, [1, 2, 3], progress), OPTS);
    assert.equal(report.ok, true);
    assert.deepEqual(target.ops, [
      'restart 5',
      'replace 1 [1,2,3,4]',
      'replace 2 [1,2,3,4]',
      'replace 3 [1,2,3,4]',
      'replace 4 [1,2,3,4]',
      'retire 5',
      // server 4 (the highest id left) won the election after the leader's restart: it hands over too
      'restart 4',
      'replace 1 [1,2,3]',
      'replace 2 [1,2,3]',
      'replace 3 [1,2,3]',
      'retire 4',
    ]);
    assert.deepEqual(membersOf(target), ['1:1,2,3', '2:1,2,3', '3:1,2,3']);
    assert.ok(progress.lines.some((l) => l.includes(`data moved aside to /data/zk/5.removed-20261129T144107Z-server5`)));
  });

  it('a driver that stops and starts a leaving leader in two moves starts it again only once another server leads', async () => {
    const target = new MembershipFake();
    target.runWith([1, 2, 3, 4, 5]);
    target.leader = 5;
    target.stopThenStart = true;
    const report = await apply(contextFor(target, [1, 2, 3], recordingProgress()), OPTS);
    assert.equal(report.ok, true);
    assert.deepEqual(target.ops.filter((o) => /^(stop|start|retire)/.test(o)), ['stop 5', 'start 5 (server.4 leads)', 'retire 5', 'stop 4', 'start 4 (server.3 leads)', 'retire 4']);
    assert.deepEqual(membersOf(target), ['1:1,2,3', '2:1,2,3', '3:1,2,3']);
  });

  it('a dry run prints the steps and changes nothing', async () => {
    const target = new MembershipFake();
    target.runWith([1, 2, 3]);
    const report = await apply(contextFor(target, [1, 2, 3, 4, 5]), { ...OPTS, dryRun: true });
    assert.deepEqual(target.ops, []);
    assert.deepEqual(report.membership, [
      'zk: membership {1,2,3} runs, the plan has {1,2,3,4,5}: 2 single-server steps, static method (members restarted with each membership)',
      '  step 1: server.4 joins (started with the new membership); restart server.1, server.2, server.3 one at a time; membership {1,2,3,4}; 3 of 4 voters serving during the step, majority 3',
      '  step 2: server.5 joins (started with the new membership); restart server.1, server.2, server.4, server.3 one at a time; membership {1,2,3,4,5}; 4 of 5 voters serving during the step, majority 3',
    ]);
  });

  it('stops when a joiner does not serve, naming every server, before any existing server is restarted', async () => {
    const target = new MembershipFake();
    target.runWith([1, 2, 3]);
    target.neverUp.add(4);
    await assert.rejects(apply(contextFor(target, [1, 2, 3, 4, 5]), { ...OPTS, timeoutMs: 600 }), (e: Error) => {
      assert.match(e.message, /membership change of zk stopped: server\.4 did not serve within 1 s while server\.4 joining/);
      assert.match(e.message, /server\.1 on h1: follower\n {2}server\.2 on h2: follower\n {2}server\.3 on h3: leader\n {2}server\.4 on h4: not serving.*\n {2}server\.5 on h5: not probed/);
      return true;
    });
    assert.deepEqual(target.ops.filter((o) => !o.startsWith('aside')), ['create 4 [1,2,3,4]']);
    assert.deepEqual(membersOf(target).slice(0, 3), ['1:1,2,3', '2:1,2,3', '3:1,2,3'], 'the running servers are untouched');
  });

  it('refuses up front when a running voter is not serving, changing nothing', async () => {
    const target = new MembershipFake();
    target.runWith([1, 2, 3]);
    target.servers.get(1)!.running = false;
    await assert.rejects(apply(contextFor(target, [1, 2, 3, 4]), OPTS), /refusing to apply zk: voter server\.1 of the running membership is not serving.*nothing was changed/s);
    assert.deepEqual(target.ops, []);
  });
});

describe('engine: a target that cannot change a running membership (Swarm)', () => {
  it('refuses a grow and a shrink, changing nothing, on a dry run too', async () => {
    for (const [runs, planned] of [[[1, 2, 3], [1, 2, 3, 4, 5]], [[1, 2, 3, 4, 5], [1, 2, 3]]] as const) {
      for (const dryRun of [false, true]) {
        const target = new MembershipFake();
        target.runWith([...runs]);
        const { membership: _none, ...ctx } = contextFor(target, [...planned]);
        await assert.rejects(apply(ctx, { ...OPTS, dryRun }), /refusing to apply zk: membership \{[\d,]+\} runs, the plan has \{[\d,]+\}, and target .* cannot change a running membership one server at a time yet; nothing was changed/);
        assert.deepEqual(target.ops, [], `${runs} → ${planned}${dryRun ? ' (dry run)' : ''} changed something`);
      }
    }
  });

  it('applies as before when the running membership is the planned one', async () => {
    const target = new MembershipFake();
    target.runWith([1, 2, 3]);
    const { membership: _none, ...ctx } = contextFor(target, [1, 2, 3]);
    const report = await apply(ctx, OPTS);
    assert.equal(report.ok, true);
    assert.deepEqual(target.ops, []);
  });
});

describe('engine: a server that keeps its id on a new host', () => {
  // server 3's pin label moved from h3 to h8
  const moved = () => [memberSpec(1, [1, 2, 3]), memberSpec(2, [1, 2, 3]), memberSpec(3, [1, 2, 3], 'h8')];
  const ctx = (target: MembershipFake) => ({ ensemble: 'zk', desired: moved(), driver: target, progress: recordingProgress(), timing: TINY_TIMING, znodeCheck: target.znodeCheck, membership: fakeSupport([1, 2, 3], CLOCK) });

  it('is refused, changing nothing, while the old server.3 still answers at its old address', async () => {
    const target = new MembershipFake();
    target.runWith([1, 2, 3]);
    await assert.rejects(apply(ctx(target), OPTS), /refusing to apply zk: server\.3 is planned on h8, but the old server\.3 still answers at h3:2183 as (leader|follower) of this ensemble.*nothing was changed/s);
    assert.deepEqual(target.ops, []);
  });

  it('starts it on the new host, on fresh data, once the old one does not answer (its host is gone)', async () => {
    const target = new MembershipFake();
    target.runWith([1, 2, 3]);
    target.servers.delete(3); // h3 is unreachable: nothing of it can be seen
    const report = await apply(ctx(target), OPTS);
    assert.equal(report.ok, true);
    assert.deepEqual(target.ops, [`aside 3 ${asideSuffix(CLOCK, 3, 'stale')}`, 'create 3 [1,2,3]']);
    assert.equal(target.servers.get(3)?.host, 'h8');
  });
});

describe('engine status: membership drift', () => {
  it('names a server whose running membership differs from the plan', async () => {
    const target = new MembershipFake();
    target.runWith([1, 2, 3]);
    const s = await status(contextFor(target, [1, 2, 3, 4]), 2000);
    assert.equal(s.ok, false);
    assert.deepEqual(s.servers[0]!.drift, ['configuration differs from the plan (' + target.servers.get(1)!.configHash + ' ≠ ' + plannedServers([1, 2, 3, 4])[0]!.configHash + ')', 'membership {1,2,3}, planned {1,2,3,4}']);
    assert.deepEqual(s.servers[3]!.drift, ['container missing']);
  });
});
