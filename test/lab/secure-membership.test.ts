// Membership changes of a secured ensemble (quorum TLS, a TLS client port beside the plain one,
// quorum SASL) through `zkplan apply` (the built CLI) on 4 lab hosts, while a client keeps
// writing sequential znodes through the plain client port of servers 1-3. Static method: 3 → 4
// and 4 → 3, each by one apply; then a `reconfig: true` ensemble grown 3 → 4 and shrunk 4 → 3 by
// dynamic reconfiguration; then one with a TLS-only client port shrunk 4 → 3 by reconfig (no
// writer: the reconfig request and the checks speak TLS) and its grow refused up front. After each: no acknowledged write lost, zkplan's verify passed, every
// member's `conf` lists exactly the planned membership; after a grow, `openssl s_client`
// completes a handshake with zkplan's CA on the joiner's election port (its certificate names its
// address); after the shrink, the removed server's key material is gone from its host. Per change
// the time, the longest write outage and the number of writes checked are printed.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { directDial } from '../../src/verify/dial.js';
import { fourLetterWord as wordVia } from '../../src/verify/four-letter.js';
import { tlsDial } from '../../src/verify/tls-dial.js';
import { ensureBuilt, fourLetterWord, type Lab, labUp, writingApply, zkplanCli, type ExecResult, opensslHandshake } from './lab.js';

const STATIC = 'zksecmem';
const RECONFIG = 'zksecrec';
const TLS_ONLY = 'zksectls';
const ENSEMBLES = [STATIC, RECONFIG, TLS_ONLY];
const HOSTS = 4;
const SECURITY = { quorum_tls: true, client_tls: 'both', quorum_sasl: true };
const CLI_TIMEOUT = ['--timeout', '600'];

let lab: Lab;
let dir: string;
const figures: string[] = [];

const explain = (r: ExecResult) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

async function inventory(ensemble: string, servers: number, extra: Record<string, unknown> = { security: SECURITY }): Promise<string> {
  const file = path.join(dir, `inventory-${ensemble}-${servers}${extra.security ? '' : '-plain'}.yml`);
  await lab.writeInventory(file, { profile: 'official', ensembleName: ensemble, hosts: HOSTS, extra: { servers, heap: '200m', ...extra } });
  return file;
}

/** The `server.N` ids a server's `conf` lists (asked on the plain client port). */
async function confMembers(address: string): Promise<number[]> {
  const conf = await fourLetterWord(address, 'conf', 2181, 5000);
  return [...conf.matchAll(/^server\.(\d+)=/gm)].map((m) => Number(m[1])).sort((a, b) => a - b);
}

async function assertMembership(ids: number[]): Promise<void> {
  for (const id of ids) assert.deepEqual(await confMembers(lab.host(id).address), ids, `conf of server.${id}`);
}

async function applyWhileWriting(file: string, label: string): Promise<ExecResult> {
  const via = [1, 2, 3].map((i) => `${lab.host(i).address}:2181`);
  const { result, line } = await writingApply(['apply', file, ...CLI_TIMEOUT], label, via, `/secure-membership-test/${label.replace(/\W+/g, '-')}`);
  figures.push(line);
  console.log(`# ${line}`);
  assert.match(result.stdout, /verified; apply took/);
  return result;
}

/** The joiner (server 4 on h4) runs TLS-only quorum sockets with a certificate from zkplan's CA naming its address. */
async function assertJoinerSecured(ensemble: string): Promise<void> {
  const tlsDir = path.join(dir, '.zkplan', ensemble, 'tls');
  const address = lab.host(4).address;
  const out = await opensslHandshake(tlsDir, address, 3888);
  assert.match(out, /Verify return code: 0 \(ok\)/, out);
  assert.match(out, new RegExp(`subject=CN = ${ensemble}4`), out);
  const logs = await lab.docker(4, ['logs', `${ensemble}4`]);
  assert.match(logs.stdout + logs.stderr, /Creating TLS-only quorum server socket/);
  const label = await lab.docker(4, ['inspect', '--format', '{{index .Config.Labels "io.zkplan.security-phase"}}', `${ensemble}4`]);
  assert.match(label.stdout.trim(), /^secured:quorum_tls,client_tls=both,quorum_sasl/);
}

