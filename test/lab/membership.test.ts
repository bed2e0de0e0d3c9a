// Membership changes of a running ensemble through `zkplan apply` (the built CLI), static method,
// on an 8-host lab, while a client keeps writing sequential znodes through servers 1-3 (the ones
// every membership keeps): 3 → 5 → 7 → 3 → 4 servers, each by one apply. After each: no
// acknowledged write lost, every member's `conf` lists exactly the planned membership, removed
// servers' data moved aside, and the server that joins again after the shrink starts on fresh
// data. Then a dead host: with h3 still alive and serving, moving its pin label to h8 is refused
// and changes nothing; with h3's network gone, the same apply makes the ensemble whole on h8.
// Per scenario the time, the longest write outage and the number of writes checked are printed.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureBuilt, fourLetterWord, type Lab, labUp, run, writingApply, zkplanCli, type ExecResult } from './lab.js';

const ENSEMBLE = 'zkmem';
const HOSTS = 8;
// Generous: 7 JVMs on 2 shared cores; each wait of a step gets this long.
const CLI_TIMEOUT = ['--timeout', '300'];

let lab: Lab;
let dir: string;
const figures: string[] = [];

const explain = (r: ExecResult) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
const dataRoot = () => path.join(lab.info.stateDir, 'hostdata', ENSEMBLE);

/** The lab's labels, with the pin label of host `from` moved to host `to`. */
function labels(moved?: { from: number; to: number }) {
  return (i: number) => {
    const pin = moved && i === moved.to ? moved.from : moved && i === moved.from ? 100 + i : i;
    return { 'aliyun.node_index': pin, zone: `z${(i % 3) + 1}` };
  };
}

async function inventory(servers: number, moved?: { from: number; to: number }): Promise<string> {
  const file = path.join(dir, `inventory-${servers}${moved ? `-moved-${moved.from}-${moved.to}` : ''}.yml`);
  await lab.writeInventory(file, { profile: 'official', ensembleName: ENSEMBLE, hosts: HOSTS, labels: labels(moved), extra: { servers } });
  return file;
}

/** The `server.N` ids a server's `conf` lists after its `membership:` line. */
async function confMembers(address: string): Promise<number[]> {
  const conf = await fourLetterWord(address, 'conf', 2181, 5000);
  return [...conf.matchAll(/^server\.(\d+)=/gm)].map((m) => Number(m[1])).sort((a, b) => a - b);
}

/** One apply while the writer writes; returns what it took. */
async function applyWhileWriting(file: string, label: string, writeVia: string[]): Promise<ExecResult> {
  const { result, line } = await writingApply(['apply', file, ...CLI_TIMEOUT], label, writeVia, `/membership-test/${label.replace(/\W+/g, '-')}`);
  figures.push(line);
  console.log(`# ${line}`);
  return result;
}

async function assertMembership(ids: number[]): Promise<void> {
  for (const id of ids) assert.deepEqual(await confMembers(lab.host(id).address), ids, `conf of server.${id}`);
}

