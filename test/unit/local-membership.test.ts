// Membership changes on the local engine without an engine: the command builders (exact argv),
// each step's containers (a former server keeps its own port, address and alias; the last step is
// the plan itself), former servers read from `docker container inspect`, and moving volumes aside
// against a recording session (copy, then remove; a missing volume skipped; a failing engine named).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultInventory } from '../../src/drivers/local/default-inventory.js';
import { localContainers } from '../../src/drivers/local/desired.js';
import { LocalDriver } from '../../src/drivers/local/driver.js';
import { formerFromInspect, localMembershipSupport, localStepPlan, moveVolumesAside } from '../../src/drivers/local/membership.js';
import type { FormerServer } from '../../src/engine/driver.js';
import type { Host, SingleHostNetwork } from '../../src/inventory/types.js';
import { planInventory } from '../../src/plan/plan.js';
import { copyVolume, inspectVolume, stopContainer } from '../../src/remote/commands/docker-local.js';
import type { HostSession, RunResult } from '../../src/remote/session.js';
import { asideSuffix } from '../../src/rollout/aside.js';
import { desiredServers } from '../../src/rollout/server-specs.js';
import type { ConfServer } from '../../src/verify/four-letter-parse.js';
import { recordingProgress } from './helpers/fake-target.js';

const IMAGE = 'zkplan-lab/zookeeper:3.8.0';

function ensembleOf(network: SingleHostNetwork, servers: number) {
  const inventory = defaultInventory({ network, image: IMAGE });
  inventory.ensembles[0]!.servers = servers;
  return planInventory(inventory).ensembles[0]!;
}

const envOf = (spec: { env: [string, string][] }, key: string) => spec.env.find(([k]) => k === key)?.[1];

/** What the leader of the 5-server ensemble reports in `conf` for every member. */
function reportedOf(network: SingleHostNetwork): ConfServer[] {
  const address = (id: number) => (network === 'static-ip' ? `172.19.128.${id}` : network === 'links' ? `zknode${id}` : `zk${id}`);
  return [1, 2, 3, 4, 5].map((id) => ({ id, address: address(id), quorumPort: 2888, electionPort: 3888, role: 'participant' as const, clientPort: 2181 }));
}

const former = (id: number): FormerServer => ({ serverId: id, host: 'local', name: `zk${id}`, running: true, member: { id, role: 'participant', address: '127.0.0.1', port: 2180 + id } });
const members = (ids: number[]) => ids.map((id) => ({ id, role: 'participant' as const }));

describe('local membership command builders', () => {
  it('inspect a volume, copy one into another with the ensemble\'s image, stop a container', () => {
    assert.deepEqual(inspectVolume('zk4-data'), ['docker', 'volume', 'inspect', '--', 'zk4-data']);
    assert.deepEqual(copyVolume(IMAGE, 'zk4-data', 'zk4-data.removed-20261129T174100Z-server4'), [
      'docker', 'run', '--rm', '--network', 'none', '--user', '0:0', '--entrypoint', 'cp',
      '--mount', 'type=volume,source=zk4-data,target=/from,readonly',
      '--mount', 'type=volume,source=zk4-data.removed-20261129T174100Z-server4,target=/to',
      '--', IMAGE, '-a', '/from/.', '/to/',
    ]);
    assert.throws(() => copyVolume('--privileged', 'a', 'b'), /would be read as an option/);
    assert.deepEqual(stopContainer('zk5'), ['docker', 'stop', '--', 'zk5']);
  });
});