// every lab host's state_dir is a directory of this machine (lab.ts)
const secretsRoot = (ensemble: string, id: number) => path.join(lab.info.stateDir, lab.host(id).name, 'zkplan', ensemble, 'secrets');

describe('membership changes of a secured ensemble (host target)', { timeout: 3_600_000 }, () => {
  before(async () => {
    lab = await labUp(HOSTS);
    await ensureBuilt();
    for (const e of ENSEMBLES) await lab.removeEnsemble(e);
    dir = await mkdtemp(path.join(os.tmpdir(), 'zkplan-secure-membership-'));
  });

  after(async () => {
    for (const f of figures) console.log(`# ${f}`);
    if (!lab) return;
    for (const e of ENSEMBLES) await lab.removeEnsemble(e);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  describe('static method', () => {
    it('creates 3 secured servers', async () => {
      const r = await zkplanCli(['apply', await inventory(STATIC, 3), ...CLI_TIMEOUT], { timeoutMs: 900_000 });
      assert.equal(r.code, 0, explain(r));
      await assertMembership([1, 2, 3]);
    });

    it('grows 3 → 4 by one apply, writes going on, none lost; the joiner speaks TLS on its election port with a certificate from zkplan\'s CA naming its address', async () => {
      const r = await applyWhileWriting(await inventory(STATIC, 4), 'secured 3 → 4 (static)');
      assert.match(r.stderr, /step 1 of 1: server\.4 joins/);
      assert.match(r.stdout, new RegExp(`^${STATIC}: 0 to create, 0 to change, 4 unchanged$`, 'm'));
      await assertMembership([1, 2, 3, 4]);
      await assertJoinerSecured(STATIC);
    });

    it('shrinks 4 → 3 by one apply, writes going on, none lost; the removed server\'s key material leaves its host', async () => {
      const r = await applyWhileWriting(await inventory(STATIC, 3), 'secured 4 → 3 (static)');
      assert.match(r.stderr, /step 1 of 1: server\.4 leaves/);
      await assertMembership([1, 2, 3]);
      assert.equal((await lab.docker(4, ['ps', '-aq', '--filter', `label=io.zkplan.ensemble=${STATIC}`])).stdout.trim(), '');
      assert.ok(!existsSync(path.join(secretsRoot(STATIC, 4), `${STATIC}4`)), `the secrets of ${STATIC}4 are still on h4`);
      assert.ok(existsSync(path.join(secretsRoot(STATIC, 1), `${STATIC}1`)), 'the secrets of a server that stays are kept');
    });

    it('a membership change together with a security change is refused, changing nothing', async () => {
      const r = await zkplanCli(['apply', await inventory(STATIC, 4, {}), ...CLI_TIMEOUT], { timeoutMs: 600_000 });
      assert.equal(r.code, 1, explain(r));
      assert.match(r.stderr, new RegExp(`refusing to apply ${STATIC}: change membership or security, not both in one apply`));
      await assertMembership([1, 2, 3]);
      await lab.removeEnsemble(STATIC);
    });
  });

  describe('dynamic reconfiguration (reconfig: true)', () => {
    const startedAt = (id: number) => lab.docker(id, ['inspect', '--format', '{{.Id}} {{.State.StartedAt}}', `${RECONFIG}${id}`]).then((r) => r.stdout.trim());

    it('creates 3 secured servers', async () => {
      const r = await zkplanCli(['apply', await inventory(RECONFIG, 3, { security: SECURITY, reconfig: true }), ...CLI_TIMEOUT], { timeoutMs: 900_000 });
      assert.equal(r.code, 0, explain(r));
      await assertMembership([1, 2, 3]);
    });

    it('grows 3 → 4 by reconfig, writes going on, none lost, no member restarted; the joiner speaks TLS with zkplan\'s CA', async () => {
      const before = await Promise.all([1, 2, 3].map(startedAt));
      const r = await applyWhileWriting(await inventory(RECONFIG, 4, { security: SECURITY, reconfig: true }), 'secured 3 → 4 (reconfig)');
      assert.match(r.stderr, /reconfig -add server\.4 committed/);
      await assertMembership([1, 2, 3, 4]);
      assert.deepEqual(await Promise.all([1, 2, 3].map(startedAt)), before, 'the original members were not restarted');
      await assertJoinerSecured(RECONFIG);
    });

    it('shrinks 4 → 3 by reconfig, writes going on, none lost, no member restarted; the removed server\'s key material leaves its host', async () => {
      const before = await Promise.all([1, 2, 3].map(startedAt));
      const r = await applyWhileWriting(await inventory(RECONFIG, 3, { security: SECURITY, reconfig: true }), 'secured 4 → 3 (reconfig)');
      assert.match(r.stderr, /reconfig -remove 4 committed/);
      await assertMembership([1, 2, 3]);
      assert.deepEqual(await Promise.all([1, 2, 3].map(startedAt)), before, 'the original members were not restarted');
      assert.ok(!existsSync(path.join(secretsRoot(RECONFIG, 4), `${RECONFIG}4`)), `the secrets of ${RECONFIG}4 are still on h4`);
      await lab.removeEnsemble(RECONFIG);
    });
  });

  // No writer here: the only client port speaks TLS. What it proves is that the reconfig request
  // and every check of the change go through zkplan's TLS client dial.
  describe('dynamic reconfiguration with client_tls: only', () => {
    const only = { ...SECURITY, client_tls: 'only' };
    const confOverTls = async (id: number) => {
      const tlsDir = path.join(dir, '.zkplan', TLS_ONLY, 'tls');
      const client = { key: readFileSync(path.join(tlsDir, 'zkplan-client.key')), cert: readFileSync(path.join(tlsDir, 'zkplan-client.pem')), ca: readFileSync(path.join(tlsDir, 'ca.pem')) };
      const conf = await wordVia(tlsDial(directDial, client), lab.host(id).address, 2181, 'conf', 10_000);
      return [...conf.matchAll(/^server\.(\d+)=/gm)].map((m) => Number(m[1])).sort((a, b) => a - b);
    };

    it('shrinks 4 → 3 by one apply: the reconfig -remove speaks TLS; every member\'s conf (asked over TLS) lists the new membership', async () => {
      const created = await zkplanCli(['apply', await inventory(TLS_ONLY, 4, { security: only, reconfig: true }), ...CLI_TIMEOUT], { timeoutMs: 900_000 });
      assert.equal(created.code, 0, explain(created));
      assert.equal(await fourLetterWord(lab.host(1).address, 'conf', 2181, 3000), '', 'no plain-text answer on the client port');
      const started = Date.now();
      const r = await zkplanCli(['apply', await inventory(TLS_ONLY, 3, { security: only, reconfig: true }), ...CLI_TIMEOUT], { timeoutMs: 900_000 });
      assert.equal(r.code, 0, explain(r));
      assert.match(r.stderr, /reconfig -remove 4 committed/);
      assert.match(r.stdout, /verified; apply took/);
      const line = `secured (client_tls: only) 4 → 3 (reconfig, no writer): ${((Date.now() - started) / 1000).toFixed(1)} s`;
      figures.push(line);
      console.log(`# ${line}`);
      for (const id of [1, 2, 3]) assert.deepEqual(await confOverTls(id), [1, 2, 3], `conf of server.${id}`);
    });

    it('a grow by reconfig is refused up front (a reconfig -add needs a plain client port in the joiner\'s line), nothing changed', async () => {
      const r = await zkplanCli(['apply', await inventory(TLS_ONLY, 4, { security: only, reconfig: true }), ...CLI_TIMEOUT], { timeoutMs: 600_000 });
      assert.equal(r.code, 1, explain(r));
      assert.match(r.stderr, new RegExp(`refusing to apply ${TLS_ONLY}: a server joins by dynamic reconfiguration, and ZooKeeper takes a reconfig -add only with a plain client port`));
      assert.equal((await lab.docker(4, ['ps', '-aq', '--filter', `label=io.zkplan.ensemble=${TLS_ONLY}`])).stdout.trim(), '', 'no joiner started');
      for (const id of [1, 2, 3]) assert.deepEqual(await confOverTls(id), [1, 2, 3], `conf of server.${id}`);
    });
  });
});