describe('membership changes (static method)', { timeout: 3_600_000 }, () => {
  const keep = () => [1, 2, 3].map((i) => `${lab.host(i).address}:2181`);

  before(async () => {
    lab = await labUp(HOSTS);
    await ensureBuilt();
    await lab.removeEnsemble(ENSEMBLE);
    dir = await mkdtemp(path.join(os.tmpdir(), 'zkplan-membership-'));
  });

  after(async () => {
    for (const f of figures) console.log(`# ${f}`);
    if (!lab) return;
    // h3's network may have been taken away
    await run(['ip', '-n', lab.host(3).netns, 'link', 'set', 'eth0', 'up'], { allowFail: true });
    await lab.removeEnsemble(ENSEMBLE);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('creates 3 servers', async () => {
    const r = await zkplanCli(['apply', await inventory(3), ...CLI_TIMEOUT]);
    assert.equal(r.code, 0, explain(r));
    await assertMembership([1, 2, 3]);
  });

  it('--dry-run of 3 → 5 prints the single-server steps and changes nothing', async () => {
    const before = await containerIds();
    const r = await zkplanCli(['apply', await inventory(5), '--dry-run', ...CLI_TIMEOUT]);
    assert.equal(r.code, 0, explain(r));
    assert.match(r.stdout, /membership \{1,2,3\} runs, the plan has \{1,2,3,4,5\}: 2 single-server steps/);
    assert.match(r.stdout, /step 1: server\.4 joins .*restart server\.\d, server\.\d, server\.\d one at a time; membership \{1,2,3,4\}; 3 of 4 voters serving during the step, majority 3/);
    assert.deepEqual(await containerIds(), before);
  });

  it('grows 3 → 5 by one apply, one server at a time, no acknowledged write lost', async () => {
    const r = await applyWhileWriting(await inventory(5), '3 → 5', keep());
    assert.match(r.stdout, /^zkmem: 0 to create, 0 to change, 5 unchanged$/m);
    await assertMembership([1, 2, 3, 4, 5]);
  });

  it('grows 5 → 7 by one apply', async () => {
    await applyWhileWriting(await inventory(7), '5 → 7', keep());
    await assertMembership([1, 2, 3, 4, 5, 6, 7]);
  });

  it('shrinks 7 → 3 by one apply, from the highest id down; removed servers stopped, their data moved aside', async () => {
    const r = await applyWhileWriting(await inventory(3), '7 → 3', keep());
    assert.match(r.stderr, /step 1 of 4: server\.7 leaves[\s\S]*step 4 of 4: server\.4 leaves/);
    await assertMembership([1, 2, 3]);
    for (const id of [4, 5, 6, 7]) {
      assert.deepEqual(await lab.docker(id, ['ps', '-aq', '--filter', `label=io.zkplan.ensemble=${ENSEMBLE}`]).then((x) => x.stdout.trim()), '', `no container left on h${id}`);
      assert.ok(!existsSync(path.join(dataRoot(), String(id))), `server ${id}'s data directory is no longer in place`);
      assert.ok(readdirSync(dataRoot()).some((n) => new RegExp(`^${id}\\.removed-\\d{8}T\\d{6}Z-server${id}$`).test(n)), `server ${id}'s data moved aside`);
    }
  });

  it('a grow after the shrink starts the joining server on fresh data, never the removed one', async () => {
    const aside = readdirSync(dataRoot()).filter((n) => n.startsWith('4.removed-'));
    const started = Date.now();
    await applyWhileWriting(await inventory(4), '3 → 4 (after the shrink)', keep());
    await assertMembership([1, 2, 3, 4]);
    // The removed server's data is still aside, untouched; the new one's files are all new.
    assert.deepEqual(readdirSync(dataRoot()).filter((n) => n.startsWith('4.removed-')), aside);
    const files = walk(path.join(dataRoot(), '4'));
    assert.ok(files.length > 0);
    for (const f of files) assert.ok(statSync(f).birthtimeMs >= started - 2000 || statSync(f).ctimeMs >= started - 2000, `${f} predates the grow`);
    // and back to 3 for the host scenarios
    await applyWhileWriting(await inventory(3), '4 → 3', keep());
    await assertMembership([1, 2, 3]);
  });

  it('moving server 3\'s pin label to a fresh host is refused while the old host is alive and serving, changing nothing', async () => {
    const before = await containerIds();
    const r = await zkplanCli(['apply', await inventory(3, { from: 3, to: 8 }), ...CLI_TIMEOUT]);
    assert.equal(r.code, 1, explain(r));
    assert.match(r.stderr, new RegExp(`refusing to apply ${ENSEMBLE}: server\\.3 is planned on h8, but the old server\\.3 still answers at ${lab.host(3).address.replace(/\./g, '\\.')}:2181 as (leader|follower) of this ensemble`));
    assert.deepEqual(await containerIds(), before);
    await assertMembership([1, 2, 3]);
  });

  it('a dead host: with h3\'s network gone, the same apply makes the ensemble whole on h8, no write lost', async () => {
    await run(['ip', '-n', lab.host(3).netns, 'link', 'set', 'eth0', 'down']);
    const via = [1, 2].map((i) => `${lab.host(i).address}:2181`);
    const r = await applyWhileWriting(await inventory(3, { from: 3, to: 8 }), 'replace dead h3 by h8', via);
    assert.match(r.stderr, /server\.3 moves to h8: the old one does not answer/);
    for (const id of [1, 2]) assert.deepEqual(await confMembers(lab.host(id).address), [1, 2, 3]);
    assert.deepEqual(await confMembers(lab.host(8).address), [1, 2, 3]);
    const conf = await fourLetterWord(lab.host(1).address, 'conf', 2181, 5000);
    assert.match(conf, new RegExp(`^server\\.3=${lab.host(8).address.replace(/\./g, '\\.')}:2888:3888`, 'm'));
    assert.ok(readdirSync(dataRoot()).some((n) => /^3\.stale-\d{8}T\d{6}Z-server3$/.test(n)), 'the data left at server 3\'s path was moved aside before it started on h8');
  });
});

async function containerIds(): Promise<string[]> {
  const all = await Promise.all(lab.hosts.map((_, i) => lab.docker(i + 1, ['ps', '-aq', '--no-trunc', '--filter', `label=io.zkplan.ensemble=${ENSEMBLE}`])));
  return all.flatMap((r) => r.stdout.split('\n').filter(Boolean)).sort();
}

function walk(d: string): string[] {
  return readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
}
