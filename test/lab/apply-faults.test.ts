// Faults and bad input for `zkplan apply` (issue 3), each against the real built CLI on a
// 3-host lab (official image contract): an unreachable host, a refused login, unknown and
// changed host keys, a container that dies during a rollout, the leader killed during a rolling
// change while writes continue, an apply killed mid-roll and completed by the next one, and
// hostile values in the inventory.
// Needs root; run with ZKPLAN_LAB_ID set (see test/lab/README.md).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { after, before, describe, it, type TestContext } from 'node:test';
import YAML from 'yaml';
import { ensureBuilt, labUp, startZkplan, startZnodeWriter, waitForQuorum, zkplanCli, znodeChildren, type ExecResult, type Lab, type ZnodeWriter } from './lab.js';

const ENSEMBLE = 'zkf';
const BROKEN_IMAGE = 'zkplan-lab/broken-release:1';
// Every test waits for ZooKeeper on a busy 2-core machine: generous, never asserted on.
const APPLY_TIMEOUT_S = '120';

let lab: Lab;
let dir: string;
let good: string; // the healthy inventory every test starts from
const markers: string[] = [];

// HOME is a scratch dir: the operator's own ~/.ssh/config must not change what the tests see.
const cliEnv = () => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, LANG: 'C.UTF-8' });
const zkplan = (args: readonly string[]): Promise<ExecResult> => zkplanCli(args, { env: cliEnv(), timeoutMs: 300_000 });

const apply = (inventory: string, ...flags: string[]) => zkplan(['apply', inventory, '--timeout', APPLY_TIMEOUT_S, ...flags]);

function show(r: ExecResult): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

/** The lab inventory with `edit` applied to its YAML document; returns the file written. */
function inventory(name: string, edit: (doc: YAML.Document) => void = () => {}): string {
  const doc = YAML.parseDocument(readFileSync(good, 'utf8'));
  edit(doc);
  const file = path.join(dir, `${name}.yml`);
  writeFileSync(file, doc.toString());
  return file;
}

const stateDir = (i: number) => path.join(lab.info.stateDir, lab.host(i).name, 'zkplan');
const containerName = (id: number) => `${ENSEMBLE}${id}`;

/** Every file and directory under a tree, with what would show a change (size, mtime, content hash). */
function tree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (p: string) => {
    const st = statSync(p);
    out[path.relative(root, p) || '.'] = `${st.isDirectory() ? 'd' : 'f'} ${st.size} ${st.mtimeMs}${st.isFile() ? ` ${readFileSync(p).toString('base64').length}` : ''}`;
    if (st.isDirectory()) for (const e of readdirSync(p)) walk(path.join(p, e));
  };
  if (existsSync(root)) walk(root);
  return out;
}

interface HostState {
  containers: string[];
  files: Record<string, string>;
}

/** What a change anywhere would alter: every container (id, start time, restarts) and every state file. */
async function snapshot(): Promise<HostState[]> {
  return Promise.all(
    lab.hosts.map(async (_, k) => {
      const i = k + 1;
      const ids = (await lab.docker(i, ['ps', '-aq', '--no-trunc'])).stdout.split('\n').filter(Boolean);
      const containers = ids.length
        ? (await lab.docker(i, ['inspect', '--format', '{{.Name}} {{.Id}} {{.State.Status}} {{.State.StartedAt}} {{.RestartCount}} {{index .Config.Labels "io.zkplan.config-hash"}}', ...ids])).stdout
            .split('\n')
            .filter(Boolean)
            .sort()
        : [];
      return { containers, files: tree(stateDir(i)) };
    }),
  );
}

async function containerId(i: number, name: string): Promise<string> {
  return (await lab.docker(i, ['inspect', '--format', '{{.Id}}', name])).stdout.trim();
}

/** Lock files left under any host's state dir (the lock directory itself may stay, empty). */
function leftoverLocks(): string[] {
  return lab.hosts.flatMap((_, k) => {
    const locks = path.join(stateDir(k + 1), 'locks', ENSEMBLE);
    return existsSync(locks) ? readdirSync(locks).map((f) => path.join(locks, f)) : [];
  });
}

