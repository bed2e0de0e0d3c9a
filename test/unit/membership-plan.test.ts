// Each step's configuration of a membership change: the plan's servers with the step's
// membership in their server lines; the last step is the plan itself. Plus the command builders
// the host target runs for it, argv exact.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { movePathsAside, removeAsideDirectories } from '../../src/remote/commands/host.js';
import { asideSuffix } from '../../src/rollout/aside.js';
import { planForMembership } from '../../src/rollout/membership-plan.js';
import { desiredServers } from '../../src/rollout/server-specs.js';
import { planOf } from './golden/support.js';

const hosts = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `h${i + 1}`, address: `192.0.2.${i + 11}`, labels: { idx: i + 1 } }));
const plan = (servers: number) => planOf({ hosts: hosts(7), ensembles: [{ name: 'zk', servers, image: 'zookeeper:3.8.4', network: 'host', data_dir: '/srv/zk', placement: { pin_label: 'idx' } }] });
const participants = (...ids: number[]) => ids.map((id) => ({ id, role: 'participant' as const }));
const serversOf = (d: { spec: { env: [string, string][] } }) => d.spec.env.find(([k]) => k === 'ZOO_SERVERS')![1];

describe('planForMembership', () => {
  it('is the plan itself, byte for byte, when the membership is the planned one', () => {
    const p = plan(5);
    assert.deepEqual(desiredServers(planForMembership(p, participants(1, 2, 3, 4, 5), []), { kind: 'host' }), desiredServers(p, { kind: 'host' }));
  });

  it('a join step runs the planned members of the step only, naming exactly that membership', () => {
    const step = desiredServers(planForMembership(plan(5), participants(1, 2, 3, 4), []), { kind: 'host' });
    assert.deepEqual(step.map((d) => d.serverId), [1, 2, 3, 4]);
    assert.equal(serversOf(step[0]!), 'server.1=192.0.2.11:2888:3888;2181 server.2=192.0.2.12:2888:3888;2181 server.3=192.0.2.13:2888:3888;2181 server.4=192.0.2.14:2888:3888;2181');
  });

  it('a shrink step runs servers the plan no longer has with the step membership, named as the ensemble reported them', () => {
    const reported = [4, 5, 6].map((id) => ({ id, address: `192.0.2.${10 + id}`, quorumPort: 2888, electionPort: 3888, role: 'participant' as const, clientPort: 2181 }));
    const former = [4, 5, 6].map((id) => ({ id, name: `zk${id}`, host: { name: `h${id}`, address: `192.0.2.${10 + id}`, labels: {} } }));
    const step = desiredServers(planForMembership(plan(3), participants(1, 2, 3, 4, 5), reported, former), { kind: 'host' });
    assert.deepEqual(step.map((d) => [d.serverId, d.host, d.name]), [
      [1, 'h1', 'zk1'],
      [2, 'h2', 'zk2'],
      [3, 'h3', 'zk3'],
      [4, 'h4', 'zk4'],
      [5, 'h5', 'zk5'],
    ]);
    const five = step[4]!;
    assert.deepEqual(five.spec.env.find(([k]) => k === 'ZOO_MY_ID'), ['ZOO_MY_ID', '5']);
    assert.deepEqual(five.spec.mounts.map((m) => m.source), ['/srv/zk/zk/5/data', '/srv/zk/zk/5/datalog']);
    // a member neither planned nor reported is not invented
    assert.throws(() => planForMembership(plan(3), participants(1, 2, 3, 7), reported, former), /server\.7 is neither planned nor reported/);
    assert.match(serversOf(five), /server\.5=192\.0\.2\.15:2888:3888;2181$/);
  });
});

describe('membership command builders', () => {
  it('moves paths aside under a name with the UTC time, the reason and the id', () => {
    const suffix = asideSuffix(new Date('2026-11-29T14:41:07.123Z'), 4, 'removed');
    assert.equal(suffix, '.removed-20261129T144107Z-server4');
    assert.deepEqual(movePathsAside(['/srv/zk/zk/4', '/logs/zk/4'], suffix), [
      'sh',
      '-c',
      's=$1; shift; for d in "$@"; do if [ -e "$d" ]; then mv -- "$d" "$d$s" && printf "%s\\n" "$d$s" || exit 1; fi; done',
      'zkplan-aside',
      '.removed-20261129T144107Z-server4',
      '/srv/zk/zk/4',
      '/logs/zk/4',
    ]);
  });

  it('purges what was moved aside (destroy --purge-data)', () => {
    assert.deepEqual(removeAsideDirectories(['/srv/zk/zk']), [
      'sh',
      '-c',
      'for p in "$@"; do for d in "$p"/*.removed-*-server* "$p"/*.stale-*-server*; do if [ -e "$d" ]; then rm -rf -- "$d" || exit 1; fi; done; done',
      'zkplan-purge-aside',
      '/srv/zk/zk',
    ]);
  });
});
