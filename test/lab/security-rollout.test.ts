// Security turned on and off on a running ensemble by one `zkplan apply` each (the built CLI, 3
// lab hosts), with a client writing all the time through the plain client port: plain → unify
// (port unification, SASL offered) → tls (TLS quorum, learners require SASL) → secured (quorum
// TLS only, servers require SASL, a TLS client port beside the plain one), each step a leader-last
// rolling change verified before the next; `--dry-run` lists the steps and changes nothing; the
// way back is interrupted (zkplan killed) and the next apply resumes from the servers' labels.
// No acknowledged write is lost and the longest write outage is reported (a diagnostic, never
// asserted on: the machine is shared).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureBuilt, type Lab, labUp, startZkplan, startZnodeWriter, zkplanCli, znodeChildren, type ExecResult, type ZnodeWriter } from './lab.js';

const ENSEMBLE = 'zkroll';
const SECURITY = { quorum_tls: true, client_tls: 'both', quorum_sasl: true };

function explain(r: ExecResult): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

/** The longest time between two acknowledged writes while it watches. */
function watchOutage(writer: ZnodeWriter): { stop(): number } {
  let seen = writer.acknowledged.length;
  let last = Date.now();
  let longest = 0;
  const timer = setInterval(() => {
    const now = Date.now();
    if (writer.acknowledged.length > seen) {
      seen = writer.acknowledged.length;
      last = now;
    }
    longest = Math.max(longest, now - last);
  }, 20);
  return {
    stop() {
      clearInterval(timer);
      return longest;
    },
  };
}

function stepTimes(stderr: string): string[] {
  return [...stderr.matchAll(/step (\d+\/\d+) (\w+) (verified|NOT verified) after ([\d.]+) s/g)].map((m) => `${m[2]} ${m[4]} s${m[3] === 'verified' ? '' : ' (NOT verified)'}`);
}

