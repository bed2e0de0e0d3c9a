// verify against real ZooKeeper 3.8 servers: java processes on loopback, no Docker, no root needed.
// Proves waitForEnsemble passes on a healthy ensemble (voters only, and with an observer), fails
// naming the server when one is down, and sees re-election after the leader dies.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, closeSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { directDial, type Dial } from '../../src/verify/dial.js';
import { judgeEnsemble, probeEnsemble, waitForEnsemble, type Member } from '../../src/verify/ensemble.js';
import { fourLetterWord, parseConf, parseMntr, parseSrvr } from '../../src/verify/four-letter.js';
import zookeeper from './zk-client.js';

const JAVA = '/usr/bin/java';
const JARS = ['zookeeper.jar', 'slf4j-log4j12.jar', 'log4j-1.2.jar'].map((j) => `/usr/share/java/${j}`);
const LOG4J_EXAMPLE = '/etc/zookeeper/conf_example/log4j.properties';
const missing = [JAVA, ...JARS].filter((f) => !existsSync(f));

interface ServerSpec {
  id: number;
  role: 'participant' | 'observer';
  client: number;
  quorum: number;
  election: number;
}

/** Spawns and owns ZooKeeper JVMs; kill() is safe to call any number of times. */
class Lab {
  readonly dir = mkdtempSync(join(tmpdir(), 'zkplan-verify-lab-'));
  private readonly procs = new Map<number, ChildProcess>();

  constructor(private readonly specs: ServerSpec[]) {
    const log4j = existsSync(LOG4J_EXAMPLE)
      ? readFileSync(LOG4J_EXAMPLE, 'utf8')
      : 'log4j.rootLogger=INFO, CONSOLE\nlog4j.appender.CONSOLE=org.apache.log4j.ConsoleAppender\nlog4j.appender.CONSOLE.layout=org.apache.log4j.PatternLayout\n';
    writeFileSync(join(this.dir, 'log4j.properties'), log4j);
    const serverLines = specs.map(
      (s) => `server.${s.id}=127.0.0.1:${s.quorum}:${s.election}${s.role === 'observer' ? ':observer' : ''};127.0.0.1:${s.client}`,
    );
    for (const s of specs) {
      const data = join(this.dir, `data${s.id}`);
      mkdirSync(data);
      writeFileSync(join(data, 'myid'), `${s.id}\n`);
      const cfg = [
        'tickTime=2000',
        'initLimit=5',
        'syncLimit=2',
        `dataDir=${data}`,
        '4lw.commands.whitelist=*',
        'admin.enableServer=false',
        ...(s.role === 'observer' ? ['peerType=observer'] : []),
        ...serverLines,
      ];
      writeFileSync(join(this.dir, `zoo${s.id}.cfg`), cfg.join('\n') + '\n');
    }
  }

  get members(): Member[] {
    return this.specs.map((s) => ({ id: s.id, role: s.role, address: '127.0.0.1', port: s.client }));
  }

  start(id: number): void {
    if (this.procs.has(id)) throw new Error(`server ${id} already running`);
    const log = openSync(join(this.dir, `zk${id}.log`), 'a');
    const child = spawn(
      JAVA,
      [
        '-Xmx128m',
        '-XX:+UseSerialGC',
        '-XX:TieredStopAtLevel=1',
        '-Dzookeeper.root.logger=INFO,CONSOLE',
        `-Dzookeeper.log.dir=${this.dir}`,
        '-cp',
        [this.dir, ...JARS].join(':'),
        'org.apache.zookeeper.server.quorum.QuorumPeerMain',
        join(this.dir, `zoo${id}.cfg`),
      ],
      { stdio: ['ignore', log, log] },
    );
    closeSync(log);
    this.procs.set(id, child);
    child.once('exit', () => this.procs.delete(id));
  }

  startAll(): void {
    for (const s of this.specs) this.start(s.id);
  }