/** Every server runs a new container, the ensemble is whole again, and a few more writes went through. */
async function allReplacedWhileWriting(before: readonly string[], writer: ZnodeWriter): Promise<void> {
  const after = await Promise.all(lab.hosts.map((_, k) => containerId(k + 1, containerName(k + 1))));
  for (const i of [1, 2, 3]) assert.notEqual(after[i - 1], before[i - 1], `${containerName(i)} replaced`);
  await waitForQuorum(lab.addresses, 60_000);
  const target = writer.acknowledged.length + 3;
  const until = Date.now() + 60_000;
  while (writer.acknowledged.length < target && Date.now() < until) await new Promise((res) => setTimeout(res, 200));
}

/** Every write the ensemble acknowledged (at least ten) is there after the rollout. */
async function noAcknowledgedWriteLost(t: TestContext, writer: ZnodeWriter, servers: readonly string[], root: string): Promise<void> {
  const present = await znodeChildren(servers, root);
  assert.ok(writer.acknowledged.length >= 10, `writes were acknowledged during the rollout (${writer.acknowledged.length})`);
  const have = new Set(present);
  const lost = writer.acknowledged.filter((p) => !have.has(p.split('/').pop()!));
  t.diagnostic(`${writer.acknowledged.length} writes acknowledged, ${writer.retries} retried, ${present.length} znodes present`);
  assert.deepEqual(lost, [], `${writer.acknowledged.length} acknowledged, ${present.length} present`);
}

async function removeEverything(): Promise<void> {
  await Promise.all(
    lab.hosts.map(async (_, k) => {
      const ids = (await lab.docker(k + 1, ['ps', '-aq', '--filter', `label=io.zkplan.ensemble=${ENSEMBLE}`], { allowFail: true })).stdout.split('\n').filter(Boolean);
      if (ids.length) await lab.docker(k + 1, ['rm', '-f', ...ids], { allowFail: true });
      await lab.docker(k + 1, ['rmi', BROKEN_IMAGE], { allowFail: true });
      rmSync(stateDir(k + 1), { recursive: true, force: true });
    }),
  );
  rmSync(path.join(lab.info.stateDir, 'hostdata', ENSEMBLE), { recursive: true, force: true });
}

let healthyState: HostState[] | undefined;

/**
 * The known state every test starts from: the good inventory applied and verified. When nothing
 * changed since the last such apply (every container and state file as it left them, and a
 * quorum), that apply is not repeated.
 */
async function healthy(): Promise<void> {
  if (healthyState && isDeepStrictEqual(await snapshot(), healthyState)) {
    await waitForQuorum(lab.addresses, 60_000);
    return;
  }
  const r = await apply(good);
  assert.equal(r.code, 0, show(r));
  await waitForQuorum(lab.addresses, 60_000);
  healthyState = await snapshot();
}

/** An address in the lab's subnet that no host has (lab hosts are .11 up to .30). */
function deadAddress(): string {
  return lab.host(1).address.replace(/\.\d+$/, '.29');
}

function sshFingerprint(pubKeyLine: string): string {
  const f = path.join(dir, `fp-${markers.length}-${Date.now()}.pub`);
  writeFileSync(f, `${pubKeyLine}\n`);
  const r = spawnSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', f], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split(' ')[1]!;
}

