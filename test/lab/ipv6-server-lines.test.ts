// IPv6 host addresses in server lines, read by ZooKeeper's own parser (QuorumPeerConfig of the
// Debian 3.8.0 jars the lab images run): the bracketed lines zkplan renders parse to the right
// addresses, the unbracketed ones it rendered before do not. For bitnami the lines are those
// the lab image's libzookeeper.sh logic writes from zkplan's ZOO_SERVERS. Needs the lab's
// packages (openjdk-17-jdk-headless, libzookeeper-java) and, for bitnami, one lab host.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { planInventory } from '../../src/plan/plan.js';
import type { EnsemblePlan } from '../../src/plan/types.js';
import { imageProfile } from '../../src/render/profiles/index.js';
import { addressingFor } from '../../src/render/server-line.js';
import { inventoryFrom } from '../unit/helpers/inventory.js';
import { IMAGES, type Lab, labUp, run } from './lab.js';

const CLASSPATH = ['zookeeper', 'zookeeper-jute', 'slf4j-api'].map((j) => `/usr/share/java/${j}.jar`).join(':');

const PARSER = `
import java.io.StringReader;
import java.net.InetSocketAddress;
import java.util.Properties;
import org.apache.zookeeper.server.quorum.QuorumPeerConfig;
import org.apache.zookeeper.server.quorum.QuorumPeer.QuorumServer;

public class ParseServers {
  public static void main(String[] args) throws Exception {
    Properties p = new Properties();
    p.load(new StringReader(new String(System.in.readAllBytes())));
    QuorumPeerConfig c = new QuorumPeerConfig();
    c.parseProperties(p);
    for (QuorumServer s : c.getServers().values()) {
      InetSocketAddress quorum = s.addr.getAllAddresses().iterator().next();
      InetSocketAddress election = s.electionAddr.getAllAddresses().iterator().next();
      System.out.println(s.id + " " + quorum.getAddress().getHostAddress() + " " + quorum.getPort() + " " + election.getPort() + " " + s.clientAddr.getPort());
    }
  }
}
`;

function plan(profile: 'official' | 'bitnami', addresses: string[]): EnsemblePlan {
  const image = profile === 'official' ? 'zookeeper:3.9.4' : 'bitnamilegacy/zookeeper:3.9.3';
  return planInventory(
    inventoryFrom({
      hosts: addresses.map((address, i) => ({ name: `h${i + 1}`, address, labels: { idx: i + 1 } })),
      ensembles: [{ name: 'zk', servers: 3, image, profile, placement: { pin_label: 'idx' } }],
    }),
  ).ensembles[0]!;
}

function env(e: EnsemblePlan): Map<string, string> {
  return new Map(imageProfile(e.profile).environment(e.servers[0]!, e, addressingFor(e, 'resolved', {})));
}

describe('IPv6 server lines through ZooKeeper 3.8 QuorumPeerConfig', { timeout: 300_000 }, () => {
  let dir: string;
  let lab: Lab;

  /** ZooKeeper's reading of a zoo.cfg holding these server lines: `id address quorum election client` per server. */
  const parse = async (serverLines: string[]) => {
    const cfg = ['tickTime=2000', 'initLimit=5', 'syncLimit=2', `dataDir=${dir}`, ...serverLines].join('\n');
    return run(['java', '-cp', CLASSPATH, path.join(dir, 'ParseServers.java')], { input: cfg, allowFail: true });
  };

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'zkplan-ipv6-'));
    await writeFile(path.join(dir, 'ParseServers.java'), PARSER);
    await writeFile(path.join(dir, 'myid'), '1\n');
  });

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('official: the rendered bracketed lines parse to the hosts, the unbracketed form is refused', async () => {
    const lines = env(plan('official', ['2001:db8::11', '2001:db8::12', '2001:db8::13'])).get('ZOO_SERVERS')!.split(' ');
    assert.equal(lines[0], 'server.1=[2001:db8::11]:2888:3888;2181');
    const r = await parse(lines);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), [1, 2, 3].map((i) => `${i} 2001:db8:0:0:0:0:0:${10 + i} 2888 3888 2181`));
    const old = await parse(lines.map((l) => l.replace(/\[|\]/g, '')));
    assert.notEqual(old.code, 0);
    assert.match(old.stderr, /does not have the form server_config/);
  });

  it('bitnami: libzookeeper.sh turns zkplan\'s ZOO_SERVERS into lines ZooKeeper parses', async () => {
    lab = await labUp(3);
    const e = env(plan('bitnami', ['2001:db8:0:0:0:0:0:11', '2001:db8:0:0:0:0:0:12', '2001:db8:0:0:0:0:0:13']));
    const args = ['run', '--rm', '--entrypoint', 'sh'];
    for (const [k, v] of e) args.push('-e', `${k}=${v}`);
    args.push(IMAGES.bitnami, '-c', '/opt/bitnami/scripts/zookeeper/setup.sh && cat /opt/bitnami/zookeeper/conf/zoo.cfg');
    const setup = await lab.docker(1, args, { allowFail: true });
    assert.equal(setup.code, 0, setup.stderr);
    const lines = setup.stdout.split('\n').filter((l) => l.startsWith('server.'));
    assert.deepEqual(lines, [1, 2, 3].map((i) => `server.${i}=[2001:db8:0:0:0:0:0:${10 + i}]:2888:3888;2181`));
    const r = await parse(lines);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), [1, 2, 3].map((i) => `${i} 2001:db8:0:0:0:0:0:${10 + i} 2888 3888 2181`));
  });
});
