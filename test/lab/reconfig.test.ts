// Membership changes by dynamic reconfiguration (`reconfig: true`) through `zkplan apply` (the
// built CLI, official contract) on a 5-host lab, while a client keeps writing sequential znodes
// through servers 1-3 (the ones every membership keeps): 3 → 5 → 3, each by one apply. After each:
// no acknowledged write lost, every member's `conf` lists exactly the planned membership with one
// configuration version, the original members' containers never restarted (same id, same
// StartedAt), and a following apply changes nothing (the members' containers still carry the
// membership they were created with, which must not roll them). The super user's password never
// leaves zkplan's directory (not in docker inspect, not in apply's output). Per scenario the
// time, the longest write outage and the number of writes checked are printed.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureBuilt, fourLetterWord, type Lab, labUp, writingApply, zkplanCli, type ExecResult } from './lab.js';

const ENSEMBLE = 'zkrec';
const HOSTS = 5;
const CLI_TIMEOUT = ['--timeout', '300'];

let lab: Lab;
let dir: string;
const figures: string[] = [];
const outputs: string[] = [];

const explain = (r: ExecResult) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
const dataRoot = () => path.join(lab.info.stateDir, 'hostdata', ENSEMBLE);

async function inventory(servers: number): Promise<string> {
  const file = path.join(dir, `inventory-${servers}.yml`);
  await lab.writeInventory(file, { profile: 'official', ensembleName: ENSEMBLE, hosts: HOSTS, extra: { servers, reconfig: true } });
  return file;
}

async function apply(file: string, extra: string[] = []): Promise<ExecResult> {
  const r = await zkplanCli(['apply', file, ...extra, ...CLI_TIMEOUT]);
  outputs.push(r.stdout, r.stderr);
  return r;
}

/** The `server.N` ids and the `version=` of a server's `conf`. */
async function confOf(address: string): Promise<{ ids: number[]; version: string | undefined }> {
  const conf = await fourLetterWord(address, 'conf', 2181, 5000);
  return { ids: [...conf.matchAll(/^server\.(\d+)=/gm)].map((m) => Number(m[1])).sort((a, b) => a - b), version: /^version=(\w+)$/m.exec(conf)?.[1] };
}

/** Every member lists exactly `ids`, all with one configuration version. */
async function assertMembership(ids: number[]): Promise<string> {
  const confs = await Promise.all(ids.map((id) => confOf(lab.host(id).address)));
  for (const [i, c] of confs.entries()) assert.deepEqual(c.ids, ids, `conf of server.${ids[i]}`);
  const versions = new Set(confs.map((c) => c.version));
  assert.equal(versions.size, 1, `one configuration version on every member: ${[...versions].join(', ')}`);
  assert.ok([...versions][0], 'conf shows a configuration version');
  return [...versions][0]!;
}

/** Container id and StartedAt of the ensemble's container on each host that has one. */
async function started(): Promise<Map<number, string>> {
  const found = new Map<number, string>();
  for (let i = 1; i <= HOSTS; i++) {
    const ids = (await lab.docker(i, ['ps', '-aq', '--no-trunc', '--filter', `label=io.zkplan.ensemble=${ENSEMBLE}`])).stdout.split('\n').filter(Boolean);
    for (const id of ids) found.set(i, (await lab.docker(i, ['inspect', '-f', '{{.Id}} {{.State.StartedAt}} {{.RestartCount}}', id])).stdout.trim());
  }
  return found;
}

async function applyWhileWriting(file: string, label: string): Promise<ExecResult> {
  const via = [1, 2, 3].map((i) => `${lab.host(i).address}:2181`);
  const { result, line } = await writingApply(['apply', file, ...CLI_TIMEOUT], `${label} (reconfig)`, via, `/reconfig-test/${label.replace(/\W+/g, '-')}`);
  outputs.push(result.stdout, result.stderr);
  figures.push(line);
  console.log(`# ${line}`);
  return result;
}