describe('each step\'s containers on the local engine', () => {
  for (const network of ['bridge', 'links', 'static-ip'] as const) {
    it(`${network}: the last step is the plan itself, byte for byte`, () => {
      const e = ensembleOf(network, 3);
      const last = localMembershipSupport(e).desiredFor(members([1, 2, 3]), reportedOf(network), [former(4), former(5)]);
      assert.deepEqual(last, localContainers(e));
    });

    it(`${network}: a former server keeps its own published port${network === 'static-ip' ? ', address' : network === 'links' ? ', alias' : ''} and volumes; the planned ones name it as the ensemble reported it`, () => {
      const e = ensembleOf(network, 3);
      const step = localMembershipSupport(e).desiredFor(members([1, 2, 3, 4]), reportedOf(network), [former(4), former(5)]);
      assert.deepEqual(step.map((d) => d.name), ['zk1', 'zk2', 'zk3', 'zk4']);
      const zk4 = step[3]!.spec;
      assert.deepEqual(zk4.ports, [{ address: '127.0.0.1', published: 2184, target: 2181 }]);
      assert.deepEqual(zk4.mounts.map((m) => m.source), ['zk4-data', 'zk4-datalog']);
      assert.equal(envOf(zk4, 'ZOO_MY_ID'), '4');
      if (network === 'static-ip') assert.deepEqual(zk4.network, { kind: 'named', name: 'zk-net', ip: '172.19.128.4' });
      if (network === 'links') {
        assert.deepEqual(step[0]!.spec.network, { kind: 'named', name: 'zk-net', links: ['zk2:zknode2', 'zk3:zknode3', 'zk4:zknode4'] });
        assert.deepEqual(zk4.network, { kind: 'named', name: 'zk-net', links: ['zk1:zknode1', 'zk2:zknode2', 'zk3:zknode3'] });
      }
      const line4 = reportedOf(network)[3]!.address;
      assert.match(envOf(step[0]!.spec, 'ZOO_SERVERS')!, new RegExp(`server\\.4=${line4.replace(/\./g, '\\.')}:2888:3888;2181$`));
    });

    it(`${network}: a former server runs as the 5-server plan made it, but for its membership`, () => {
      const five = ensembleOf(network, 5);
      const planned5 = desiredServers(localStepPlan(ensembleOf(network, 3), members([1, 2, 3, 4, 5]), reportedOf(network), [former(4), former(5)]), { kind: 'local' });
      const made5 = localContainers(five);
      for (const [i, d] of planned5.entries()) {
        const m = made5[i]!;
        // links: a server names itself by its container name, its peers by their alias
        if (network === 'links') assert.deepEqual({ ...d.spec, env: [], labels: {} }, { ...m.spec, env: [], labels: {} }, `zk${i + 1}: same container but for the server lines`);
        else assert.deepEqual(d.spec, m.spec, `zk${i + 1}`);
      }
    });
  }
});

describe('former servers on the local engine', () => {
  it('are the ensemble\'s containers whose id the plan lacks, with their port and named volumes', () => {
    const e = ensembleOf('bridge', 3);
    const container = (id: number, running: boolean) => ({
      Name: `/zk${id}`,
      State: { Running: running },
      Config: { Labels: { 'io.zkplan.ensemble': 'zk', 'io.zkplan.local': 'true', 'io.zkplan.server-id': String(id) } },
      HostConfig: { PortBindings: { '2181/tcp': [{ HostIp: '127.0.0.1', HostPort: String(2180 + id) }] } },
      Mounts: [
        { Type: 'volume', Name: `zk${id}-data`, Destination: '/data' },
        { Type: 'volume', Name: `zk${id}-datalog`, Destination: '/datalog' },
        // the image's anonymous VOLUME: goes with the container
        { Type: 'volume', Name: 'a3f0c2', Destination: '/logs' },
        { Type: 'bind', Destination: '/etc/x' },
      ],
    });
    const found = formerFromInspect([container(1, true), container(4, true), container(5, false), { ...container(6, true), Config: { Labels: {} } }], new Set([1, 2, 3]), e);
    assert.deepEqual(found, [
      { serverId: 4, host: 'local', name: 'zk4', running: true, volumes: ['zk4-data', 'zk4-datalog'], member: { id: 4, role: 'participant', address: '127.0.0.1', port: 2184 } },
      { serverId: 5, host: 'local', name: 'zk5', running: false, volumes: ['zk5-data', 'zk5-datalog'], member: { id: 5, role: 'participant', address: '127.0.0.1', port: 2185 } },
    ]);
  });
});