  async kill(id: number): Promise<void> {
    const child = this.procs.get(id);
    if (!child) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  async killAll(): Promise<void> {
    await Promise.all([...this.procs.keys()].map((id) => this.kill(id)));
  }

  /** Last-resort synchronous cleanup if the test process dies before `after` runs. */
  killAllSync(): void {
    for (const child of this.procs.values()) child.kill('SIGKILL');
  }

  async destroy(): Promise<void> {
    await this.killAll();
    rmSync(this.dir, { recursive: true, force: true });
  }

  tail(id: number, lines = 15): string {
    const f = join(this.dir, `zk${id}.log`);
    return existsSync(f) ? readFileSync(f, 'utf8').split('\n').slice(-lines).join('\n') : '(no log)';
  }
}

/**
 * ZooKeeper servers an earlier run of this file left behind (its test process killed before its
 * `after` ran): found by the data directory prefix only this file uses and by having no test
 * process as parent any more (a running test's servers are its children), killed, and their
 * directories removed. Nothing else is touched.
 */
async function clearOwnLeftovers(): Promise<void> {
  const prefix = join(tmpdir(), 'zkplan-verify-lab-');
  const orphanedDir = (pid: string): string | undefined => {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const logDir = argv.find((a) => a.startsWith(`-Dzookeeper.log.dir=${prefix}`));
      if (!argv.includes('org.apache.zookeeper.server.quorum.QuorumPeerMain') || logDir === undefined) return undefined;
      const ppid = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[1]!;
      const parent = existsSync(`/proc/${ppid}/cmdline`) ? readFileSync(`/proc/${ppid}/cmdline`, 'utf8') : '';
      return parent.includes('verify.test') || parent.includes('node') ? undefined : logDir.slice('-Dzookeeper.log.dir='.length);
    } catch {
      return undefined;
    }
  };
  const leftovers = readdirSync('/proc').flatMap((pid) => (/^\d+$/.test(pid) ? [[pid, orphanedDir(pid)] as const] : [])).filter((x): x is readonly [string, string] => x[1] !== undefined);
  for (const [pid] of leftovers) process.kill(Number(pid), 'SIGKILL');
  for (let i = 0; i < 50 && leftovers.some(([pid]) => existsSync(`/proc/${pid}`)); i++) await new Promise((r) => setTimeout(r, 100));
  for (const dir of new Set(leftovers.map(([, d]) => d))) rmSync(dir, { recursive: true, force: true });
}

async function assertPortsFree(ports: number[]): Promise<void> {
  await clearOwnLeftovers();
  for (const port of ports) {
    await new Promise<void>((resolve, reject) => {
      const srv = net.createServer();
      srv.once('error', (err) => reject(new Error(`port 127.0.0.1:${port} is busy (another lab run?): ${err.message}`)));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve()));
    });
  }
}

/** A Dial that hands back a plain Duplex, not a socket, as an SSH forwardOut channel would. */
const tunnelLikeDial: Dial = async (address, port) => {
  const socket = await directDial(address, port);
  const channel = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk, _enc, cb) {
      socket.write(chunk, cb);
    },
    final(cb) {
      socket.end();
      cb();
    },
    destroy(err, cb) {
      socket.destroy();
      cb(err);
    },
  });
  socket.on('data', (d) => {
    if (!channel.push(d)) socket.pause();
  });
  socket.on('end', () => channel.push(null));
  socket.on('error', (err) => channel.destroy(err));
  return channel;
};

// Ports 12181+ by default; ZKPLAN_VERIFY_PORT_OFFSET shifts them all, for two runs side by side.
const OFFSET = Number(process.env.ZKPLAN_VERIFY_PORT_OFFSET ?? 0);

const labs: Lab[] = [];
// `after` hooks do the real cleanup; these cover a run that is interrupted or crashes.
process.once('exit', () => labs.forEach((l) => l.killAllSync()));
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const l of labs) {
      l.killAllSync();
      rmSync(l.dir, { recursive: true, force: true });
    }
    process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
  });
}