describe('zkplan apply under faults (lab)', { timeout: 720_000 }, () => {
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'zkplan-apply-faults-'));
    await ensureBuilt();
    lab = await labUp(3);
    good = path.join(dir, 'good.yml');
    await lab.writeInventory(good, { profile: 'official', ensembleName: ENSEMBLE });
    await removeEverything();
  });

  after(async () => {
    if (lab) await removeEverything();
    for (const m of markers) rmSync(m, { force: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('changes nothing anywhere when a host is unreachable at preflight, and names it', async () => {
    await healthy();
    const before = await snapshot();
    // h3 at an address nothing answers on (and, separately, h2 with nothing listening on its SSH port)
    const dead = inventory('unreachable', (doc) => {
      doc.setIn(['hosts', 2, 'address'], deadAddress());
      doc.setIn(['ensembles', 0, 'admin_server'], false); // a change apply would otherwise roll out
    });
    const r = await apply(dead);
    assert.equal(r.code, 1, show(r));
    assert.match(r.stderr, new RegExp(`h3: .*${deadAddress().replace(/\./g, '\\.')}|cannot reach 1 host[\\s\\S]*h3:`), show(r));
    assert.match(r.stderr, /nothing was changed on any host/);
    assert.doesNotMatch(r.stderr, /\n\s+at \S+ \(/, 'no stack trace');

    const closed = inventory('closed-port', (doc) => {
      doc.setIn(['hosts', 1, 'ssh'], doc.createNode({ port: 1 }));
      doc.setIn(['ensembles', 0, 'admin_server'], false);
    });
    const r2 = await apply(closed);
    assert.equal(r2.code, 1, show(r2));
    assert.match(r2.stderr, /cannot reach 1 host[\s\S]*\bh2: /, show(r2));
    assert.doesNotMatch(r2.stderr, /\bh[13]: /, 'only the unreachable host is named as failing');

    assert.deepEqual(await snapshot(), before, 'no container and no state file changed on any host');
    assert.deepEqual(leftoverLocks(), []);
  });

  it('fails preflight on a changed port that something else holds, even while the ensemble runs', async () => {
    await healthy();
    const before = await snapshot();
    // every lab host's sshd listens on 22; zkplan's running containers hold 2181, not 22
    const inv = inventory('port-taken', (doc) => doc.setIn(['ensembles', 0, 'ports'], doc.createNode({ client: 22 })));
    const r = await apply(inv);
    assert.equal(r.code, 1, show(r));
    assert.match(r.stderr, /preflight failed; nothing was changed on any host/, show(r));
    // the running servers are probed on the port they were made with, so none is waited for as "starting"
    assert.doesNotMatch(r.stderr, /waiting for .* to serve/, show(r));
    for (const h of ['h1', 'h2', 'h3']) assert.match(r.stderr, new RegExp(`${h}: ports: in use by something else: client port 22`), show(r));
    // the lock was taken and released (its directory changed); nothing else did
    const files = (s: HostState[]) => s.map((h) => ({ containers: h.containers, files: Object.entries(h.files).filter(([, v]) => v.startsWith('f ')) }));
    const now = await snapshot();
    assert.deepEqual(files(now), files(before));
    assert.deepEqual(leftoverLocks(), []);
    healthyState = now;
  });

  it('changes nothing anywhere when a host refuses authentication, and names it', async () => {
    await healthy();
    const before = await snapshot();
    const stranger = path.join(dir, 'stranger_key');
    const kg = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', stranger]);
    assert.equal(kg.status, 0);
    const inv = inventory('wrong-key', (doc) => {
      doc.setIn(['hosts', 1, 'ssh'], doc.createNode({ identity_file: stranger }));
      doc.setIn(['ensembles', 0, 'admin_server'], false);
    });
    const r = await apply(inv);
    assert.equal(r.code, 1, show(r));
    assert.match(r.stderr, /\bh2: [^\n]*(authenticat|denied|refused)/i, show(r));
    assert.doesNotMatch(r.stderr, /\bh[13]: [^\n]*(authenticat|denied)/i);
    assert.deepEqual(await snapshot(), before);
    assert.deepEqual(leftoverLocks(), []);
  });

  // The executor-level rules are in ssh.test.ts; this is what an operator sees from the CLI.
  it('refuses an unknown host key without --accept-new-host-keys and a changed one always, naming host and fingerprints', async () => {
    await healthy();
    const before = await snapshot();
    const lines = readFileSync(lab.info.knownHosts, 'utf8').split('\n').filter(Boolean);
    const h2 = lab.host(2);
    const isH2 = (l: string) => l.split(' ')[0]!.split(',').includes(h2.address);
    assert.equal(lines.filter(isH2).length, 1, 'the lab known_hosts has one line for h2');
    const with_ = (name: string, khLines: string[]) => {
      const kh = path.join(dir, `${name}.known_hosts`);
      writeFileSync(kh, `${khLines.join('\n')}\n`);
      return { kh, inv: inventory(name, (doc) => doc.setIn(['ssh', 'known_hosts'], kh)) };
    };

    const unknown = with_('unknown-key', lines.filter((l) => !isH2(l)));
    const r1 = await apply(unknown.inv);
    assert.equal(r1.code, 1, show(r1));
    assert.match(r1.stderr, /\bh2: [^\n]*(unknown|not in|no key)/i, show(r1));
    assert.doesNotMatch(readFileSync(unknown.kh, 'utf8'), new RegExp(h2.address.replace(/\./g, '\\.')), 'nothing recorded without the flag');

    // changed: h2's line now holds some other key; refused even with --accept-new-host-keys
    const other = path.join(dir, 'other_host_key');
    assert.equal(spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', other]).status, 0);
    const otherPub = readFileSync(`${other}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
    const realPub = lines.find(isH2)!.split(' ').slice(1, 3).join(' ');
    const changed = with_('changed-key', lines.map((l) => (isH2(l) ? `${h2.address} ${otherPub}` : l)));
    const r2 = await apply(changed.inv, '--accept-new-host-keys');
    assert.equal(r2.code, 1, show(r2));
    assert.match(r2.stderr, /\bh2\b/, show(r2));
    assert.ok(r2.stderr.includes(sshFingerprint(otherPub)), `expected the recorded fingerprint ${sshFingerprint(otherPub)}\n${show(r2)}`);
    assert.ok(r2.stderr.includes(sshFingerprint(realPub)), `expected the offered fingerprint ${sshFingerprint(realPub)}\n${show(r2)}`);
    assert.ok(readFileSync(changed.kh, 'utf8').includes(otherPub), 'the recorded key is left alone');

    assert.deepEqual(await snapshot(), before);
    assert.deepEqual(leftoverLocks(), []);

    // with the flag, an unknown key is recorded and the (dry) run proceeds
    const r3 = await apply(unknown.inv, '--accept-new-host-keys', '--dry-run');
    assert.equal(r3.code, 0, show(r3));
    assert.ok(readFileSync(unknown.kh, 'utf8').includes(realPub.split(' ')[1]!), 'h2 key recorded');
    assert.deepEqual(await snapshot(), before);
  });

  it('stops a rollout at a container that does not stay up, keeps quorum, reports every server, and a good apply repairs it', async (t) => {
    await healthy();
    const { leader } = await waitForQuorum(lab.addresses, 60_000);
    const leaderHost = lab.addresses.indexOf(leader) + 1;
    // a bad image release: the image starts, then exits at once
    await Promise.all(
      lab.hosts.map(async (_, k) => {
        const tmp = `zkplan-broken-src-${process.pid}`;
        await lab.docker(k + 1, ['create', '--name', tmp, 'zkplan-lab/zookeeper:3.8.0']);
        await lab.docker(k + 1, ['commit', '--change', 'CMD ["sh", "-c", "echo zkplan-test: refusing to start >&2; exit 3"]', tmp, BROKEN_IMAGE]);
        await lab.docker(k + 1, ['rm', tmp]);
      }),
    );
    const ids = await Promise.all(lab.hosts.map((_, k) => containerId(k + 1, containerName(k + 1))));
    const bad = inventory('broken-image', (doc) => doc.setIn(['ensembles', 0, 'image'], BROKEN_IMAGE));
    const r = await apply(bad);
    t.diagnostic(`apply of the broken release: ${show(r)}`);
    assert.equal(r.code, 1, show(r));

    // followers first: the lowest-numbered follower was replaced, and nothing else
    const first = [1, 2, 3].find((i) => i !== leaderHost)!;
    const after = await Promise.all(lab.hosts.map((_, k) => containerId(k + 1, containerName(k + 1))));
    for (const i of [1, 2, 3]) {
      if (i === first) assert.notEqual(after[i - 1], ids[i - 1], `${containerName(i)} was replaced`);
      else assert.equal(after[i - 1], ids[i - 1], `${containerName(i)} was not touched`);
    }
    assert.match(r.stderr, new RegExp(`rollout of ${ENSEMBLE} stopped: the new ${containerName(first)} on h${first} does not stay up`), show(r));
    assert.match(r.stderr, /zkplan-test: refusing to start/, 'the container log is shown');
    for (const i of [1, 2, 3]) {
      // A container that exits at once is seen between restarts (restarting), or just restarted (running, restarted n times).
      const state = i === first ? 'container (restarting|exited|running, restarted \\d+ times?)[^\\n]*, not serving, replaced' : 'container running, (leader|follower), not replaced';
      assert.match(r.stderr, new RegExp(`server ${i} ${containerName(i)} on h${i}: ${state}`), show(r));
    }
    // the untouched two keep the quorum
    const rest = lab.addresses.filter((_, k) => k + 1 !== first);
    await waitForQuorum(rest, 60_000);
    assert.deepEqual(leftoverLocks(), []);

    // the good inventory repairs it
    const fix = await apply(good);
    assert.equal(fix.code, 0, show(fix));
    assert.match(fix.stdout, /0 to create, 1 to change, 2 unchanged/, show(fix));
    assert.match(fix.stdout, /verified/);
    await waitForQuorum(lab.addresses, 60_000);
    const status = await zkplan(['status', good]);
    assert.equal(status.code, 0, show(status));
    healthyState = await snapshot();
  });

  it('survives the leader being killed during a rolling change and loses no acknowledged write', async (t) => {
    await healthy();
    const { leader } = await waitForQuorum(lab.addresses, 60_000);
    const ids = await Promise.all(lab.hosts.map((_, k) => containerId(k + 1, containerName(k + 1))));
    const servers = lab.addresses.map((a) => `${a}:2181`);
    const writer = await startZnodeWriter(servers, '/apply-faults');
    try {
      const change = inventory('rolling-change', (doc) => doc.setIn(['ensembles', 0, 'admin_server'], false));
      const { child, done } = startZkplan(['apply', change, '--timeout', '240'], { env: cliEnv() });
      let stderr = '';
      let killed: number | undefined;
      let killing: Promise<unknown> | undefined;
      child.stderr!.on('data', (d: string) => {
        stderr += d;
        // the first follower's new container runs and apply waits for the ensemble: kill the leader now
        if (killing === undefined && /\bchange\s+ok\s+/.test(stderr)) {
          killed = lab.addresses.indexOf(leader) + 1;
          killing = lab.docker(killed, ['kill', containerName(killed)]);
        }
      });
      const r = await done;
      await killing;
      t.diagnostic(`rolling apply with the leader (h${killed}) killed: ${show(r)}`);
      assert.ok(killed !== undefined, `the leader was killed during the rollout\n${show(r)}`);
      assert.equal(r.code, 0, show(r));
      assert.match(r.stdout, /0 to create, 3 to change, 0 unchanged/, show(r));
      assert.match(r.stdout, /verified/);
      // every server runs a new container; the killed leader's was replaced too
      await allReplacedWhileWriting(ids, writer);
    } finally {
      await writer.stop();
    }
    await noAcknowledgedWriteLost(t, writer, servers, '/apply-faults');
    assert.deepEqual(leftoverLocks(), []);
  });

  it('an apply killed mid-roll is completed by `apply --force-unlock` without breaking quorum', async (t) => {
    await healthy();
    const ids = await Promise.all(lab.hosts.map((_, k) => containerId(k + 1, containerName(k + 1))));
    const servers = lab.addresses.map((a) => `${a}:2181`);
    const writer = await startZnodeWriter(servers, '/apply-killed');
    const change = inventory('killed-change', (doc) => doc.setIn(['ensembles', 0, 'admin_server'], false));
    try {
      const { child, done } = startZkplan(['apply', change, '--timeout', '240'], { env: cliEnv() });
      let stderr = '';
      child.stderr!.on('data', (d: string) => {
        stderr += d;
        // the first server's new container runs: the operator's zkplan dies here
        if (/\bchange\s+ok\s+/.test(stderr)) child.kill('SIGKILL');
      });
      const killed = await done;
      t.diagnostic(`the killed apply: ${show(killed)}`);
      assert.notEqual(killed.code, 0, show(killed));
      const between = await Promise.all(lab.hosts.map((_, k) => containerId(k + 1, containerName(k + 1))));
      assert.equal(between.filter((id, k) => id !== ids[k]).length, 1, 'one server was replaced before the kill');
      assert.notDeepEqual(leftoverLocks(), [], 'the killed apply left its lock');

      const refused = await apply(change);
      assert.equal(refused.code, 1, show(refused));
      assert.match(refused.stderr, /is locked by .*retry with --force-unlock/s);

      const r = await apply(change, '--force-unlock');
      t.diagnostic(`the apply that completes it: ${show(r)}`);
      assert.equal(r.code, 0, show(r));
      assert.match(r.stdout, /0 to create, 2 to change, 1 unchanged/, show(r));
      assert.match(r.stdout, /verified/);
      await allReplacedWhileWriting(ids, writer);
    } finally {
      await writer.stop();
    }
    await noAcknowledgedWriteLost(t, writer, servers, '/apply-killed');
    assert.deepEqual(leftoverLocks(), []);
  });

  it('rejects hostile values with file:line:col or carries them as inert data: nothing is injected', async () => {
    const tag = `${process.pid}-${Date.now()}`;
    const marker = (n: number) => {
      const m = `/tmp/zkplan-PWNED-${tag}-${n}`;
      markers.push(m);
      return m;
    };
    const hostile = (n: number) => [
      `$(touch ${marker(n)})`,
      `x\`touch ${marker(n + 100)}\``,
      `a'b"c; touch ${marker(n + 200)}`,
      `line1\ntouch ${marker(n + 300)}`,
    ];
    const where: [string, (string | number)[]][] = [
      ['host name', ['hosts', 0, 'name']],
      ['host address', ['hosts', 1, 'address']],
      ['label value', ['hosts', 2, 'labels', 'zone']],
      ['image', ['ensembles', 0, 'image']],
      ['ensemble name', ['ensembles', 0, 'name']],
      ['service prefix', ['ensembles', 0, 'service_prefix']],
      ['data dir', ['ensembles', 0, 'data_dir']],
      ['state dir', ['hosts', 0, 'state_dir']],
      ['ssh user', ['ssh', 'user']],
      ['ssh jump', ['hosts', 1, 'ssh', 'jump']],
      ['zookeeper version', ['ensembles', 0, 'zookeeper_version']],
    ];
    // One inventory per kind of hostile value, with it in every field at once: the loader
    // reports every problem of a file, each at its own position.
    const table = where.map((_, n) => hostile(n));
    for (let k = 0; k < 4; k++) {
      const values = table.map((row) => row[k]!);
      const file = inventory(`hostile-${k}`, (doc) => where.forEach(([, at], n) => doc.setIn(at, values[n])));
      const text = readFileSync(file, 'utf8');
      const doc = YAML.parseDocument(text);
      const r = await zkplan(['apply', file, '--timeout', '30']);
      assert.equal(r.code, 2, show(r));
      assert.doesNotMatch(r.stderr, /\n\s+at \S+ \(/, 'no stack trace');
      where.forEach(([what, at], n) => {
        const node = doc.getIn(at, true) as YAML.Node;
        const lines = text.slice(0, node.range![0]).split('\n');
        const pos = `${file}:${lines.length}:${lines[lines.length - 1]!.length + 1}: `;
        assert.ok(r.stderr.includes(pos), `${what} = ${JSON.stringify(values[n])}: expected ${pos}\n${show(r)}`);
      });
    }
    // a hostile label key
    const key = inventory('hostile-label-key', (doc) => doc.setIn(['hosts', 0, 'labels', `$(touch ${marker(999)})`], 'x'));
    const rk = await zkplan(['apply', key]);
    assert.equal(rk.code, 2, show(rk));
    assert.match(rk.stderr, new RegExp(`${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: `));

    // Accepted as data: local paths (identity file) and a flag value go nowhere near a shell.
    const idPath = `/tmp/zkplan-nokey-$(touch ${marker(1000)})\`touch ${marker(1001)}\`;touch ${marker(1002)}`;
    const inv = inventory('hostile-identity', (doc) => doc.setIn(['ssh', 'identity_file'], idPath));
    const ri = await apply(inv);
    assert.equal(ri.code, 1, show(ri));
    assert.ok(ri.stderr.includes(idPath), `the path is quoted verbatim\n${show(ri)}`);
    const re = await zkplan(['apply', good, '--ensemble', `$(touch ${marker(1003)})`]);
    assert.equal(re.code, 2, show(re));

    // no marker exists: not here and not as seen from the lab hosts (they share this root filesystem)
    for (const m of markers) assert.equal(existsSync(m), false, `${m} was created: a value was run as a command`);
    for (const [k] of lab.hosts.entries()) {
      const out = await lab.ssh(k + 1, `ls /tmp | grep -c zkplan-PWNED-${tag} || true`);
      assert.equal(out.stdout.trim(), '0', `no marker seen from ${lab.host(k + 1).name}`);
    }
    assert.deepEqual(leftoverLocks(), []);
  });
});
