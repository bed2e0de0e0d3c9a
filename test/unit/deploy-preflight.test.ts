// Preflight: the busy-port probe and how its answer, and the clock skew, are judged.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { CLOCK_SKEW_LIMIT_MS, judgeClockSkew, judgeHostMemory, judgePreflight, parseListeningPorts, preflightCommands } from '../../src/drivers/host/preflight.js';
import type { EnsemblePlan } from '../../src/plan/types.js';
import { planInventory } from '../../src/plan/plan.js';
import { listeningPorts } from '../../src/remote/commands/host.js';
import type { HostSession, RunResult } from '../../src/remote/session.js';
import { desiredContainers } from '../../src/rollout/desired.js';
import { inventoryFrom } from './helpers/inventory.js';

const SS = ['LISTEN 0      4096   127.0.0.53%lo:53     0.0.0.0:*', 'LISTEN 0      128    0.0.0.0:2181 0.0.0.0:*', 'LISTEN 0      50     [::]:3888        [::]:*', 'LISTEN 0 50 *:8080 *:*'].join('\n');
// 0x0885 = 2181 listening; 0x0B48 = 2888 only an established connection (state 01); 0x0F30 = 3888 on IPv6.
const PROC_TCP = [
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
  '   0: 00000000:0885 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1145 1 0000000044987c4a 100 0 0 10 0',
  '   1: 0100007F:0B48 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 1146 1 0000000044987c4b 20 4 30 10 -1',
].join('\n');
const PROC_TCP6 = [
  '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
  '   0: 00000000000000000000000000000000:0F30 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1147 1 0000000044987c4c 100 0 0 10 0',
].join('\n');

