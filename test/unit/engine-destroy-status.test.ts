// Destroy and status through the engine, against a target held in memory.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { destroy, status } from '../../src/engine/engine.js';
import { contextFor, desiredServers, FakeTarget, rolesOf } from './helpers/fake-target.js';

const DESTROY = { purgeData: false, forceUnlock: false, command: 'zkplan destroy test.yaml' };

describe('engine destroy', () => {
  it('removes what is not serving first, then observers and followers, the leader last', async () => {
    const desired = desiredServers(3, 1);
    const target = new FakeTarget(rolesOf(desired));
    target.run(desired);
    target.leader = 2;
    Object.assign(target.containers.get(3)!, { running: false, status: 'exited' });
    const removed = await destroy(contextFor(target, desired), DESTROY);
    assert.deepEqual(target.ops, ['remove 3', 'remove 1', 'remove 4', 'remove 2', 'teardown']);
    assert.deepEqual(removed, ['h3/zk3', 'h1/zk1', 'h4/zk4', 'h2/zk2']);
    assert.equal(target.lockHolder, undefined);
  });

  it('a second destroy removes nothing; purging tears the data down', async () => {
    const desired = desiredServers(3);
    const target = new FakeTarget(rolesOf(desired));
    const removed = await destroy(contextFor(target, desired), { ...DESTROY, purgeData: true });
    assert.deepEqual(removed, []);
    assert.deepEqual(target.ops, ['teardown purge']);
  });

  it('refuses while another run holds the lock', async () => {
    const desired = desiredServers(3);
    const target = new FakeTarget(rolesOf(desired));
    target.run(desired);
    target.lockHolder = 'zkplan apply other.yaml';
    await assert.rejects(destroy(contextFor(target, desired), DESTROY), /locked by zkplan apply other\.yaml/);
    assert.deepEqual(target.ops, []);
  });
});

describe('engine status', () => {
  it('is ok for a whole ensemble as planned', async () => {
    const desired = desiredServers(3, 1);
    const target = new FakeTarget(rolesOf(desired));
    target.run(desired);
    target.leader = 1;
    const s = await status(contextFor(target, desired), 100);
    assert.equal(s.ok, true, s.problems.join('\n'));
    assert.deepEqual(s.servers.map((x) => x.mode), ['leader', 'follower', 'follower', 'observer']);
    assert.deepEqual(s.servers.map((x) => x.zxid), ['0x100000003', '0x100000003', '0x100000003', '0x100000003']);
    assert.ok(s.servers.every((x) => x.drift.length === 0));
  });

  it('names each kind of drift: missing, stopped, configuration differs, moved, unexpected', async () => {
    const desired = desiredServers(5);
    const target = new FakeTarget(rolesOf(desired));
    target.run(desired);
    target.containers.delete(1);
    Object.assign(target.containers.get(2)!, { running: false, status: 'exited' });
    target.containers.get(3)!.configHash = 'old';
    target.containers.get(4)!.host = 'h9';
    target.strays = ['h5/zk6'];
    const s = await status(contextFor(target, desired), 100);
    assert.equal(s.ok, false);
    assert.deepEqual(
      s.servers.map((x) => [x.container, x.drift]),
      [
        ['missing', ['container missing']],
        ['exited', ['container exited']],
        ['running', [`configuration differs from the plan (old ≠ ${desired[2]!.configHash})`]],
        ['running', ['runs on h9, planned on h4']],
        ['running', []],
      ],
    );
    assert.deepEqual(s.unexpected, ['h5/zk6']);
    assert.ok(s.problems.includes("unexpected container h5/zk6 carries this ensemble's label"));
    assert.ok(s.problems.some((p) => /server 1 \(h1:2181\) is unreachable/.test(p)));
  });
});