function spec(n: number, base: { client: number; quorum: number; election: number }, observers = 0): ServerSpec[] {
  return Array.from({ length: n }, (_, i) => ({
    id: i + 1,
    role: i >= n - observers ? 'observer' : 'participant',
    client: base.client + OFFSET + i,
    quorum: base.quorum + OFFSET + i,
    election: base.election + OFFSET + i,
  }));
}

it('java and the Debian ZooKeeper jars are installed (test/lab/run.sh installs them)', () => {
  assert.deepEqual(missing, []);
});

describe('verify against three ZooKeeper 3.8 voters on loopback', () => {
  const specs = spec(3, { client: 12181, quorum: 12888, election: 13888 });
  let lab: Lab;
  let members: Member[];
  const label = (id: number): string => `server ${id} (127.0.0.1:${specs[id - 1]!.client})`;

  before(async () => {
    await assertPortsFree(specs.flatMap((s) => [s.client, s.quorum, s.election]));
    lab = new Lab(specs);
    labs.push(lab);
    members = lab.members;
  });
  after(async () => {
    await lab?.destroy();
  });

  it('proves quorum: one leader, two followers, znode written via one and read via the others', async (t) => {
    const started = Date.now();
    lab.startAll();
    const health = await waitForEnsemble(members, directDial, { timeoutMs: 30_000, pollMs: 200 });
    const sinceStart = Date.now() - started;
    t.diagnostic(`JVMs spawned → verified quorum + znode round-trip: ${sinceStart} ms (waitForEnsemble ${health.elapsedMs} ms)`);
    assert.ok(health.ok, `not healthy: ${health.problems.join('; ')}\n${lab.tail(1)}`);
    assert.deepEqual(health.problems, []);
    const modes = health.servers.map((s) => s.mode).sort();
    assert.deepEqual(modes, ['follower', 'follower', 'leader']);
    assert.equal(new Set(health.servers.map((s) => s.epoch)).size, 1, 'one epoch after the write');
    assert.ok(health.znode?.ok);
    assert.equal(health.znode.readVia.length, 2);
    assert.ok(health.znode.readVia.every((r) => r.ok));
    // Ephemeral: once the check's sessions have closed (it does not wait for that), none is left.
    assert.deepEqual(await verifyZnodesLeft(specs[0]!.client), []);
  });

  it('answers the same over a non-socket Duplex (what an SSH tunnel hands back)', async () => {
    const health = await waitForEnsemble(members, tunnelLikeDial, { timeoutMs: 15_000, pollMs: 200 });
    assert.ok(health.ok, health.problems.join('; '));
    assert.ok(health.znode?.ok);
  });

  it('a znode an earlier run left (persistent, with a reader child, as zkplan once wrote it) does not fail the check', async () => {
    await withClient(specs[1]!.client, async (client) => {
      await call((cb) => client.create('/zkplan/verify', Buffer.from('stale'), (e) => cb(e)));
      await call((cb) => client.create('/zkplan/verify/read-2', Buffer.from('stale'), (e) => cb(e)));
    });
    const health = await waitForEnsemble(members, directDial, { timeoutMs: 15_000, pollMs: 200 });
    assert.ok(health.ok, health.problems.join('; '));
    assert.deepEqual(await verifyZnodesLeft(specs[0]!.client), []);
  });

  it('parses the real srvr, mntr and conf answers', async () => {
    const { client } = specs[0]!;
    const srvr = parseSrvr(await fourLetterWord(directDial, '127.0.0.1', client, 'srvr', 5000));
    assert.match(srvr.version, /^3\.8\./);
    const conf = parseConf(await fourLetterWord(directDial, '127.0.0.1', client, 'conf', 5000));
    assert.equal(conf.serverId, 1);
    assert.deepEqual(
      conf.servers.map((s) => [s.id, s.address, s.quorumPort, s.electionPort, s.role, s.clientAddress, s.clientPort]),
      specs.map((s) => [s.id, '127.0.0.1', s.quorum, s.election, 'participant', '127.0.0.1', s.client]),
    );
    const probe = await probeEnsemble(members, directDial, 5000);
    const leader = probe.servers.find((s) => s.mode === 'leader')!;
    const mntr = parseMntr(await fourLetterWord(directDial, '127.0.0.1', leader.port, 'mntr', 5000));
    assert.equal(mntr.serverState, 'leader');
    assert.equal(mntr.syncedFollowers, 2);
    assert.equal(mntr.quorumSize, 3);
  });

  it('fails and names the server when a follower is down, then passes once it is back', async (t) => {
    const probe = await probeEnsemble(members, directDial, 5000);
    const follower = probe.servers.find((s) => s.mode === 'follower')!;
    await lab.kill(follower.id);
    const down = await waitForEnsemble(members, directDial, { timeoutMs: 3000, pollMs: 200 });
    t.diagnostic(`with server ${follower.id} down: ${down.problems.join(' | ')}`);
    assert.equal(down.ok, false);
    assert.ok(down.problems.some((p) => p.startsWith(`${label(follower.id)} is unreachable`)), down.problems.join('; '));
    assert.ok(down.problems.some((p) => /has 1 synced followers, expected 2/.test(p)), down.problems.join('; '));
    // The other two still form a quorum and serve.
    assert.equal(down.servers.filter((s) => s.mode === 'leader').length, 1);

    const started = Date.now();
    lab.start(follower.id);
    const back = await waitForEnsemble(members, directDial, { timeoutMs: 30_000, pollMs: 200 });
    t.diagnostic(`server ${follower.id} restarted → verified again in ${Date.now() - started} ms`);
    assert.ok(back.ok, back.problems.join('; '));
  });

  it('sees a new leader elected after the leader dies, and still reports the dead one', async (t) => {
    const probe = await probeEnsemble(members, directDial, 5000);
    const oldLeader = probe.servers.find((s) => s.mode === 'leader')!;
    const killedAt = Date.now();
    await lab.kill(oldLeader.id);

    const deadline = killedAt + 20_000;
    let newLeader: number | undefined;
    let last = probe;
    while (Date.now() < deadline && newLeader === undefined) {
      last = await probeEnsemble(members, directDial, 2000);
      newLeader = last.servers.find((s) => s.mode === 'leader')?.id;
      if (newLeader === undefined) await new Promise((r) => setTimeout(r, 100));
    }
    t.diagnostic(`leader ${oldLeader.id} killed → server ${newLeader} leads after ${Date.now() - killedAt} ms`);
    assert.ok(newLeader !== undefined && newLeader !== oldLeader.id, 'a surviving server took over');

    const verdict = judgeEnsemble(members, last);
    t.diagnostic(`judged right after re-election: ${verdict.problems.join(' | ')}`);
    assert.equal(verdict.ok, false);
    const unreachable = verdict.issues.filter((i) => i.kind === 'unreachable');
    assert.deepEqual(unreachable.map((i) => i.id), [oldLeader.id]);
    assert.ok(unreachable[0]!.message.startsWith(`${label(oldLeader.id)} is unreachable`), unreachable[0]!.message);

    lab.start(oldLeader.id);
    const back = await waitForEnsemble(members, directDial, { timeoutMs: 30_000, pollMs: 200 });
    assert.ok(back.ok, back.problems.join('; '));
    assert.equal(back.servers.find((s) => s.mode === 'leader')?.id, newLeader, 'the restarted server rejoins as follower');
  });
});

