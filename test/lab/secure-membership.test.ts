// Membership changes of a secured ensemble (quorum TLS, a TLS client port beside the plain one,
// quorum SASL) through `zkplan apply` (the built CLI), static method, on 4 lab hosts, while a
// client keeps writing sequential znodes through the plain client port of servers 1-3: 3 → 4 and
// 4 → 3, each by one apply. After each: no acknowledged write lost, every member's `conf` lists
// exactly the planned membership, zkplan's verify passed; after the grow, `openssl s_client`
// completes a handshake with zkplan's CA on the joiner's election port (its certificate names its
// address); after the shrink, the removed server's key material is gone from its host. Per change
// the time, the longest write outage and the number of writes checked are printed.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureBuilt, fourLetterWord, type Lab, labUp, run, writingApply, zkplanCli, type ExecResult } from './lab.js';

const ENSEMBLE = 'zksecmem';
const HOSTS = 4;
const SECURITY = { quorum_tls: true, client_tls: 'both', quorum_sasl: true };
const CLI_TIMEOUT = ['--timeout', '600'];

let lab: Lab;
let dir: string;
const figures: string[] = [];

const explain = (r: ExecResult) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

async function inventory(servers: number): Promise<string> {
  const file = path.join(dir, `inventory-${servers}.yml`);
  await lab.writeInventory(file, { profile: 'official', ensembleName: ENSEMBLE, hosts: HOSTS, extra: { servers, heap: '200m', security: SECURITY } });
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

describe('membership changes of a secured ensemble (static method, host target)', { timeout: 3_600_000 }, () => {
  const tlsDir = () => path.join(dir, '.zkplan', ENSEMBLE, 'tls');
  // every lab host's state_dir is a directory of this machine (lab.ts)
  const secretsRoot = (id: number) => path.join(lab.info.stateDir, lab.host(id).name, 'zkplan', ENSEMBLE, 'secrets');

  before(async () => {
    lab = await labUp(HOSTS);
    await ensureBuilt();
    await lab.removeEnsemble(ENSEMBLE);
    dir = await mkdtemp(path.join(os.tmpdir(), 'zkplan-secure-membership-'));
  });

  after(async () => {
    for (const f of figures) console.log(`# ${f}`);
    if (!lab) return;
    await lab.removeEnsemble(ENSEMBLE);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('creates 3 secured servers', async () => {
    const r = await zkplanCli(['apply', await inventory(3), ...CLI_TIMEOUT], { timeoutMs: 900_000 });
    assert.equal(r.code, 0, explain(r));
    await assertMembership([1, 2, 3]);
  });

  it('grows 3 → 4 by one apply, writes going on, none lost; the joiner speaks TLS on its election port with a certificate from zkplan\'s CA naming its address', async () => {
    const r = await applyWhileWriting(await inventory(4), 'secured 3 → 4');
    assert.match(r.stderr, /step 1 of 1: server\.4 joins/);
    assert.match(r.stdout, /^zksecmem: 0 to create, 0 to change, 4 unchanged$/m);
    await assertMembership([1, 2, 3, 4]);
    const address = lab.host(4).address;
    const ca = path.join(tlsDir(), 'ca.pem');
    const s = await run(
      ['openssl', 's_client', '-connect', `${address}:3888`, '-CAfile', ca, '-verify_ip', address, '-verify_return_error', '-cert', path.join(tlsDir(), 'zkplan-client.pem'), '-key', path.join(tlsDir(), 'zkplan-client.key')],
      { input: '', allowFail: true, timeoutMs: 20_000 },
    );
    const out = s.stdout + s.stderr;
    assert.match(out, /Verify return code: 0 \(ok\)/, out);
    assert.match(out, new RegExp(`subject=CN = ${ENSEMBLE}4`), out);
    const logs = await lab.docker(4, ['logs', `${ENSEMBLE}4`]);
    assert.match(logs.stdout + logs.stderr, /Creating TLS-only quorum server socket/);
    const labels = await lab.docker(4, ['inspect', '--format', '{{index .Config.Labels "io.zkplan.security-phase"}}', `${ENSEMBLE}4`]);
    assert.match(labels.stdout.trim(), /^secured:quorum_tls,client_tls=both,quorum_sasl/);
  });

  it('shrinks 4 → 3 by one apply, writes going on, none lost; the removed server\'s key material leaves its host', async () => {
    const r = await applyWhileWriting(await inventory(3), 'secured 4 → 3');
    assert.match(r.stderr, /step 1 of 1: server\.4 leaves/);
    await assertMembership([1, 2, 3]);
    assert.equal((await lab.docker(4, ['ps', '-aq', '--filter', `label=io.zkplan.ensemble=${ENSEMBLE}`])).stdout.trim(), '');
    assert.ok(!existsSync(path.join(secretsRoot(4), `${ENSEMBLE}4`)), `the secrets of ${ENSEMBLE}4 are still on h4`);
    assert.ok(existsSync(path.join(secretsRoot(1), `${ENSEMBLE}1`)), 'the secrets of a server that stays are kept');
  });

  it('a membership change together with a security change is refused, changing nothing', async () => {
    const file = path.join(dir, 'inventory-4-plain.yml');
    await lab.writeInventory(file, { profile: 'official', ensembleName: ENSEMBLE, hosts: HOSTS, extra: { servers: 4, heap: '200m' } });
    const r = await zkplanCli(['apply', file, ...CLI_TIMEOUT], { timeoutMs: 600_000 });
    assert.equal(r.code, 1, explain(r));
    assert.match(r.stderr, /refusing to apply zksecmem: change membership or security, not both in one apply/);
    await assertMembership([1, 2, 3]);
  });
});
