// The SSH executor against real OpenSSH servers on loopback: a target sshd and a second one used
// as a jump host, each with its own temporary host key, authorized key and log file.
// Needs root (sshd's privilege separation) and openssh-server; only 127.0.0.1 traffic.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Host, SshSettings } from '../../src/inventory/types.js';
import { OperationalError } from '../../src/common/problems.js';
import { mapLimit } from '../../src/remote/concurrency.js';
import { SshExecutor, type SshExecutorOptions } from '../../src/remote/executor.js';
import { fingerprint } from '../../src/remote/known-hosts.js';
import { acquireLock, LOCK_EXIT, lockStatus, releaseLock } from '../../src/remote/commands/lock.js';

const dir = mkdtempSync(path.join(tmpdir(), 'zkplan-ssh-lab-'));
const children: ChildProcess[] = [];
const executors: SshExecutor[] = [];

interface Sshd {
  port: number;
  log: string;
  hostKeyBlob: Buffer;
}

function keygen(file: string, passphrase = ''): void {
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', '', '-f', file]);
  assert.equal(r.status, 0, r.stderr?.toString());
}

function pubBlob(file: string): Buffer {
  return Buffer.from(readFileSync(`${file}.pub`, 'utf8').split(' ')[1]!, 'base64');
}

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

async function waitForBanner(port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('data', (d) => {
        s.destroy();
        resolve(d.toString().startsWith('SSH-2.0'));
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`sshd on ${port} did not come up`);
}

async function startSshd(name: string, logLevel = 'VERBOSE'): Promise<Sshd> {
  const port = await freePort();
  const hostKey = path.join(dir, `${name}_host_key`);
  keygen(hostKey);
  const log = path.join(dir, `${name}.log`);
  const cfg = path.join(dir, `${name}_config`);
  writeFileSync(
    cfg,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${path.join(dir, `${name}.pid`)}`,
      `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
      'StrictModes no',
      'UsePAM no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      'Subsystem sftp internal-sftp',
      `LogLevel ${logLevel}`,
      'AllowTcpForwarding yes',
      '',
    ].join('\n'),
  );
  const check = spawnSync('/usr/sbin/sshd', ['-t', '-f', cfg]);
  assert.equal(check.status, 0, `sshd -t: ${check.stderr?.toString()}`);
  const child = spawn('/usr/sbin/sshd', ['-D', '-f', cfg, '-E', log], { stdio: 'ignore' });
  children.push(child);
  await waitForBanner(port);
  return { port, log, hostKeyBlob: pubBlob(hostKey) };
}

function accepted(sshd: Sshd): number {
  return existsSync(sshd.log) ? (readFileSync(sshd.log, 'utf8').match(/Accepted publickey/g) ?? []).length : 0;
}

function knownHosts(name: string, entries: [Sshd, Buffer?][]): string {
  const file = path.join(dir, name);
  writeFileSync(file, entries.map(([s, blob]) => `[127.0.0.1]:${s.port} ssh-ed25519 ${(blob ?? s.hostKeyBlob).toString('base64')}\n`).join(''));
  return file;
}

function host(name: string, ssh: SshSettings): Host {
  return { name, address: '127.0.0.1', labels: {}, ssh: { user: 'root', ...ssh }, stateDir: path.join(dir, 'state'), index: 0 };
}

function executor(opts: SshExecutorOptions = {}): SshExecutor {
  // No agent and no ~/.ssh from whoever runs the suite: only what each test sets up counts.
  const ex = new SshExecutor({ env: { HOME: dir, USER: 'root' }, sshConfigPath: path.join(dir, 'ssh_config'), ...opts });
  executors.push(ex);
  return ex;
}