describe('listening-port probe', () => {
  it('is one sh -c: ss -ltnH, else /proc/net/tcp and tcp6, else exit 127 naming both', () => {
    assert.deepEqual(listeningPorts(), [
      'sh',
      '-c',
      [
        'if command -v ss >/dev/null 2>&1 && ss -ltnH 2>/dev/null; then exit 0; fi',
        'if [ -r /proc/net/tcp ]; then cat /proc/net/tcp || exit; [ ! -r /proc/net/tcp6 ] || exec cat /proc/net/tcp6; exit 0; fi',
        'echo "neither ss -ltnH nor /proc/net/tcp is available" >&2; exit 127',
      ].join('\n'),
    ]);
  });

  const work = mkdtempSync(path.join(tmpdir(), 'zkplan-preflight-'));
  after(() => rmSync(work, { recursive: true, force: true }));

  it('without ss, reads /proc/net/tcp* into ports the judge can parse', () => {
    // A PATH holding only cat: no ss.
    symlinkSync(spawnSync('sh', ['-c', 'command -v cat'], { encoding: 'utf8' }).stdout.trim(), path.join(work, 'cat'));
    const [cmd, ...args] = listeningPorts();
    const r = spawnSync(`/bin/${cmd}`, args, { encoding: 'utf8', env: { PATH: work } });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^\s*sl\s+local_address/);
    const parsed = parseListeningPorts(r.stdout);
    assert.equal(parsed.unreadable, undefined);
  });

  it('on this machine, with whatever it has, answers something the judge can read', () => {
    const [cmd, ...args] = listeningPorts();
    const r = spawnSync(cmd!, args, { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(parseListeningPorts(r.stdout).unreadable, undefined);
  });

  it('with neither ss nor cat, exits 127 and says what is missing', () => {
    const [cmd, ...args] = listeningPorts();
    const r = spawnSync(`/bin/${cmd}`, args, { encoding: 'utf8', env: { PATH: path.join(work, 'empty') } });
    // /proc/net/tcp is readable here but cat is not found: the probe fails instead of passing.
    assert.equal(r.status, 127);
  });
});

describe('parseListeningPorts', () => {
  it('reads the local port of ss -ltnH lines (IPv4, IPv6, interface, wildcard)', () => {
    assert.deepEqual(parseListeningPorts(`${SS}\n`), { ports: new Set([53, 2181, 3888, 8080]) });
  });

  it('reads the hex local port of LISTEN (0A) sockets in /proc/net/tcp and tcp6, and skips other states', () => {
    assert.deepEqual(parseListeningPorts(`${PROC_TCP}\n${PROC_TCP6}\n`), { ports: new Set([2181, 3888]) });
  });

  it('does not trust output it cannot read', () => {
    assert.equal(parseListeningPorts('Usage: ss [ OPTIONS ]\n').unreadable, 'Usage: ss [ OPTIONS ]');
  });
});

describe('judgePreflight', () => {
  const inv = inventoryFrom({
    hosts: [{ name: 'h1', address: '192.0.2.11', labels: {} }],
    ensembles: [{ name: 'zk', servers: 1, image: 'zookeeper:3.9', profile: 'official' }],
  });
  const ensemble = planInventory(inv).ensembles[0]!;
  const containers = desiredContainers(ensemble, () => '/var/lib/zkplan');
  const session = { host: { name: 'h1' }, run: async () => ({ code: 0, stdout: '', stderr: '' }) } as unknown as HostSession;
  const ok = (stdout = ''): RunResult => ({ code: 0, stdout, stderr: '' });
  const clientPort = ensemble.servers[0]!.ports.client;

  async function judge(listening: RunResult | undefined, clock: RunResult = ok(`${Date.now() / 1000}\n`)) {
    const results = new Map<string, RunResult>(preflightCommands(ensemble, containers).map((c) => [c.name, ok()]));
    results.set('docker', ok('27.0.1\n'));
    results.set('clock', clock);
    if (listening) results.set('listening', listening);
    else results.delete('listening');
    const now = Date.now();
    return judgePreflight(session, ensemble, containers, new Map(), { results, startedAt: now, answeredAt: now }, { pull: false });
  }
  const check = async (name: string, ...args: Parameters<typeof judge>) => (await judge(...args)).checks.find((c) => c.name === name)!;

  it('finds the client port busy in ss output', async () => {
    const c = await check('ports', ok(`LISTEN 0 128 0.0.0.0:${clientPort} 0.0.0.0:*\n`));
    assert.deepEqual(c, { name: 'ports', ok: false, detail: `in use by something else: client port ${clientPort}` });
  });

  it('finds the client port busy in /proc/net/tcp6 content', async () => {
    const hex = clientPort.toString(16).toUpperCase().padStart(4, '0');
    const c = await check('ports', ok(`${PROC_TCP6.split('\n')[0]}\n   0: 00000000000000000000000000000000:${hex} 00000000000000000000000000000000:0000 0A 0 0 0 0 0 1\n`));
    assert.equal(c.ok, false);
    assert.match(c.detail, new RegExp(`client port ${clientPort}`));
  });

  it('passes when nothing else holds the ports', async () => {
    const free = await check('ports', ok('LISTEN 0 128 0.0.0.0:22 0.0.0.0:*\n'));
    assert.deepEqual(free, { name: 'ports', ok: true, detail: 'ports free (or held by this ensemble)' });
  });

  it('fails when the probe found no tool (exit 127), naming what was missing', async () => {
    const c = await check('ports', { code: 127, stdout: '', stderr: 'neither ss -ltnH nor /proc/net/tcp is available\n' });
    assert.deepEqual(c, { name: 'ports', ok: false, detail: 'cannot list the listening ports (exit 127): neither ss -ltnH nor /proc/net/tcp is available' });
  });

  it('fails when the probe did not run at all', async () => {
    const result = await judge(undefined);
    assert.equal(result.ok, false);
    assert.match(result.checks.find((c) => c.name === 'ports')!.detail, /cannot list the listening ports \(exit 127\): the check did not run/);
  });

  it('fails on output it cannot read', async () => {
    const c = await check('ports', ok('something else\n'));
    assert.deepEqual(c, { name: 'ports', ok: false, detail: 'cannot read the listening ports from: something else' });
  });

  it('refuses a host whose clock is far off', async () => {
    const c = await check('clock', ok('12.0\n'), ok(`${(Date.now() + 3_600_000) / 1000}\n`));
    assert.equal(c.ok, false);
  });
});

describe('judgeClockSkew', () => {
  it('passes up to 1 s quietly', () => {
    assert.deepEqual(judgeClockSkew(-1000, 4), { name: 'clock', ok: true, detail: 'clock skew -1000 ms (±4 ms)' });
  });

  it('warns above 1 s, still ok', () => {
    assert.deepEqual(judgeClockSkew(1001, 4), { name: 'clock', ok: true, detail: 'warning: clock skew 1001 ms (±4 ms) is above 1 s; check NTP' });
    assert.equal(judgeClockSkew(-CLOCK_SKEW_LIMIT_MS, 4).ok, true);
  });

  it("refuses beyond ZooKeeper's default maxSessionTimeout, 40 s, in either direction", () => {
    assert.equal(CLOCK_SKEW_LIMIT_MS, 20 * 2000);
    for (const skew of [40_001, -40_001]) {
      const c = judgeClockSkew(skew, 4);
      assert.equal(c.ok, false);
      assert.match(c.detail, /exceeds 40 s, ZooKeeper's default maxSessionTimeout \(20 × tickTime 2000 ms\)/);
    }
  });
});

describe('host memory and directories', () => {
  const inv = inventoryFrom({
    hosts: [
      { name: 'h1', address: '192.0.2.11', labels: {} },
      { name: 'h2', address: '192.0.2.12', labels: {} },
    ],
    ensembles: [
      { name: 'a', servers: 1, image: 'zookeeper:3.9', profile: 'official', heap: '3g', data_log_dir: '/fast/zk' },
      { name: 'b', servers: 2, image: 'zookeeper:3.9', profile: 'official', heap: '2g' },
    ],
  });
  const plan = planInventory(inv);
  const [a, b] = plan.ensembles as [EnsemblePlan, EnsemblePlan];
  const host = a.servers[0]!.host.name;
  const meminfo = (kb: number): RunResult => ({ code: 0, stdout: `MemTotal:       ${kb} kB\nMemFree:        1000 kB\n`, stderr: '' });

  it('probes MemTotal only for an ensemble with a heap, and every bind-mounted directory (data and transaction log)', () => {
    const commands = preflightCommands(a, desiredContainers(a, () => '/var/lib/zkplan').filter((c) => c.host === host));
    assert.deepEqual(commands.find((c) => c.name === 'memory')?.argv, ['cat', '/proc/meminfo']);
    const dirs = commands.filter((c) => c.name.startsWith('dir')).map((c) => c.argv.at(-1));
    assert.ok(dirs.some((d) => d?.startsWith('/fast/zk/')), `transaction log directory probed: ${dirs.join(' ')}`);
    assert.equal(dirs.length, new Set(dirs).size);
    const plain = planInventory(inventoryFrom({ hosts: [{ name: 'h1', address: '192.0.2.11', labels: {} }], ensembles: [{ name: 'zk', servers: 1, image: 'zookeeper:3.9', profile: 'official' }] })).ensembles[0]!;
    assert.equal(preflightCommands(plain, desiredContainers(plain, () => '/x')).find((c) => c.name === 'memory'), undefined);
  });

  it('counts the heaps of every ensemble on the host, not only the one applied', () => {
    const both = judgeHostMemory(host, meminfo(4 * 1024 * 1024), [a, b]);
    assert.equal(both.ok, false, 'a 3 GiB heap and a 2 GiB heap do not fit in 4 GiB');
    assert.match(both.detail, new RegExp(`heaps on host ${host}`));
    assert.equal(judgeHostMemory(host, meminfo(4 * 1024 * 1024), [a]).ok, true, 'the 3 GiB heap alone fits');
    assert.equal(judgeHostMemory(host, meminfo(8 * 1024 * 1024), [a, b]).ok, true);
  });

  it('fails when MemTotal cannot be read', () => {
    const c = judgeHostMemory(host, { code: 1, stdout: '', stderr: 'cat: /proc/meminfo: No such file or directory\n' }, [a]);
    assert.deepEqual(c, { name: 'memory', ok: false, detail: 'cannot read MemTotal from /proc/meminfo (exit 1): cat: /proc/meminfo: No such file or directory' });
  });
});