describe('verify against three voters and one observer', () => {
  const specs = spec(4, { client: 12191, quorum: 12898, election: 13898 }, 1);
  let lab: Lab;

  before(async () => {
    await assertPortsFree(specs.flatMap((s) => [s.client, s.quorum, s.election]));
    lab = new Lab(specs);
    labs.push(lab);
  });
  after(async () => {
    await lab?.destroy();
  });

  it('passes with the observer synced, and fails a plan that calls it a participant', async (t) => {
    const started = Date.now();
    lab.startAll();
    const health = await waitForEnsemble(lab.members, directDial, { timeoutMs: 30_000, pollMs: 200 });
    t.diagnostic(`3 voters + 1 observer verified ${Date.now() - started} ms after spawn`);
    assert.ok(health.ok, health.problems.join('; '));
    assert.equal(health.servers.find((s) => s.id === 4)?.mode, 'observer');
    assert.equal(health.znode?.readVia.length, 3);

    const wrongPlan = lab.members.map((m) => ({ ...m, role: 'participant' as const }));
    const verdict = judgeEnsemble(wrongPlan, await probeEnsemble(wrongPlan, directDial, 5000));
    assert.equal(verdict.ok, false);
    assert.ok(verdict.issues.some((i) => i.kind === 'mode' && i.id === 4), verdict.problems.join('; '));
    assert.ok(verdict.issues.some((i) => i.kind === 'membership'), verdict.problems.join('; '));
  });
});