describe('moving volumes aside on the local engine', () => {
  const host: Host = { name: 'local', address: '127.0.0.1', labels: {}, ssh: {}, stateDir: '', index: 0 };
  function session(existing: Set<string>, inspectError?: string): { session: HostSession; ran: string[] } {
    const ran: string[] = [];
    const run = async (argv: readonly string[]): Promise<RunResult> => {
      ran.push(argv[2] === 'create' ? argv.slice(1).join(' ') : `${argv.slice(1, 3).join(' ')} ${argv.at(-1)}`);
      if (argv[1] === 'volume' && argv[2] === 'inspect') {
        if (inspectError) return { code: 1, stdout: '', stderr: inspectError };
        return existing.has(argv.at(-1)!) ? { code: 0, stdout: '[{}]', stderr: '' } : { code: 1, stdout: '[]', stderr: `Error response from daemon: get ${argv.at(-1)}: no such volume\n` };
      }
      return { code: 0, stdout: '', stderr: '' };
    };
    return { session: { host, run, putFiles: async () => {}, readFile: async () => undefined, dial: async () => Promise.reject(new Error('no dial')), close: async () => {} }, ran };
  }
  const suffix = asideSuffix(new Date('2026-11-29T14:41:00.123Z'), 4, 'removed');

  it('copies each existing volume into <volume><suffix> with the owner labels, then removes it; a missing one is skipped', async () => {
    const e = ensembleOf('bridge', 3);
    const { session: s, ran } = session(new Set(['zk4-data']));
    const moved = await moveVolumesAside(s, e, ['zk4-data', 'zk4-datalog'], suffix);
    assert.deepEqual(moved, ['zk4-data.removed-20261129T144100Z-server4']);
    assert.deepEqual(ran, [
      'volume inspect zk4-data',
      'volume create --label io.zkplan.ensemble=zk --label io.zkplan.local=true -- zk4-data.removed-20261129T144100Z-server4',
      'run --rm /to/',
      'volume rm zk4-data',
      'volume inspect zk4-datalog',
    ]);
  });

  it('an engine that cannot say whether a volume exists stops the step, naming it', async () => {
    const { session: s } = session(new Set(), 'Cannot connect to the Docker daemon\n');
    await assert.rejects(moveVolumesAside(s, ensembleOf('bridge', 3), ['zk4-data'], suffix), /docker volume inspect zk4-data failed: Cannot connect to the Docker daemon/);
  });
});

describe('the local driver before a membership change', () => {
  it('refuses up front to remove a server on a links network, changing nothing', async () => {
    const e = ensembleOf('links', 3);
    const owner = { 'io.zkplan.ensemble': 'zk', 'io.zkplan.local': 'true' };
    const changes: string[] = [];
    const host: Host = { name: 'local', address: '127.0.0.1', labels: {}, ssh: {}, stateDir: '', index: 0 };
    const ok = (stdout = ''): RunResult => ({ code: 0, stdout, stderr: '' });
    const run = async (argv: readonly string[]): Promise<RunResult> => {
      const words = argv.slice(1).join(' ');
      if (words.startsWith('version')) return ok('27.0.1\n');
      if (words.startsWith('image inspect')) return ok('sha256:fake\n');
      if (words.startsWith('network inspect')) return ok(JSON.stringify([{ Name: 'zk-net', Driver: 'bridge', IPAM: { Config: [] }, Labels: owner }]));
      if (words.startsWith('ps --all')) return ok('zk1\nzk2\nzk3\nzk4\n');
      if (words.startsWith('container inspect')) {
        const ids = argv.slice(3).map((n) => Number(n.replace('zk', '')));
        return ok(JSON.stringify(ids.map((id) => ({ Name: `/zk${id}`, State: { Running: true, Status: 'running', ExitCode: 0 }, Config: { Image: IMAGE, Env: [], Labels: { ...owner, 'io.zkplan.server-id': String(id) } }, HostConfig: { PortBindings: { '2181/tcp': [{ HostPort: String(2180 + id) }] } }, Mounts: [] }))));
      }
      changes.push(words);
      return ok();
    };
    const session: HostSession = { host, run, putFiles: async () => {}, readFile: async () => undefined, dial: async () => Promise.reject(new Error('no dial')), close: async () => {} };
    const driver = new LocalDriver(e, session, recordingProgress());
    const desired = localContainers(e);
    const observed = await driver.observe(desired);
    assert.deepEqual((await driver.formerServers(desired)).map((f) => f.name), ['zk4']);
    const [checks] = await driver.preflight(desired, observed, { dryRun: false });
    assert.equal(checks!.ok, false);
    assert.match(checks!.checks.find((c) => c.name === 'membership')!.detail, /on a links network zkplan cannot remove zk4 from the running membership yet/);
    assert.deepEqual(changes, []);

    // bridge: the same engine is fine
    const bridge = new LocalDriver(ensembleOf('bridge', 3), session, recordingProgress());
    await bridge.observe(desired);
    await bridge.formerServers(desired);
    assert.equal((await bridge.preflight(desired, observed, { dryRun: false }))[0]!.ok, true);
  });
});