describe('security turned on and off on a running ensemble (zkplan apply, writes going on)', { timeout: 1_800_000 }, () => {
  let lab: Lab;
  let dir: string;
  let inventory: string;
  let servers: string[];
  const container = (id: number) => `${ENSEMBLE}${id}`;
  const write = (security?: object) => lab.writeInventory(inventory, { profile: 'official', ensembleName: ENSEMBLE, extra: { heap: '200m', ...(security ? { security } : {}) } });
  const labels = async () =>
    Promise.all(lab.hosts.map(async (_, i) => (await lab.docker(i + 1, ['inspect', '--format', '{{index .Config.Labels "io.zkplan.security-phase"}}', container(i + 1)])).stdout.trim()));

  const cleanUp = () => lab.removeEnsemble(ENSEMBLE);

  before(async () => {
    lab = await labUp(3);
    await ensureBuilt();
    await cleanUp();
    dir = await mkdtemp(path.join(os.tmpdir(), 'zkplan-security-rollout-'));
    inventory = path.join(dir, 'inventory.yml');
    servers = lab.addresses.map((a) => `${a}:2181`);
    await write();
    const plain = await zkplanCli(['apply', inventory], { timeoutMs: 300_000 });
    assert.equal(plain.code, 0, explain(plain));
  });

  after(async () => {
    if (!lab) return;
    await cleanUp();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('plain → secured: --dry-run lists the steps; one apply rolls them, writes going on, none lost', async () => {
    await write(SECURITY);
    const dry = await zkplanCli(['apply', inventory, '--dry-run'], { timeoutMs: 120_000 });
    assert.equal(dry.code, 0, explain(dry));
    assert.match(dry.stderr, /security changes in 3 rolling steps, each verified before the next: unify → tls → secured/);
    assert.deepEqual(await labels(), ['', '', ''], 'a dry run changes nothing');

    const root = `/rollout-on-${Date.now()}`;
    const writer = await startZnodeWriter(servers, root);
    const outage = watchOutage(writer);
    const started = Date.now();
    let r: ExecResult;
    let total: number;
    let longest: number;
    try {
      r = await zkplanCli(['apply', inventory, '--timeout', '900'], { timeoutMs: 1_200_000 });
      total = Date.now() - started;
      await new Promise((res) => setTimeout(res, 1000));
    } finally {
      longest = outage.stop();
      await writer.stop();
    }
    assert.equal(r.code, 0, explain(r));
    for (const step of ['1/3: unify', '2/3: tls', '3/3: secured']) assert.match(r.stderr, new RegExp(`step ${step}`));
    const times = stepTimes(r.stderr);
    assert.equal(times.length, 3, r.stderr);
    assert.deepEqual(await labels(), Array(3).fill('secured:quorum_tls,client_tls=both,quorum_sasl,secure_client=2281'));
    const children = new Set(await znodeChildren(servers, root));
    const lost = writer.acknowledged.filter((p) => !children.has(p.slice(root.length + 1)));
    assert.deepEqual(lost, [], 'no acknowledged write lost');
    console.log(`# on: steps ${times.join(', ')}; apply ${(total / 1000).toFixed(1)} s; writes acknowledged ${writer.acknowledged.length}, retried ${writer.retries}, checked ${children.size}; longest write outage ${longest} ms`);
    for (let i = 1; i <= 3; i++) {
      const logs = await lab.docker(i, ['logs', container(i)]);
      assert.match(logs.stdout + logs.stderr, /Creating TLS-only quorum server socket/);
    }
    const again = await zkplanCli(['apply', inventory], { timeoutMs: 300_000 });
    assert.equal(again.code, 0, explain(again));
    assert.match(again.stdout, /0 to create, 0 to change, 3 unchanged/);
  });

  it('secured → plain: interrupted mid-way, resumed by the next apply from what runs; writes going on, none lost', async () => {
    await write();
    const root = `/rollout-off-${Date.now()}`;
    const writer = await startZnodeWriter(servers, root);
    const outage = watchOutage(writer);
    const started = Date.now();
    let stderr = '';
    let killed: ExecResult;
    let resumed: ExecResult;
    let seen: string[];
    let total: number;
    let longest: number;
    try {
      const first = startZkplan(['apply', inventory, '--timeout', '900'], { timeoutMs: 1_200_000 });
      first.child.stderr?.on('data', (d: Buffer) => {
        stderr += d.toString();
        // killed once the second step has begun: the first step (tls) is done everywhere
        if (/step 2\/3: unify/.test(stderr) && !first.child.killed) first.child.kill('SIGKILL');
      });
      killed = await first.done;
      seen = await labels();
      resumed = await zkplanCli(['apply', inventory, '--force-unlock', '--timeout', '900'], { timeoutMs: 1_200_000 });
      total = Date.now() - started;
      await new Promise((res) => setTimeout(res, 1000));
    } finally {
      longest = outage.stop();
      await writer.stop();
    }
    assert.match(killed.stderr + stderr, /security changes in 3 rolling steps, each verified before the next: tls → unify → plain/);
    assert.ok(seen.every((l) => l === '' || /^(tls|unify):/.test(l)), `after the interruption: ${seen.join(', ')}\n${killed.stderr}${stderr}`);
    assert.equal(resumed.code, 0, explain(resumed));
    assert.match(resumed.stderr, /security changes in 2 rolling steps, each verified before the next: unify → plain/);
    assert.deepEqual(await labels(), ['', '', '']);
    const children = new Set(await znodeChildren(servers, root));
    const lost = writer.acknowledged.filter((p) => !children.has(p.slice(root.length + 1)));
    assert.deepEqual(lost, [], 'no acknowledged write lost');
    console.log(`# off: first run ${stepTimes(stderr).join(', ')} (killed in step 2), resumed ${stepTimes(resumed.stderr).join(', ')}; both ${(total / 1000).toFixed(1)} s; writes acknowledged ${writer.acknowledged.length}, retried ${writer.retries}, checked ${children.size}; longest write outage ${longest} ms`);
  });
});
