// The local driver through the engine, against a Docker engine held in memory: what `up --local`
// refuses before changing anything (a network that says other than the plan, a container zkplan
// did not make), and what `down` removes, in which order.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultInventory } from '../../src/drivers/local/default-inventory.js';
import { localContainers } from '../../src/drivers/local/desired.js';
import { LocalDriver } from '../../src/drivers/local/driver.js';
import { apply, destroy } from '../../src/engine/engine.js';
import type { Host } from '../../src/inventory/types.js';
import { planInventory } from '../../src/plan/plan.js';
import type { HostSession, RunResult } from '../../src/remote/session.js';
import { recordingProgress, TINY_TIMING } from './helpers/fake-target.js';

interface Container {
  name: string;
  running: boolean;
  labels: Record<string, string>;
}

/** A Docker engine in memory: containers, networks and volumes; every change is recorded. */
class FakeEngine {
  readonly containers: Container[] = [];
  readonly networks = new Map<string, { subnet?: string; labels: Record<string, string> }>();
  readonly volumes = new Map<string, Record<string, string>>();
  readonly changes: string[] = [];

  session(): HostSession {
    const host: Host = { name: 'local', address: '127.0.0.1', labels: {}, ssh: {}, stateDir: '', index: 0 };
    return {
      host,
      run: async (argv) => this.run(argv),
      putFiles: async () => {},
      readFile: async () => undefined,
      dial: async () => {
        throw new Error('no dial');
      },
      close: async () => {},
    };
  }

  private run(argv: readonly string[]): RunResult {
    const ok = (stdout = ''): RunResult => ({ code: 0, stdout, stderr: '' });
    const words = argv.slice(1).join(' ');
    const filters = argv.filter((_, i) => argv[i - 1] === '--filter').map((f) => f.replace(/^label=/, '').split('='));
    const labelled = (labels: Record<string, string>) => filters.every(([k, v]) => labels[k!] === v);
    if (words.startsWith('version')) return ok('27.0.1\n');
    if (words.startsWith('image inspect')) return ok('sha256:fake\n');
    if (words.startsWith('network inspect')) {
      const name = argv.at(-1)!;
      const n = this.networks.get(name);
      if (!n) return { code: 1, stdout: '[]', stderr: `Error response from daemon: network ${name} not found\n` };
      return ok(JSON.stringify([{ Name: name, Driver: 'bridge', IPAM: { Config: n.subnet ? [{ Subnet: n.subnet }] : [] }, Labels: n.labels }]));
    }
    if (words.startsWith('container inspect')) {
      const found = this.containers.filter((c) => argv.includes(c.name));
      const state = (c: Container) => ({ Running: c.running, Status: c.running ? 'running' : 'exited', ExitCode: 0 });
      return { code: found.length === argv.length - 3 ? 0 : 1, stdout: JSON.stringify(found.map((c) => ({ Name: `/${c.name}`, State: state(c), RestartCount: 0, Config: { Image: 'zookeeper:3.9', Env: [], Labels: c.labels } }))), stderr: 'Error: No such container: zk9\n' };
    }
    if (words.startsWith('ps --all')) return ok(this.containers.filter((c) => labelled(c.labels)).map((c) => `${c.name}\n`).join(''));
    if (words.startsWith('network ls')) return ok([...this.networks].filter(([, n]) => labelled(n.labels)).map(([name]) => `${name}\n`).join(''));
    if (words.startsWith('volume ls')) return ok([...this.volumes].filter(([, l]) => labelled(l)).map(([name]) => `${name}\n`).join(''));
    this.changes.push(words);
    if (words.startsWith('rm --force --volumes -- ')) {
      for (const name of argv.slice(5)) this.containers.splice(this.containers.findIndex((c) => c.name === name), 1);
    } else if (words.startsWith('network rm -- ')) this.networks.delete(argv.at(-1)!);
    else if (words.startsWith('volume rm -- ')) for (const v of argv.slice(4)) this.volumes.delete(v);
    else return { code: 1, stdout: '', stderr: `fake engine: ${words}\n` };
    return ok();
  }
}

