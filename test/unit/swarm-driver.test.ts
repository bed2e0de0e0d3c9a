// The Swarm driver through the engine, against a Swarm held in memory (helpers/fake-swarm.ts):
// what it deploys, in which order, and that a server moving to another node is stopped before
// its pin label moves, goes first (even when it leads), and lands where the plan put it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SwarmDriver } from '../../src/drivers/swarm/driver.js';
import { desiredStack } from '../../src/drivers/swarm/stack.js';
import { apply, destroy, type ApplyOptions } from '../../src/engine/engine.js';
import type { HeldLock } from '../../src/engine/driver.js';
import type { Inventory } from '../../src/inventory/types.js';
import { planInventory } from '../../src/plan/plan.js';
import { desiredServers } from '../../src/rollout/server-specs.js';
import { loadTemplates } from '../../src/render/templates.js';
import { recordingProgress, TINY_TIMING } from './helpers/fake-target.js';
import { FakeSwarm } from './helpers/fake-swarm.js';
import { hosts, inventoryFrom } from './helpers/inventory.js';

const templates = loadTemplates();
const PIN = 'aliyun.node_index';
const MARKER = 'io.zkplan.pin.zk';

/** The deploy lock is the host target's, tested there; this Swarm has no state directory. */
class UnlockedSwarmDriver extends SwarmDriver {
  override async lock(): Promise<HeldLock> {
    return { release: async () => {} };
  }
}

function inventory(pins: Record<number, number>, extra: object = {}): Inventory {
  return inventoryFrom({
    hosts: hosts(4, (i) => (pins[i] !== undefined ? { [PIN]: pins[i]! } : {})).map((h, k) => (k === 0 ? { ...h, swarm: 'manager' } : h)),
    ensembles: [{ name: 'zk', servers: 3, image: 'zookeeper:3.9.4', placement: { pin_label: PIN }, ...extra }],
  });
}

const OPTS: ApplyOptions = { dryRun: false, timeoutMs: 20_000, concurrency: 4, forceUnlock: false, command: 'test' };

async function applyTo(swarm: FakeSwarm, inv: Inventory) {
  const ensemble = planInventory(inv).ensembles[0]!;
  const stack = desiredStack(ensemble, templates);
  const progress = recordingProgress();
  const driver = new UnlockedSwarmDriver(inv, ensemble, stack, swarm.sessions(inv.hosts), progress, { timeoutMs: 5000 });
  const context = { ensemble: 'zk', desired: desiredServers(ensemble, { kind: 'swarm' }), driver, progress, timing: TINY_TIMING, znodeCheck: swarm.znodeCheck };
  return { driver, context, progress, report: await apply(context, OPTS) };
}

