// The one `docker run` builder: the exact argv of every variant a container spec can take, as
// Kamal's command tests pin theirs. A change here changes what runs on every host.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { shellCommand } from '../../src/common/shell.js';
import { dockerRun, dockerRunLines, recreateContainer, removeContainer } from '../../src/remote/commands/docker.js';
import type { ContainerSpec } from '../../src/rollout/spec.js';
import { bridge, host } from './helpers/container-specs.js';

describe('dockerRun', () => {
  it('host networking, bind mounts, env file: the host target', () => {
    assert.deepEqual(dockerRun(host, { envFile: '/etc/zkplan/zk/zk1.env' }), [
      'docker', 'run', '--detach',
      '--name', 'zk1',
      '--network', 'host',
      '--restart', 'always',
      '--volume', '/var/lib/zk/1/data:/data',
      '--volume', '/var/lib/zk/1/datalog:/datalog',
      '--env-file', '/etc/zkplan/zk/zk1.env',
      '--label', 'io.zkplan.ensemble=zk',
      '--label', 'io.zkplan.server-id=1',
      '--label', 'io.zkplan.config-hash=0123456789abcdef',
      'zookeeper:3.9.4',
    ]);
  });

  it('without an env file: every entry as --env, in order', () => {
    assert.deepEqual(dockerRun(host).filter((_, i, a) => a[i - 1] === '--env'), [
      'ZOO_MY_ID=1',
      'ZOO_SERVERS=server.1=10.0.0.1:2888:3888;2181 server.2=10.0.0.2:2888:3888;2181',
    ]);
    assert.ok(!dockerRun(host).includes('--env-file'));
  });

  it('a user-defined bridge: hostname, network, published client port, named volume', () => {
    assert.deepEqual(dockerRun(bridge), [
      'docker', 'run', '--detach',
      '--name', 'zk1',
      '--hostname', 'zk1',
      '--network', 'zk-net',
      '--publish', '127.0.0.1:2181:2181',
      '--restart', 'always',
      '--volume', 'zk1-data:/data',
      '--env', 'ZOO_MY_ID=1',
      '--label', 'io.zkplan.ensemble=zk',
      'zookeeper:3.9.4',
    ]);
  });

  it('links: one --link per peer, after the network', () => {
    const argv = dockerRun({ ...bridge, ports: [], network: { kind: 'named', name: 'foo', links: ['zk2:zknode2', 'zk3:zknode3'] } });
    assert.deepEqual(argv.slice(3, 13), ['--name', 'zk1', '--hostname', 'zk1', '--network', 'foo', '--link', 'zk2:zknode2', '--link', 'zk3:zknode3']);
  });

  it('a static IP: --ip right after the network', () => {
    const argv = dockerRun({ ...bridge, ports: [], network: { kind: 'named', name: 'foo', ip: '172.19.128.2' } });
    assert.deepEqual(argv.slice(7, 11), ['--network', 'foo', '--ip', '172.19.128.2']);
  });

  it('published ports: an IPv6 address in brackets, no address for every address', () => {
    const argv = dockerRun({ ...bridge, ports: [{ address: '::1', published: 2182, target: 2181 }, { published: 8080, target: 8080 }] });
    assert.deepEqual(argv.filter((_, i, a) => a[i - 1] === '--publish'), ['[::1]:2182:2181', '8080:8080']);
  });

  it('memory limit, user, read-only mount, restart policy and command when the spec sets them', () => {
    const argv = dockerRun({ ...bridge, ports: [], memoryBytes: 2147483648, user: '1000:1000', restart: 'unless-stopped', mounts: [{ kind: 'bind', source: '/etc/zk', target: '/conf', readOnly: true }], command: ['zkServer.sh', 'start-foreground'] });
    assert.deepEqual(argv.slice(7), [
      '--network', 'zk-net',
      '--restart', 'unless-stopped',
      '--user', '1000:1000',
      '--memory', '2147483648',
      '--volume', '/etc/zk:/conf:ro',
      '--env', 'ZOO_MY_ID=1',
      '--label', 'io.zkplan.ensemble=zk',
      'zookeeper:3.9.4', 'zkServer.sh', 'start-foreground',
    ]);
  });

  it('Swarm-only fields (placement, dnsrr) do not reach docker run', () => {
    const argv = dockerRun({ ...bridge, placement: 'node.labels.x == 1', network: { kind: 'named', name: 'zk-net', dnsrr: true } });
    assert.deepEqual(argv, dockerRun(bridge));
  });

  it('hostile values stay single words, through argv and through the shell', () => {
    const evil = `x'; touch /tmp/pwned; echo "$(id)" \`id\` $HOME`;
    const spec: ContainerSpec = { ...bridge, env: [['A', evil]], labels: { 'io.zkplan.ensemble': evil }, mounts: [{ kind: 'bind', source: `/d/${evil}`, target: '/data' }] };
    const argv = dockerRun(spec);
    assert.ok(argv.includes(`A=${evil}`) && argv.includes(`io.zkplan.ensemble=${evil}`) && argv.includes(`/d/${evil}:/data`));
    // Through the one quoting function, a shell hands docker exactly these words.
    const r = spawnSync('/bin/sh', ['-c', `docker() { for a in "$@"; do printf '%s\\0' "$a"; done; }; ${shellCommand(argv)}`], { encoding: 'utf8' });
    assert.deepEqual(r.stdout.split('\0').slice(0, -1), argv.slice(1));
  });

  it('refuses an image docker would read as an option', () => {
    assert.throws(() => dockerRun({ ...host, image: '--privileged' }), /image "--privileged" would be read as an option/);
  });

  it('dockerRunLines: one option per group, the image last; flattened it is dockerRun', () => {
    const lines = dockerRunLines(bridge);
    assert.deepEqual(lines[0], ['docker', 'run', '--detach']);
    assert.deepEqual(lines.at(-1), ['zookeeper:3.9.4']);
    assert.ok(lines.slice(1, -1).every((l) => l.length === 2 && l[0]!.startsWith('--')));
    assert.deepEqual(lines.flat(), dockerRun(bridge));
  });
});

describe('recreateContainer', () => {
  it('host directories, the old container removed, then the one docker run', () => {
    assert.deepEqual(recreateContainer(host, { envFile: '/e/zk1.env' }), [
      ['mkdir', '-p', '--', '/var/lib/zk/1/data', '/var/lib/zk/1/datalog'],
      ['sh', '-c', 'docker rm -f -v -- "$1" >/dev/null 2>&1 || true', 'zkplan-rm', 'zk1'],
      dockerRun(host, { envFile: '/e/zk1.env' }),
    ]);
    assert.deepEqual(removeContainer('zk1'), recreateContainer(host)[1]);
  });

  it('named volumes need no directories', () => {
    assert.deepEqual(recreateContainer(bridge), [removeContainer('zk1'), dockerRun(bridge)]);
  });
});