const owner = { 'io.zkplan.ensemble': 'zk', 'io.zkplan.local': 'true' };

function setUp(network: 'bridge' | 'static-ip') {
  const ensemble = planInventory(defaultInventory({ network, image: 'zookeeper:3.9' })).ensembles[0]!;
  const engine = new FakeEngine();
  const progress = recordingProgress();
  const driver = new LocalDriver(ensemble, engine.session(), progress);
  const context = { ensemble: 'zk', desired: localContainers(ensemble), driver, progress, timing: TINY_TIMING };
  return { engine, driver, context };
}

const OPTS = { dryRun: false, timeoutMs: 5000, concurrency: 4, forceUnlock: false, command: 'zkplan up --local' };

describe('the local driver through the engine', () => {
  it('refuses a network that says another subnet than the plan, and changes nothing', async () => {
    const { engine, context } = setUp('static-ip');
    engine.networks.set('zk-net', { subnet: '172.18.0.0/16', labels: owner });
    await assert.rejects(apply(context, OPTS), (e: Error) => {
      assert.match(e.message, /^preflight failed; nothing was changed on any host\n {2}local: network: network zk-net exists with subnet 172\.18\.0\.0\/16, the plan says 172\.19\.0\.0\/16;.* run zkplan down to remove it/);
      return true;
    });
    assert.deepEqual(engine.changes, []);
  });

  it('refuses a container by a server’s name that zkplan did not make, and changes nothing', async () => {
    const { engine, context } = setUp('bridge');
    engine.containers.push({ name: 'zk2', running: false, labels: { maintainer: 'someone' } });
    await assert.rejects(apply(context, OPTS), /^OperationalError: local: zk2 exists but was not made by zkplan for ensemble zk: remove or rename it, or set service_prefix; nothing was changed$/);
    assert.deepEqual(engine.changes, []);
  });

  it('refuses containers whose network is gone: they could not start again', async () => {
    const { engine, context } = setUp('bridge');
    engine.containers.push({ name: 'zk1', running: false, labels: { ...owner, 'io.zkplan.server-id': '1' } });
    await assert.rejects(apply(context, OPTS), /network zk-net is missing while zk1 exists: run zkplan down, then zkplan up/);
    assert.deepEqual(engine.changes, []);
  });

  it('down removes the servers, then those the plan no longer has, zkplan’s network, and the volumes only when purging', async () => {
    const { engine, driver, context } = setUp('bridge');
    const server = (id: number) => ({ name: `zk${id}`, running: false, labels: { ...owner, 'io.zkplan.server-id': String(id) } });
    engine.containers.push(server(2), server(1), server(4), { name: 'other', running: true, labels: {} });
    engine.networks.set('zk-net', { labels: owner });
    engine.networks.set('their-net', { labels: {} });
    engine.volumes.set('zk1-data', owner);
    const removed = await destroy(context, { purgeData: false, forceUnlock: false, command: 'zkplan down' });
    assert.deepEqual(removed, ['local/zk1', 'local/zk2']);
    assert.deepEqual(engine.changes, ['rm --force --volumes -- zk1', 'rm --force --volumes -- zk2', 'rm --force --volumes -- zk4', 'network rm -- zk-net']);
    assert.deepEqual(driver.outcome, { network: { name: 'zk-net', action: 'kept' }, strays: ['zk4'], networks: ['zk-net'], volumesRemoved: [], volumesKept: ['zk1-data'] });
    assert.deepEqual(engine.containers.map((c) => c.name), ['other']);

    const again = setUp('bridge');
    again.engine.volumes.set('zk1-data', owner);
    again.engine.volumes.set('mine', {});
    await destroy(again.context, { purgeData: true, forceUnlock: false, command: 'zkplan down' });
    assert.deepEqual(again.engine.changes, ['volume rm -- zk1-data']);
  });
});