describe('the Swarm driver through the engine', () => {
  it('deploys a new stack: labels first, the new services in one stack file deployed once, each on its node', async () => {
    const inv = inventory({ 1: 1, 2: 2, 3: 3 });
    const swarm = new FakeSwarm(inv.hosts, {}, 3);
    const { report } = await applyTo(swarm, inv);
    assert.equal(report.ok, true);
    assert.deepEqual(report.rollout.counts, { create: 3, change: 0, unchanged: 0 });
    assert.deepEqual(swarm.ops, [
      `label h1 +${PIN}=1 +${MARKER}=${PIN}`,
      `label h2 +${PIN}=2 +${MARKER}=${PIN}`,
      `label h3 +${PIN}=3 +${MARKER}=${PIN}`,
      'deploy zk_zk1 on h1',
      'deploy zk_zk2 on h2',
      'deploy zk_zk3 on h3',
    ]);
    assert.deepEqual(report.labels?.length, 3);
    assert.ok(swarm.files.has('/etc/zkplan/zk/swarm/docker-stack.yml'), [...swarm.files.keys()].join(', '));
    // created side by side: one `docker stack deploy` of a file holding the three services
    const steps = [...swarm.files.keys()].filter((f) => f.includes('/step-'));
    assert.deepEqual(steps, ['/etc/zkplan/zk/swarm/step-zk1_zk2_zk3.yml']);
    assert.match(swarm.files.get(steps[0]!)!, /zk1:[\s\S]*zk2:[\s\S]*zk3:/);
  });

  it('deploys nothing and relabels nothing when the stack is as planned', async () => {
    const inv = inventory({ 1: 1, 2: 2, 3: 3 });
    const swarm = new FakeSwarm(inv.hosts, {}, 3);
    await applyTo(swarm, inv);
    swarm.ops.length = 0;
    const { report } = await applyTo(swarm, inv);
    assert.deepEqual(report.rollout.counts, { create: 0, change: 0, unchanged: 3 });
    assert.deepEqual(swarm.ops, []);
    assert.deepEqual(report.labels, []);
  });

  it('moves a server that changes node first, even the leader: stopped, relabelled, then deployed where planned', async () => {
    const swarm = new FakeSwarm(inventory({}).hosts, {}, 3);
    await applyTo(swarm, inventory({ 1: 1, 2: 2, 3: 3 }));
    swarm.ops.length = 0;
    // zk3 leads (the highest id up); the inventory moves it to h4: every address list changes
    const { report } = await applyTo(swarm, inventory({ 1: 1, 2: 2, 4: 3 }));
    assert.equal(report.ok, true, JSON.stringify(report.health?.problems));
    assert.deepEqual(report.rollout.rolling.map((a) => a.name), ['zk_zk3', 'zk_zk1', 'zk_zk2']);
    assert.match(report.rollout.rolling[0]!.reason, /moves from h3 \(leader\)$/);
    assert.deepEqual(swarm.ops, [
      'scale zk_zk3=0',
      `label h3 -${PIN} -${MARKER}`,
      `label h4 +${PIN}=3 +${MARKER}=${PIN}`,
      'deploy zk_zk3 on h4',
      'deploy zk_zk1 on h1',
      'deploy zk_zk2 on h2',
    ]);
    assert.deepEqual(swarm.placement(), { zk_zk1: 'h1', zk_zk2: 'h2', zk_zk3: 'h4' });
    assert.deepEqual([...(report.labels ?? [])].sort(), [`h3: -${PIN} -${MARKER}`, `h4: +${PIN}=3 +${MARKER}=${PIN}`]);
  });

  it('over the overlay only the label moves: the one server is moved in a step of its own, never rescheduled by Swarm', async () => {
    const swarm = new FakeSwarm(inventory({}).hosts, {}, 3);
    await applyTo(swarm, inventory({ 1: 1, 2: 2, 3: 3 }, { network: 'overlay' }));
    swarm.ops.length = 0;
    const { report } = await applyTo(swarm, inventory({ 1: 1, 2: 2, 4: 3 }, { network: 'overlay' }));
    assert.deepEqual(report.rollout.counts, { create: 0, change: 1, unchanged: 2 });
    assert.deepEqual(swarm.ops, ['scale zk_zk3=0', `label h3 -${PIN} -${MARKER}`, `label h4 +${PIN}=3 +${MARKER}=${PIN}`, 'deploy zk_zk3 on h4']);
    assert.ok(!swarm.ops.some((o) => o.startsWith('reschedule')));
  });

  it('destroys followers first, the leader last, then the rest of the stack and zkplan’s labels', async () => {
    const inv = inventory({ 1: 1, 2: 2, 3: 3 });
    const swarm = new FakeSwarm(inv.hosts, {}, 3);
    const { context } = await applyTo(swarm, inv);
    swarm.ops.length = 0;
    const removed = await destroy(context, { purgeData: false, forceUnlock: false, command: 'test' });
    // zk3 leads: the highest id among equals
    assert.deepEqual(removed, ['h1/zk_zk1', 'h2/zk_zk2', 'h3/zk_zk3']);
    assert.deepEqual(swarm.ops, [
      'remove zk_zk1',
      'remove zk_zk2',
      'remove zk_zk3',
      'stack rm zk',
      `label h1 -${MARKER} -${PIN}`,
      `label h2 -${MARKER} -${PIN}`,
      `label h3 -${MARKER} -${PIN}`,
    ]);
    assert.deepEqual([...swarm.files.keys()], [], 'the stack files on the manager are gone');
  });
});