describe('membership changes by dynamic reconfiguration', { timeout: 3_600_000 }, () => {
  let original: Map<number, string>;

  before(async () => {
    lab = await labUp(HOSTS);
    await ensureBuilt();
    await lab.removeEnsemble(ENSEMBLE);
    dir = await mkdtemp(path.join(os.tmpdir(), 'zkplan-reconfig-'));
  });

  after(async () => {
    for (const f of figures) console.log(`# ${f}`);
    if (!lab) return;
    await lab.removeEnsemble(ENSEMBLE);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('creates 3 servers with reconfigEnabled, standaloneEnabled=false and zkplan\'s super digest; the password stays local', async () => {
    const r = await apply(await inventory(3));
    assert.equal(r.code, 0, explain(r));
    await assertMembership([1, 2, 3]);
    original = await started();
    assert.deepEqual([...original.keys()], [1, 2, 3]);
    const container = original.get(1)!.split(' ')[0]!;
    const cfg = (await lab.docker(1, ['exec', container, 'cat', '/conf/zoo.cfg'])).stdout;
    assert.match(cfg, /^reconfigEnabled=true$/m);
    assert.match(cfg, /^standaloneEnabled=false$/m);
    const secrets = path.join(dir, '.zkplan', ENSEMBLE);
    assert.equal(statSync(secrets).mode & 0o777, 0o700);
    assert.equal(statSync(path.join(secrets, 'super.password')).mode & 0o777, 0o600);
    const password = readFileSync(path.join(secrets, 'super.password'), 'utf8').trim();
    assert.ok(password.length >= 43, 'a 256-bit password');
    const inspect = (await lab.docker(1, ['inspect', container])).stdout;
    assert.match(inspect, /DigestAuthenticationProvider\.superDigest=super:[A-Za-z0-9+/]{27}=/, 'the server gets the digest');
    assert.ok(!inspect.includes(password), 'the password is not in docker inspect');
  });

  it('--dry-run of 3 → 5 names the method and the steps and changes nothing', async () => {
    const before = await started();
    const r = await apply(await inventory(5), ['--dry-run']);
    assert.equal(r.code, 0, explain(r));
    assert.match(r.stdout, /membership \{1,2,3\} runs, the plan has \{1,2,3,4,5\}: 2 single-server steps, dynamic reconfiguration/);
    assert.match(r.stdout, /step 1: server\.4 joins \(started with the committed membership plus itself, then reconfig -add\); no restart; membership \{1,2,3,4\}/);
    assert.deepEqual(await started(), before);
  });

  it('grows 3 → 5 by one apply: no member restarted, no acknowledged write lost', async () => {
    const v0 = await assertMembership([1, 2, 3]);
    const r = await applyWhileWriting(await inventory(5), '3 → 5');
    assert.match(r.stderr, /reconfig -add server\.4 committed[\s\S]*reconfig -add server\.5 committed/);
    assert.match(r.stdout, /^zkrec: 0 to create, 0 to change, 5 unchanged$/m);
    const v1 = await assertMembership([1, 2, 3, 4, 5]);
    assert.notEqual(v1, v0, 'a new configuration version');
    const now = await started();
    for (const id of [1, 2, 3]) assert.equal(now.get(id), original.get(id), `server.${id} was not restarted`);
  });

  it('a following apply changes nothing (the members still carry their creation membership)', async () => {
    const before = await started();
    const r = await apply(await inventory(5));
    assert.equal(r.code, 0, explain(r));
    assert.match(r.stdout, /^zkrec: 0 to create, 0 to change, 5 unchanged$/m);
    assert.doesNotMatch(r.stdout + r.stderr, /single-server step/);
    assert.deepEqual(await started(), before);
  });

  it('shrinks 5 → 3 by one apply: removed servers stopped after the commit, their data moved aside', async () => {
    const r = await applyWhileWriting(await inventory(3), '5 → 3');
    assert.match(r.stderr, /reconfig -remove 5 committed[\s\S]*reconfig -remove 4 committed/);
    await assertMembership([1, 2, 3]);
    const now = await started();
    assert.deepEqual([...now.keys()], [1, 2, 3], 'servers 4 and 5 have no container left');
    for (const id of [1, 2, 3]) assert.equal(now.get(id), original.get(id), `server.${id} was not restarted`);
    for (const id of [4, 5]) {
      assert.ok(!existsSync(path.join(dataRoot(), String(id))), `server ${id}'s data directory is no longer in place`);
      assert.ok(readdirSync(dataRoot()).some((n) => new RegExp(`^${id}\\.removed-\\d{8}T\\d{6}Z-server${id}$`).test(n)), `server ${id}'s data moved aside`);
    }
  });

  it('a following apply changes nothing, and the password was never printed', async () => {
    const r = await apply(await inventory(3));
    assert.equal(r.code, 0, explain(r));
    assert.match(r.stdout, /^zkrec: 0 to create, 0 to change, 3 unchanged$/m);
    assert.deepEqual(await started(), original);
    const password = readFileSync(path.join(dir, '.zkplan', ENSEMBLE, 'super.password'), 'utf8').trim();
    for (const o of outputs) assert.ok(!o.includes(password), 'the super password is in no apply output');
  });
});