describe('verify against a lone server', () => {
  const port = 12199 + OFFSET;
  let lab: Lab;
  let dir: string;

  before(async () => {
    await assertPortsFree([port]);
    // A standalone server with the 3.5.3+ default whitelist (srvr only).
    lab = new Lab([]);
    labs.push(lab);
    dir = lab.dir;
    mkdirSync(join(dir, 'data9'));
    writeFileSync(join(dir, 'zoo9.cfg'), `tickTime=2000\ndataDir=${join(dir, 'data9')}\nclientPort=${port}\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n`);
  });
  after(async () => {
    await lab?.destroy();
  });

  it('reports standalone as "not part of an ensemble" and a missing whitelist entry as a warning', async () => {
    lab.start(9);
    const members: Member[] = [{ id: 9, role: 'participant', address: '127.0.0.1', port }];
    let probe = await probeEnsemble(members, directDial, 2000);
    for (let i = 0; i < 100 && probe.servers[0]!.mode === null; i++) {
      await new Promise((r) => setTimeout(r, 100));
      probe = await probeEnsemble(members, directDial, 2000);
    }
    assert.equal(probe.servers[0]!.mode, 'standalone', lab.tail(9));
    const verdict = judgeEnsemble(members, probe);
    assert.equal(verdict.ok, false);
    assert.ok(verdict.problems.some((p) => /not part of an ensemble/.test(p)), verdict.problems.join('; '));
    assert.ok(verdict.warnings.some((w) => /not in 4lw.commands.whitelist/.test(w)), verdict.warnings.join('; '));
    await assert.rejects(fourLetterWord(directDial, '127.0.0.1', port, 'mntr', 5000), { name: 'NotWhitelistedError' });
  });
});

function call<T = void>(start: (cb: (err: unknown, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => start((err, value) => (err ? reject(err) : resolve(value as T))));
}

async function withClient<T>(port: number, work: (client: ReturnType<typeof zookeeper.createClient>) => Promise<T>): Promise<T> {
  const client = zookeeper.createClient(`127.0.0.1:${port}`, { sessionTimeout: 4000, retries: 0 });
  await new Promise<void>((resolve) => {
    client.once('connected', () => resolve());
    client.connect();
  });
  try {
    return await work(client);
  } finally {
    client.close();
  }
}

/** The verification's znodes still under /zkplan, once the sessions that made them have had 5 s to close. */
async function verifyZnodesLeft(port: number): Promise<string[]> {
  return withClient(port, async (client) => {
    let left: string[] = [];
    for (const until = Date.now() + 5000; Date.now() < until; await new Promise((r) => setTimeout(r, 100))) {
      left = (await call<string[]>((cb) => client.getChildren('/zkplan', (e, c) => cb(e, c)))).filter((c) => c.startsWith('verify'));
      if (left.length === 0) break;
    }
    return left;
  });
}
