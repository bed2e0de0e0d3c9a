// `zkplan up --local` / `zkplan down` for real, on one lab host's Docker engine, for each of the
// reference article's single-host methods (user-defined network, link aliases, static IPs).
//
// The CLI runs inside the lab host's network namespace (nsenter --net) with DOCKER_HOST set to
// that host's daemon, exactly as it would run on a developer's machine: the published client
// ports are on that namespace's loopback. The test checks independently of the CLI's own verify:
// it reaches the loopback ports through `nsenter … nc` as a Dial for src/verify, writes a znode
// through one server and reads it through another, and inspects the engine with docker.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { LocalDownReport } from '../../src/cli/down.js';
import type { LocalUpReport } from '../../src/cli/up.js';
import type { Dial } from '../../src/verify/dial.js';
import { writeAndReadBack } from '../../src/verify/znode.js';
import { openSession } from '../../src/verify/zk-session.js';
import { IMAGES, labUp, run, type ExecResult, type Lab, type LabHost, netnsDial, zkplanInNetns as zkplan } from './lab.js';

const HOST = 1;
const METHODS = ['bridge', 'links', 'static-ip'] as const;
const OWNED = ['--filter', 'label=io.zkplan.local=true'];
/** The lab image under a second name: a changed image for the rollout, without a registry. */
const RETAGGED = 'zkplan-lab/zookeeper-retagged:3.8.0';

/** Progress lines of one step (`local  verify  ok  …`) on stderr. */
function stepsOf(stderr: string, step: string): string[] {
  return stderr.split('\n').filter((l) => new RegExp(`^\\s*[\\d.]+s\\s+local\\s+${step}\\s`).test(l));
}

function show(r: ExecResult): string {
  return `exit ${r.code}\n--- stderr\n${r.stderr}\n--- stdout\n${r.stdout}`;
}