async function rejection(p: Promise<unknown>): Promise<OperationalError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof OperationalError, `expected OperationalError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a rejection');
}

describe('SSH executor against real sshd', { timeout: 120_000 }, () => {
  let target: Sshd;
  let jump: Sshd;
  let clientKey: string;
  let trusted: string; // known_hosts with both servers
  let zk1: Host;

  before(async () => {
    mkdirSync('/run/sshd', { recursive: true });
    clientKey = path.join(dir, 'client_key');
    keygen(clientKey);
    writeFileSync(path.join(dir, 'authorized_keys'), readFileSync(`${clientKey}.pub`));
    writeFileSync(path.join(dir, 'ssh_config'), '# empty on purpose\n');
    target = await startSshd('target');
    // DEBUG1 logs each direct-tcpip request: proof that the target was reached through it.
    jump = await startSshd('jump', 'DEBUG1');
    trusted = knownHosts('known_hosts', [[target], [jump]]);
    zk1 = host('zk1', { port: target.port, identity_file: clientKey, known_hosts: trusted });
  });

  after(async () => {
    await Promise.allSettled(executors.map((e) => e.closeAll()));
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    if (!process.env.ZKPLAN_KEEP_LAB) rmSync(dir, { recursive: true, force: true });
  });

  it('runs argv with hostile values intact and without injection', async () => {
    const canary = path.join(dir, 'pwned');
    const values = [`$(touch ${canary})`, `\`touch ${canary}\``, `; touch ${canary}`, `it's "quoted"`, 'a\nb', '*', '', '-n', 'ünï ✓', '$HOME'];
    const session = await executor().session(zk1);
    const r = await session.run(['printf', '%s\\0', ...values]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.split('\0').slice(0, -1), values);
    assert.equal(existsSync(canary), false);
  });

  it('propagates exit codes and stderr, feeds stdin, enforces timeouts', async () => {
    const session = await executor().session(zk1);
    assert.deepEqual(await session.run(['sh', '-c', 'echo out; echo err >&2; exit 42']), { code: 42, stdout: 'out\n', stderr: 'err\n' });
    assert.equal((await session.run(['zkplan-no-such-command'])).code, 127);
    const big = Buffer.alloc(3 * 1024 * 1024, 'x');
    assert.equal((await session.run(['wc', '-c'], { stdin: big })).stdout.trim(), String(big.length));
    assert.equal((await session.run(['cat'], { stdin: 'hello\n' })).stdout, 'hello\n');
    assert.equal((await session.run(['cat'])).stdout, '', 'stdin is closed when none is given');
    const started = Date.now();
    const err = await rejection(session.run(['sleep', '3'], { timeoutMs: 300 }));
    assert.match(err.message, new RegExp(`^zk1 \\(127\\.0\\.0\\.1:${target.port}\\): timed out after 300 ms`));
    assert.ok(Date.now() - started < 3000);
    // Whether the remote sleep dies is not asserted: OpenSSH refuses signal requests for root
    // sessions ("session signalling requires privilege separation"), and this suite logs in as root.
    assert.equal((await session.run(['true'])).code, 0, 'the connection survives a timed-out command');
  });

  it('puts files atomically with their mode and reads them back', async () => {
    const session = await executor().session(zk1);
    const base = path.join(dir, 'remote', `it's deep`, 'conf');
    const binary = Buffer.from([0, 1, 2, 255, 10, 13]);
    await session.putFiles([
      { path: `${base}/zoo.cfg`, content: 'tickTime=2000\n', mode: 0o600 },
      { path: `${base}/run.sh`, content: '#!/bin/sh\necho hi\n', mode: 0o755 },
      { path: `${base}/blob`, content: binary },
    ]);
    assert.equal(statSync(`${base}/zoo.cfg`).mode & 0o777, 0o600);
    assert.equal(statSync(`${base}/run.sh`).mode & 0o777, 0o755);
    assert.equal(statSync(`${base}/blob`).mode & 0o777, 0o644);
    assert.equal((await session.run([`${base}/run.sh`])).stdout, 'hi\n');
    assert.deepEqual(await session.readFile(`${base}/blob`), binary);
    // replacing an existing file (plain SFTP rename would refuse)
    await session.putFiles([{ path: `${base}/zoo.cfg`, content: 'tickTime=3000\n', mode: 0o640 }]);
    assert.equal((await session.readFile(`${base}/zoo.cfg`))?.toString(), 'tickTime=3000\n');
    assert.equal(statSync(`${base}/zoo.cfg`).mode & 0o777, 0o640);
    assert.equal(await session.readFile(`${base}/missing`), undefined);
    const leftovers = spawnSync('ls', ['-a', base], { encoding: 'utf8' }).stdout.split('\n').filter((f) => f.includes('zkplan-'));
    assert.deepEqual(leftovers, [], 'no temporary files remain');
  });

  it('a file larger than one SFTP request goes and comes back whole, with its mode', async () => {
    const session = await executor().session(zk1);
    const file = path.join(dir, 'remote', 'large', 'blob');
    // not a multiple of any piece size, and unlike at every offset
    const large = Buffer.from(Array.from({ length: 300_001 }, (_, i) => (i * 7 + (i >> 8)) & 0xff));
    await session.putFiles([{ path: file, content: large, mode: 0o600 }]);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.ok(large.equals(readFileSync(file)), 'written whole');
    assert.ok(large.equals((await session.readFile(file))!), 'read back whole');
    const files = await session.files!();
    await files.write(`${file}-2`, large, 0o640);
    assert.equal(statSync(`${file}-2`).mode & 0o777, 0o640);
    assert.ok(large.equals(readFileSync(`${file}-2`)), 'written in place whole');
  });

  it('dials a TCP service through the host', async () => {
    const echo = net.createServer((s) => s.pipe(s)).listen(0, '127.0.0.1');
    await new Promise((r) => echo.once('listening', r));
    try {
      const port = (echo.address() as net.AddressInfo).port;
      const session = await executor().session(zk1);
      const stream = await session.dial('127.0.0.1', port);
      const reply = new Promise<string>((resolve) => stream.once('data', (d: Buffer) => resolve(d.toString())));
      stream.write('ruok');
      assert.equal(await reply, 'ruok');
      stream.destroy();
      const closedPort = await freePort();
      const err = await rejection(session.dial('127.0.0.1', closedPort));
      assert.match(err.message, new RegExp(`^zk1 \\(127\\.0\\.0\\.1:\\d+\\): cannot open tunnel to 127\\.0\\.0\\.1:${closedPort}`));
    } finally {
      echo.close();
    }
  });

  it('reuses one connection for every step, with many in parallel', async () => {
    const ex = executor();
    const before = accepted(target);
    const results = await mapLimit(Array.from({ length: 30 }, (_, i) => i), 30, async (i) => {
      const session = await ex.session(zk1);
      if (i % 10 === 0) await session.putFiles([{ path: path.join(dir, 'reuse', `f${i}`), content: String(i) }]);
      return (await session.run(['echo', String(i)])).stdout.trim();
    });
    assert.deepEqual(results, Array.from({ length: 30 }, (_, i) => String(i)));
    assert.equal((await (await ex.session(zk1)).readFile(path.join(dir, 'reuse', 'f20')))?.toString(), '20');
    assert.equal(accepted(target) - before, 1, 'exactly one SSH login');
    // A closed session is forgotten: the next step logs in again.
    const first = await ex.session(zk1);
    await first.close();
    await assert.rejects(first.run(['true']), /zk1 \(127\.0\.0\.1:\d+\): connection is closed/);
    const second = await ex.session(zk1);
    assert.notEqual(second, first);
    assert.equal((await second.run(['echo', 'again'])).stdout, 'again\n');
    assert.equal(accepted(target) - before, 2);
    await ex.closeAll();
  });

  it('refuses an unknown host key, and records it with acceptNew', async () => {
    const file = path.join(dir, 'fresh', 'known_hosts');
    const h = host('zk1', { port: target.port, identity_file: clientKey, known_hosts: file });
    const err = await rejection(executor().session(h));
    assert.ok(err.message.startsWith(`zk1 (127.0.0.1:${target.port}): unknown host key ${fingerprint(target.hostKeyBlob)}`), err.message);
    assert.equal(existsSync(file), false);

    await (await executor({ acceptNewHostKeys: true }).session(h)).run(['true']);
    assert.equal(readFileSync(file, 'utf8'), `[127.0.0.1]:${target.port} ssh-ed25519 ${target.hostKeyBlob.toString('base64')}\n`);
    assert.equal((await (await executor().session(h)).run(['true'])).code, 0, 'now known');
  });

  it('refuses a changed host key, even with acceptNew, naming both fingerprints', async () => {
    const impostorKey = path.join(dir, 'impostor');
    keygen(impostorKey);
    const file = knownHosts('changed_known_hosts', [[target, pubBlob(impostorKey)]]);
    const h = host('h2', { port: target.port, identity_file: clientKey, known_hosts: file });
    const err = await rejection(executor({ acceptNewHostKeys: true }).session(h));
    const expected = `h2 (127.0.0.1:${target.port}): host key changed: expected ${fingerprint(pubBlob(impostorKey))}, got ${fingerprint(target.hostKeyBlob)}`;
    assert.ok(err.message.startsWith(expected), err.message);
  });

  it('reports a wrong key as an authentication error naming the host', async () => {
    const wrongKey = path.join(dir, 'wrong_key');
    keygen(wrongKey);
    const h = host('zookeeper2', { port: target.port, identity_file: wrongKey, known_hosts: trusted });
    const err = await rejection(executor().session(h));
    assert.ok(err.message.startsWith(`zookeeper2 (127.0.0.1:${target.port}): authentication refused for user root`), err.message);
  });

  it('explains an encrypted key without an agent, and uses the agent when there is one', async () => {
    const encrypted = path.join(dir, 'encrypted_key');
    keygen(encrypted, 'secret passphrase');
    const h = host('zk1', { port: target.port, identity_file: encrypted, known_hosts: trusted });
    const err = await rejection(executor().session(h));
    assert.match(err.message, /^zk1 \(127\.0\.0\.1:\d+\): identity file .*encrypted_key is encrypted and no ssh-agent is available/);

    const sock = path.join(dir, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    children.push(agent);
    for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
    const add = spawnSync('ssh-add', [clientKey], { env: { ...process.env, SSH_AUTH_SOCK: sock }, encoding: 'utf8' });
    assert.equal(add.status, 0, add.stderr);
    const viaAgent = executor({ env: { HOME: dir, USER: 'root', SSH_AUTH_SOCK: sock } });
    assert.equal((await (await viaAgent.session(h)).run(['echo', 'agent'])).stdout, 'agent\n');
    agent.kill('SIGTERM');
  });

  it('reaches a host through a jump host, sharing the jump connection', async () => {
    const ex = executor();
    const jumpBefore = accepted(jump);
    const spec = `root@127.0.0.1:${jump.port}`;
    const hosts = ['zk1', 'zk2', 'zk3'].map((name) => host(name, { port: target.port, identity_file: clientKey, known_hosts: trusted, jump: spec }));
    const out = await mapLimit(hosts, 3, async (h) => (await (await ex.session(h)).run(['echo', h.name])).stdout.trim());
    assert.deepEqual(out, ['zk1', 'zk2', 'zk3']);
    assert.equal(accepted(jump) - jumpBefore, 1, 'one login on the jump host for all three');
    const forwards = readFileSync(jump.log, 'utf8').match(new RegExp(`direct_tcpip: originator .* target 127\\.0\\.0\\.1 port ${target.port}`, 'g'));
    assert.equal(forwards?.length, 3, 'three forwarded connections to the target');
    await ex.closeAll();
  });

  it('reaches a jump host configured in ssh_config and checks its key too', async () => {
    const config = path.join(dir, 'jump_config');
    writeFileSync(config, `Host bastion\n  HostName 127.0.0.1\n  Port ${jump.port}\n  User root\n`);
    const onlyTarget = knownHosts('only_target', [[target]]);
    const h = host('zk1', { port: target.port, identity_file: clientKey, known_hosts: onlyTarget, jump: 'bastion' });
    const err = await rejection(executor({ sshConfigPath: config }).session(h));
    assert.ok(
      err.message.startsWith(`zk1 (127.0.0.1:${target.port}): via jump host bastion (127.0.0.1:${jump.port}): unknown host key`),
      err.message,
    );
    const ok = host('zk1', { port: target.port, identity_file: clientKey, known_hosts: trusted, jump: 'bastion' });
    assert.equal((await (await executor({ sshConfigPath: config }).session(ok)).run(['hostname'])).code, 0);
  });

  it('fails fast on a refused port and on a server that never speaks SSH', async () => {
    const closed = await freePort();
    const refused = await rejection(executor().session(host('zk9', { port: closed, identity_file: clientKey, known_hosts: trusted })));
    assert.equal(refused.message, `zk9 (127.0.0.1:${closed}): connection refused`);

    const silent = net.createServer(() => undefined).listen(0, '127.0.0.1');
    await new Promise((r) => silent.once('listening', r));
    try {
      const port = (silent.address() as net.AddressInfo).port;
      const started = Date.now();
      const err = await rejection(
        executor({ connectTimeoutMs: 500 }).session(host('zk8', { port, identity_file: clientKey, known_hosts: trusted })),
      );
      assert.equal(err.message, `zk8 (127.0.0.1:${port}): no SSH handshake within 0.5 s`);
      assert.ok(Date.now() - started < 5000);
    } finally {
      silent.close();
    }
  });

  it('runs the deploy lock scripts over SSH', async () => {
    const session = await executor().session(zk1);
    const lockDir = path.join(dir, 'locks', 'prod $(x)');
    const details = { lockedBy: 'ann@laptop', pid: 1, since: new Date(0).toISOString(), command: 'zkplan deploy' };
    assert.equal((await session.run(acquireLock(lockDir, details))).code, 0);
    const again = await session.run(acquireLock(lockDir, { ...details, lockedBy: 'bob@desk' }));
    assert.equal(again.code, LOCK_EXIT.held);
    assert.match(again.stdout, /locked_by: ann@laptop/);
    assert.equal((await session.run(releaseLock(lockDir))).code, 0);
    assert.equal((await session.run(lockStatus(lockDir))).code, LOCK_EXIT.notHeld);
  });
});
