// The rollout plan: what apply creates, changes or leaves alone, in which order, within the quorum budget.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DesiredContainer } from '../../src/rollout/desired.js';
import { allActions, nextStep, planRollout, whatChanged, type ObservedServer } from '../../src/rollout/rollout.js';

function desired(n: number, observers = 0): DesiredContainer[] {
  return Array.from({ length: n + observers }, (_, i) => ({
    serverId: i + 1,
    role: i < n ? 'participant' : 'observer',
    host: `h${i + 1}`,
    name: `zk${i + 1}`,
    image: 'zookeeper:3.9',
    env: [],
    mounts: [],
    labels: {},
    configHash: 'new',
    envFile: `/etc/zkplan/zk/zk${i + 1}.env`,
  }));
}

const running = (mode: string, configHash = 'old'): ObservedServer => ({ exists: true, running: true, configHash, mode });

describe('planRollout', () => {
  it('creates everything at once on a fresh ensemble', () => {
    const plan = planRollout(desired(3), new Map());
    assert.deepEqual(plan.parallel.map((a) => a.kind), ['create', 'create', 'create']);
    assert.deepEqual(plan.counts, { create: 3, change: 0, unchanged: 0 });
    assert.equal(plan.refusal, undefined);
  });

  it('changes nothing when every container matches', () => {
    const observed = new Map([1, 2, 3].map((id) => [id, running(id === 3 ? 'leader' : 'follower', 'new')]));
    const plan = planRollout(desired(3), observed);
    assert.deepEqual(plan.counts, { create: 0, change: 0, unchanged: 3 });
    assert.equal(plan.parallel.length + plan.rolling.length, 0);
  });

  it('a renewed certificate of a server that reloads them: reloaded when nothing else changed, else replaced or started with it', () => {
    const d = desired(3).map((x) => ({ ...x, certificate: 'cert-new' }));
    const observed = new Map<number, ObservedServer>([
      [1, { ...running('follower', 'new'), certificate: 'cert-old' }],
      [2, { ...running('follower', 'old'), certificate: 'cert-old' }],
      [3, { exists: true, running: false, configHash: 'new', certificate: 'cert-old' }],
    ]);
    const plan = planRollout(d, observed);
    assert.deepEqual(plan.reload.map((a) => [a.serverId, a.kind]), [[1, 'reload']]);
    assert.match(plan.reload[0]!.reason, /new certificate, taken from its files without a restart/);
    assert.deepEqual(plan.rolling.map((a) => a.serverId), [2]);
    assert.deepEqual(plan.parallel.map((a) => [a.serverId, a.kind]), [[3, 'start']]);
    assert.deepEqual(plan.counts, { create: 0, change: 3, unchanged: 0 });
    assert.deepEqual(allActions(plan).map((a) => a.serverId), [1, 2, 3]);
    const proven = new Map([1, 2, 3].map((id) => [id, { ...running('follower', 'new'), certificate: 'cert-new' }]));
    assert.deepEqual(planRollout(d, proven).counts, { create: 0, change: 0, unchanged: 3 });
  });

  it('rolls observers and followers first and the leader last', () => {
    const observed = new Map<number, ObservedServer>([
      [1, running('follower')],
      [2, running('leader')],
      [3, running('follower')],
      [4, running('observer')],
    ]);
    const plan = planRollout(desired(3, 1), observed);
    assert.deepEqual(plan.rolling.map((a) => a.name), ['zk4', 'zk1', 'zk3', 'zk2']);
    assert.equal(plan.refusal, undefined);
  });

  it('refuses when a step would leave fewer than a majority of voters running', () => {
    const observed = new Map<number, ObservedServer>([
      [1, running('follower')],
      [2, running('leader')],
      [3, { exists: true, running: true, configHash: 'new' }], // running but not answering
    ]);
    const plan = planRollout(desired(3), observed);
    assert.match(plan.refusal ?? '', /replacing zk1 would leave 1 of 3 voters running \(majority is 2\); already not serving: zk3/);
  });

  it('starts stopped servers in the parallel phase and counts them in the budget', () => {
    const observed = new Map<number, ObservedServer>([
      [1, running('follower')],
      [2, running('leader')],
      [3, { exists: true, running: false, configHash: 'new' }],
    ]);
    const plan = planRollout(desired(3), observed);
    assert.deepEqual(plan.parallel.map((a) => [a.name, a.kind]), [['zk3', 'start']]);
    assert.deepEqual(plan.rolling.map((a) => a.name), ['zk1', 'zk2']);
    assert.equal(plan.refusal, undefined);
  });

  it('says what a change changes: the image and the names (not values) of changed variables', () => {
    const [d] = desired(1);
    const want = { ...d!, image: 'zookeeper:3.9.2', env: [['ZOO_MY_ID', '1'], ['ZOO_CFG_EXTRA', 'secret=1'], ['ZOO_NEW', 'x']] as [string, string][] };
    const o: ObservedServer = { ...running('follower'), image: 'zookeeper:3.9', env: ['PATH=/bin', 'ZOO_MY_ID=1', 'ZOO_CFG_EXTRA=secret=0'] };
    assert.equal(whatChanged(want, o), ': image zookeeper:3.9 → zookeeper:3.9.2; environment ZOO_CFG_EXTRA, ZOO_NEW');
    const plan = planRollout([want], new Map([[1, o]]));
    assert.equal(plan.rolling[0]?.reason, 'configuration old → new: image zookeeper:3.9 → zookeeper:3.9.2; environment ZOO_CFG_EXTRA, ZOO_NEW (follower)');
    assert.doesNotMatch(plan.rolling[0]!.reason, /secret/);
    assert.equal(whatChanged(want, { ...running('follower') }), '', 'nothing to name without inspection data');
  });
});

describe('rollout order', () => {
  it('replaces a running server that is not serving first: it costs the quorum nothing', () => {
    const observed = new Map<number, ObservedServer>([
      [1, running('follower')],
      [2, running('leader')],
      [3, { exists: true, running: true, configHash: 'old', status: 'restarting', restartCount: 4 }], // a crashing container
    ]);
    const plan = planRollout(desired(3), observed);
    assert.deepEqual(plan.rolling.map((a) => a.name), ['zk3', 'zk1', 'zk2']);
    assert.equal(plan.refusal, undefined);
  });

  it('recomputes the next step from what runs now: a new leader goes last, a dead server first', () => {
    const d = desired(3);
    const pending = [2, 3].map((id) => ({ serverId: id }));
    // server 3 was the leader when the rollout started; it crashed and server 2 took over
    const observed = new Map<number, ObservedServer>([
      [1, running('follower', 'new')],
      [2, running('leader')],
      [3, { exists: true, running: false, configHash: 'old', status: 'exited', exitCode: 137 }],
    ]);
    assert.deepEqual(nextStep(pending, d, observed), { serverId: 3 });
    observed.set(3, running('follower'));
    assert.deepEqual(nextStep(pending, d, observed), { serverId: 3 });
    observed.set(2, running('follower'));
    observed.set(3, running('leader'));
    assert.deepEqual(nextStep(pending, d, observed), { serverId: 2 });
    assert.equal(nextStep([], d, observed), undefined);
  });
});