describe('zkplan up --local / down on a lab engine', { timeout: 1_200_000 }, () => {
  let lab: Lab;
  let host: LabHost;
  const docker = (args: string[]) => lab.docker(HOST, args, { allowFail: true });
  const lines = async (args: string[]) => (await docker(args)).stdout.split('\n').filter(Boolean).sort();

  before(async () => {
    lab = await labUp(3);
    host = lab.host(HOST);
    assert.deepEqual(await lines(['ps', '-aq', ...OWNED]), [], 'no local ensemble left from an earlier run');
  });

  after(async () => {
    // Also after a failure: the CLI's own down, then anything it may have missed.
    if (!host) return;
    await zkplan(host, ['down', '--purge-data', '--yes']);
    const ids = await lines(['ps', '-aq', ...OWNED]);
    if (ids.length) await docker(['rm', '-f', '-v', ...ids]);
    for (const n of await lines(['network', 'ls', '-q', ...OWNED])) await docker(['network', 'rm', n]);
    const vols = await lines(['volume', 'ls', '-q', ...OWNED]);
    if (vols.length) await docker(['volume', 'rm', ...vols]);
    await docker(['rmi', RETAGGED]);
  });

  for (const method of METHODS) {
    it(`${method}: up → proven, znode across servers, up again changes nothing, down leaves nothing`, async (t) => {
      // Earlier test files share this engine: "nothing left" means what was there before.
      const volumesBefore = await lines(['volume', 'ls', '-q']);
      const containersBefore = await lines(['ps', '-aq']);
      const started = Date.now();
      const up = await zkplan(host, ['up', '--local', '--network', method, '--image', IMAGES.official, '--timeout', '240', '--json']);
      const upMs = Date.now() - started;
      assert.equal(up.code, 0, show(up));
      const [report] = JSON.parse(up.stdout) as LocalUpReport[];
      assert.ok(report);
      assert.equal(report.ok, true);
      assert.deepEqual(report.rollout.counts, { create: 3, change: 0, unchanged: 0 });
      assert.equal(report.network.action, 'created');
      assert.equal(report.connectString, '127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183');
      assert.deepEqual(report.health.servers.map((s) => s.mode).sort(), ['follower', 'follower', 'leader']);
      assert.match(up.stderr, /connect string 127\.0\.0\.1:2181,127\.0\.0\.1:2182,127\.0\.0\.1:2183/);
      t.diagnostic(`${method}: zkplan up --local → proven ensemble in ${(upMs / 1000).toFixed(1)} s (verify ${(report.health.elapsedMs / 1000).toFixed(1)} s)`);

      // The engine holds what the method says.
      const inspect = JSON.parse((await docker(['container', 'inspect', 'zk1', 'zk2', 'zk3'])).stdout) as {
        Id: string;
        State: { Running: boolean; StartedAt: string };
        NetworkSettings: { Networks: Record<string, { IPAMConfig: { IPv4Address?: string } | null; Links: string[] | null }> };
        HostConfig: { PortBindings: Record<string, { HostIp: string; HostPort: string }[]> };
      }[];
      assert.ok(inspect.every((c) => c.State.Running));
      assert.deepEqual(inspect.map((c) => Object.keys(c.NetworkSettings.Networks)), [['zk-net'], ['zk-net'], ['zk-net']]);
      assert.deepEqual(inspect.map((c) => c.HostConfig.PortBindings['2181/tcp']), [1, 2, 3].map((i) => [{ HostIp: '127.0.0.1', HostPort: `218${i}` }]));
      const net = JSON.parse((await docker(['network', 'inspect', 'zk-net'])).stdout)[0] as { Labels: Record<string, string>; IPAM: { Config: { Subnet: string; Gateway?: string; IPRange?: string }[] } };
      assert.equal(net.Labels['io.zkplan.local'], 'true');
      if (method === 'static-ip') {
        assert.deepEqual(inspect.map((c) => c.NetworkSettings.Networks['zk-net']!.IPAMConfig?.IPv4Address), ['172.19.128.1', '172.19.128.2', '172.19.128.3']);
        assert.deepEqual(net.IPAM.Config[0], { Subnet: '172.19.0.0/16', Gateway: '172.19.0.1', IPRange: '172.19.0.0/17' });
      }
      if (method === 'links') {
        assert.deepEqual(inspect.map((c) => c.NetworkSettings.Networks['zk-net']!.Links), [
          ['zk2:zknode2', 'zk3:zknode3'],
          ['zk1:zknode1', 'zk3:zknode3'],
          ['zk1:zknode1', 'zk2:zknode2'],
        ]);
      }

      // A znode written through zk1 (127.0.0.1:2181) is read through zk3 (127.0.0.1:2183).
      const znode = await writeAndReadBack(
        [
          { id: 1, address: '127.0.0.1', port: 2181 },
          { id: 3, address: '127.0.0.1', port: 2183 },
        ],
        netnsDial(host),
        { timeoutMs: 60_000, path: `/lab-local-${method}` },
      );
      assert.equal(znode.writtenVia, 1, JSON.stringify(znode));
      assert.deepEqual(znode.readVia, [{ id: 3, ok: true }]);

      // Up again: nothing is re-created.
      const again = await zkplan(host, ['up', '--local', '--network', method, '--image', IMAGES.official, '--timeout', '240', '--json']);
      assert.equal(again.code, 0, show(again));
      let [second] = JSON.parse(again.stdout) as LocalUpReport[];
      assert.deepEqual(second!.rollout.counts, { create: 0, change: 0, unchanged: 3 });
      assert.equal(second!.network.action, 'kept');
      assert.equal(second!.ok, true);
      const after = JSON.parse((await docker(['container', 'inspect', 'zk1', 'zk2', 'zk3'])).stdout) as typeof inspect;
      assert.deepEqual(after.map((c) => [c.Id, c.State.StartedAt]), inspect.map((c) => [c.Id, c.State.StartedAt]));

      if (method === 'bridge') {
        // A changed image replaces the running servers one at a time, the leader last, each
        // step verified; the data volumes carry a znode across the replacement.
        const writer = await openSession(netnsDial(host), '127.0.0.1', 2182, 60_000);
        await writer.create('/lab-local-keep', Buffer.from('kept'));
        await writer.close();
        const leaderBefore = second!.health.servers.find((s) => s.mode === 'leader')!.id;
        await docker(['tag', IMAGES.official, RETAGGED]);
        const changed = await zkplan(host, ['up', '--local', '--network', method, '--image', RETAGGED, '--timeout', '300', '--json']);
        assert.equal(changed.code, 0, show(changed));
        const [third] = JSON.parse(changed.stdout) as LocalUpReport[];
        assert.deepEqual(third!.rollout.counts, { create: 0, change: 3, unchanged: 0 });
        assert.equal(third!.rollout.rolling.length, 3);
        assert.equal(third!.rollout.rolling.at(-1)!.name, `zk${leaderBefore}`, 'the leader is replaced last');
        assert.equal(third!.ok, true);
        assert.equal(stepsOf(changed.stderr, 'verify').filter((l) => /ensemble whole again after replacing/.test(l)).length, 3, 'verified after every replacement');
        const replaced = JSON.parse((await docker(['container', 'inspect', 'zk1', 'zk2', 'zk3'])).stdout) as typeof inspect;
        assert.ok(replaced.every((c, i) => c.Id !== inspect[i]!.Id));
        const reader = await openSession(netnsDial(host), '127.0.0.1', 2183, 60_000);
        try {
          assert.equal((await reader.getData('/lab-local-keep')).toString(), 'kept');
          await reader.removeRecursive('/lab-local-keep');
        } finally {
          await reader.close();
        }
        t.diagnostic(`bridge: image change rolled through 3 servers (leader zk${leaderBefore} last) in ${(third!.elapsedMs / 1000).toFixed(1)} s`);
        // Back to the first image so the checks below see the ensemble `up` made.
        const back = await zkplan(host, ['up', '--local', '--network', method, '--image', IMAGES.official, '--timeout', '300', '--json']);
        assert.equal(back.code, 0, show(back));
        second = (JSON.parse(back.stdout) as LocalUpReport[])[0];
      }

      // Down: containers and network go, the data volumes stay.
      const down = await zkplan(host, ['down', '--json']);
      assert.equal(down.code, 0, show(down));
      const [removed] = JSON.parse(down.stdout) as LocalDownReport[];
      assert.deepEqual([...removed!.containers].sort(), ['zk1', 'zk2', 'zk3']);
      const leader = second!.health.servers.find((s) => s.mode === 'leader')!.id;
      assert.equal(removed!.containers.at(-1), `zk${leader}`, 'the leader is removed last');
      assert.deepEqual(removed!.networks, ['zk-net']);
      assert.deepEqual(await lines(['ps', '-aq', ...OWNED]), []);
      assert.deepEqual(await lines(['network', 'ls', '--format', '{{.Name}}', '--filter', 'name=zk-net']), []);
      const volumes = ['zk1-data', 'zk1-datalog', 'zk2-data', 'zk2-datalog', 'zk3-data', 'zk3-datalog'];
      assert.deepEqual(await lines(['volume', 'ls', '-q', ...OWNED]), volumes);

      // Down --purge-data: the volumes go too, and nothing of the ensemble is left.
      const purge = await zkplan(host, ['down', '--purge-data', '--yes']);
      assert.equal(purge.code, 0, show(purge));
      assert.match(purge.stdout, /no containers; no network of zkplan's; volumes .* removed/);
      assert.deepEqual(await lines(['volume', 'ls', '-q']), volumesBefore);
      assert.deepEqual(await lines(['ps', '-aq']), containersBefore);
    });
  }
});
