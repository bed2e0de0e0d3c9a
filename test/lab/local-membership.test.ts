// Membership changes through `zkplan up --local` (static method) on one lab host's Docker engine,
// static-ip network (the joining servers take the plan's fixed addresses), while a client keeps
// writing sequential znodes through servers 1-3 (the ones every membership keeps):
// 3 → 5 → 3 → 4 → 3 servers, each by one `up --local`. After each: no acknowledged write lost,
// every member's `conf` lists exactly the planned membership; removed servers' volumes copied
// aside as `<volume>.removed-<time>-server<id>` and gone under their own names (a marker file put
// beside server 4's data goes with the copy); the server that joins after the shrink starts on a
// fresh volume without the marker while the aside copy stays as it was; `down
// --purge-data` deletes the aside volumes too. Per scenario the time, the longest write outage
// and the number of writes checked are printed.
//
// The CLI runs inside the lab host's network namespace with DOCKER_HOST set to its daemon (as on
// a developer's machine); the client ports are published on the lab host's address, so the
// writer (in this process) reaches them over the lab bridge.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { LocalUpReport } from '../../src/cli/up.js';
import { fourLetterWord, IMAGES, labUp, run, startZnodeWriter, znodeChildren, type ExecResult, type Lab, type LabHost } from './lab.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ENSEMBLE = 'zkm';
const OWNED = ['--filter', `label=io.zkplan.ensemble=${ENSEMBLE}`, '--filter', 'label=io.zkplan.local=true'];
const MARKER_FILE = 'zkplan-lab-marker';
const MARKER = `server4-before-the-shrink-${process.pid}`;
const ASIDE = (name: string, id: number) => new RegExp(`^${name}\\.removed-\\d{8}T\\d{6}Z-server${id}$`);

let lab: Lab;
let host: LabHost;
let dir: string;
const figures: string[] = [];

const show = (r: ExecResult) => `exit ${r.code}\n--- stderr\n${r.stderr}\n--- stdout\n${r.stdout}`;
const clientPort = (id: number) => 2180 + id;
const via = (ids: number[]) => ids.map((id) => `${host.address}:${clientPort(id)}`);

/** zkplan from the sources, inside the host's network namespace, talking to its dockerd. */
function zkplan(args: string[]): Promise<ExecResult> {
  const entry = `const m = await import(${JSON.stringify(path.join(ROOT, 'src/cli/main.ts'))}); process.exitCode = await m.runCli(process.argv.slice(1));`;
  return run(['nsenter', `--net=/run/netns/${host.netns}`, 'node', '--import', 'tsx', '--input-type=module', '-e', entry, '--', ...args], {
    allowFail: true,
    env: { ...process.env, DOCKER_HOST: `unix://${host.dockerSocket}` },
    timeoutMs: 1_200_000,
  });
}

async function inventory(servers: number): Promise<string> {
  const file = path.join(dir, `local-${servers}.yml`);
  await writeFile(
    file,
    [
      'hosts:',
      '  - { name: local, address: 127.0.0.1 }',
      'ensembles:',
      `  - name: ${ENSEMBLE}`,
      `    servers: ${servers}`,
      `    image: ${IMAGES.official}`,
      '    profile: official',
      '    network: static-ip',
      `    publish_address: ${host.address}`,
      `    service_prefix: ${ENSEMBLE}`,
      '',
    ].join('\n'),
  );
  return file;
}

const docker = (args: string[]) => lab.docker(1, args, { allowFail: true });
const lines = async (args: string[]) => (await docker(args)).stdout.split('\n').filter(Boolean).sort();
const volumes = () => lines(['volume', 'ls', '-q', ...OWNED]);

/** Every file of a volume with its size and modification time, read by a throwaway container. */
async function volumeFiles(volume: string): Promise<string[]> {
  const r = await docker(['run', '--rm', '--network', 'none', '--entrypoint', 'find', '-v', `${volume}:/v:ro`, IMAGES.official, '/v', '-type', 'f', '-exec', 'stat', '-c', '%Y %s %n', '{}', '+']);
  assert.equal(r.code, 0, show(r));
  return r.stdout.split('\n').filter(Boolean).sort();
}

/** A file of a volume, read by a throwaway container. */
async function volumeText(volume: string, file: string): Promise<string> {
  const r = await docker(['run', '--rm', '--network', 'none', '--entrypoint', 'cat', '-v', `${volume}:/v:ro`, IMAGES.official, `/v/${file}`]);
  assert.equal(r.code, 0, show(r));
  return r.stdout.trim();
}

/** The `server.N` ids a server's `conf` lists. */
async function confMembers(id: number): Promise<number[]> {
  const conf = await fourLetterWord(host.address, 'conf', clientPort(id), 5000);
  return [...conf.matchAll(/^server\.(\d+)=/gm)].map((m) => Number(m[1])).sort((a, b) => a - b);
}

async function assertMembership(ids: number[]): Promise<void> {
  for (const id of ids) assert.deepEqual(await confMembers(id), ids, `conf of server.${id}`);
}

/** One `up --local` while the writer writes through servers 1-3; returns the report. */
async function upWhileWriting(servers: number, label: string): Promise<{ report: LocalUpReport; r: ExecResult }> {
  const file = await inventory(servers);
  const root = `/local-membership/${label.replace(/\W+/g, '-')}`;
  const writer = await startZnodeWriter(via([1, 2, 3]), root);
  const started = Date.now();
  let r: ExecResult;
  try {
    r = await zkplan(['up', file, '--local', '--timeout', '300', '--json']);
  } finally {
    await new Promise((res) => setTimeout(res, 500));
    await writer.stop();
  }
  const took = (Date.now() - started) / 1000;
  assert.equal(r.code, 0, show(r));
  const children = new Set(await znodeChildren(via([1, 2, 3]), root));
  const lost = writer.acknowledged.filter((p) => !children.has(path.posix.basename(p)));
  assert.deepEqual(lost, [], `acknowledged writes lost during ${label}`);
  assert.ok(writer.acknowledged.length > 0, 'the writer wrote during the change');
  const line = `${label}: ${took.toFixed(1)} s, longest write outage ${(writer.longestGapMs / 1000).toFixed(1)} s, ${writer.acknowledged.length} acknowledged writes checked (${writer.retries} retried attempts)`;
  figures.push(line);
  console.log(`# ${line}`);
  const [report] = JSON.parse(r.stdout) as LocalUpReport[];
  assert.ok(report?.ok);
  return { report, r };
}

interface Inspect {
  Id: string;
  State: { StartedAt: string };
  NetworkSettings: { Networks: Record<string, { IPAMConfig: { IPv4Address?: string } | null }> };
}
const inspect = async (names: string[]) => JSON.parse((await docker(['container', 'inspect', ...names])).stdout) as Inspect[];
const ips = async (ids: number[]) => (await inspect(ids.map((i) => `${ENSEMBLE}${i}`))).map((c) => c.NetworkSettings.Networks[`${ENSEMBLE}-net`]?.IPAMConfig?.IPv4Address);

describe('membership changes through up --local (static method)', { timeout: 3_600_000 }, () => {
  before(async () => {
    lab = await labUp(1);
    host = lab.host(1);
    dir = await mkdtemp(path.join(os.tmpdir(), 'zkplan-local-membership-'));
    assert.deepEqual(await lines(['ps', '-aq', ...OWNED]), [], 'no ensemble left from an earlier run');
    assert.deepEqual(await volumes(), [], 'no volume left from an earlier run');
  });

  after(async () => {
    for (const f of figures) console.log(`# ${f}`);
    if (!host) return;
    await zkplan(['down', await inventory(3), '--purge-data', '--yes']);
    const ids = await lines(['ps', '-aq', ...OWNED]);
    if (ids.length) await docker(['rm', '-f', '-v', ...ids]);
    for (const n of await lines(['network', 'ls', '-q', ...OWNED])) await docker(['network', 'rm', n]);
    const vols = await volumes();
    if (vols.length) await docker(['volume', 'rm', ...vols]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('creates 3 servers at the plan\'s static addresses', async () => {
    const r = await zkplan(['up', await inventory(3), '--local', '--timeout', '240']);
    assert.equal(r.code, 0, show(r));
    await assertMembership([1, 2, 3]);
    assert.deepEqual(await ips([1, 2, 3]), ['172.19.128.1', '172.19.128.2', '172.19.128.3']);
  });

  it('--dry-run of 3 → 5 prints the single-server steps and changes nothing', async () => {
    const before = await lines(['ps', '-aq', '--no-trunc', ...OWNED]);
    const r = await zkplan(['up', await inventory(5), '--local', '--dry-run']);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /membership \{1,2,3\} runs, the plan has \{1,2,3,4,5\}: 2 single-server steps/);
    assert.match(r.stdout, /step 1: server\.4 joins .*restart server\.\d, server\.\d, server\.\d one at a time; membership \{1,2,3,4\}; 3 of 4 voters serving during the step, majority 3/);
    assert.match(r.stdout, /step 2: server\.5 joins .*membership \{1,2,3,4,5\}; 4 of 5 voters serving during the step, majority 3/);
    assert.match(r.stdout, /dry run: nothing was changed/);
    assert.deepEqual(await lines(['ps', '-aq', '--no-trunc', ...OWNED]), before);
  });

  it('grows 3 → 5 by one up --local, one server at a time, no acknowledged write lost; existing servers keep their addresses', async () => {
    const { report, r } = await upWhileWriting(5, '3 → 5');
    assert.deepEqual(report.rollout.counts, { create: 0, change: 0, unchanged: 5 });
    assert.match(r.stderr, /step 1 of 2: server\.4 joins[\s\S]*step 2 of 2: server\.5 joins/);
    await assertMembership([1, 2, 3, 4, 5]);
    assert.deepEqual(await ips([1, 2, 3, 4, 5]), ['172.19.128.1', '172.19.128.2', '172.19.128.3', '172.19.128.4', '172.19.128.5']);
  });

  it('shrinks 5 → 3, from the highest id down; removed servers gone, their volumes copied aside and removed', async () => {
    const files4 = await volumeFiles(`${ENSEMBLE}4-data`);
    assert.ok(files4.some((f) => /\/version-2\//.test(f)), `server 4 has data to set aside: ${files4.join(', ')}`);
    // A marker beside server 4's data (ZooKeeper touches only myid and version-2/): it must go
    // aside with the data and never reach a server that joins later.
    const marked = await docker(['exec', `${ENSEMBLE}4`, 'sh', '-c', `echo ${MARKER} > /data/${MARKER_FILE}`]);
    assert.equal(marked.code, 0, show(marked));
    const { r } = await upWhileWriting(3, '5 → 3');
    assert.match(r.stderr, /step 1 of 2: server\.5 leaves[\s\S]*step 2 of 2: server\.4 leaves/);
    await assertMembership([1, 2, 3]);
    assert.deepEqual(await lines(['ps', '-a', '--format', '{{.Names}}', ...OWNED]), ['zkm1', 'zkm2', 'zkm3']);
    const vols = await volumes();
    for (const id of [4, 5]) {
      for (const kind of ['data', 'datalog']) {
        const name = `${ENSEMBLE}${id}-${kind}`;
        assert.ok(!vols.includes(name), `${name} is no longer in place`);
        assert.equal(vols.filter((v) => ASIDE(name, id).test(v)).length, 1, `${name} copied aside once: ${vols.join(', ')}`);
      }
    }
    // The copy holds what the volume held: server 4's myid, the marker, its snapshots.
    const aside4 = vols.find((v) => ASIDE(`${ENSEMBLE}4-data`, 4).test(v))!;
    assert.equal(await volumeText(aside4, 'myid'), '4');
    assert.equal(await volumeText(aside4, MARKER_FILE), MARKER);
    assert.ok((await volumeFiles(aside4)).some((f) => /\/version-2\/snapshot\./.test(f)));
  });

  it('a grow after the shrink starts the joining server on a fresh volume, never the removed one', async () => {
    const asideBefore = (await volumes()).filter((v) => v.includes('.removed-'));
    const aside4 = asideBefore.find((v) => ASIDE(`${ENSEMBLE}4-data`, 4).test(v))!;
    const asideFiles = await volumeFiles(aside4);
    const started = Math.floor(Date.now() / 1000) - 2;
    await upWhileWriting(4, '3 → 4 (after the shrink)');
    await assertMembership([1, 2, 3, 4]);
    assert.deepEqual(await ips([4]), ['172.19.128.4']);
    // The aside copies are still there, untouched; every file of the new volume is new.
    assert.deepEqual((await volumes()).filter((v) => v.includes('.removed-')), asideBefore);
    assert.deepEqual(await volumeFiles(aside4), asideFiles);
    const fresh = await volumeFiles(`${ENSEMBLE}4-data`);
    assert.ok(fresh.length > 0);
    assert.ok(!fresh.some((f) => f.endsWith(`/${MARKER_FILE}`)), `the removed server's marker is not in the new volume: ${fresh.join(', ')}`);
    assert.equal(await volumeText(aside4, MARKER_FILE), MARKER);
    for (const f of fresh) assert.ok(Number(f.split(' ')[0]) >= started, `${f} predates the grow (started ${started})`);
    const mounted = JSON.parse((await docker(['container', 'inspect', `${ENSEMBLE}4`, '--format', '{{json .Mounts}}'])).stdout) as { Name?: string }[];
    assert.deepEqual(mounted.map((m) => m.Name).filter((n) => n?.startsWith(`${ENSEMBLE}4-`)).sort(), [`${ENSEMBLE}4-data`, `${ENSEMBLE}4-datalog`]);
    await upWhileWriting(3, '4 → 3');
    await assertMembership([1, 2, 3]);
  });

  it('down keeps the aside volumes; down --purge-data deletes them with the rest', async () => {
    const file = await inventory(3);
    const down = await zkplan(['down', file, '--json']);
    assert.equal(down.code, 0, show(down));
    assert.ok((await volumes()).filter((v) => v.includes('.removed-')).length >= 6);
    const purge = await zkplan(['down', file, '--purge-data', '--yes']);
    assert.equal(purge.code, 0, show(purge));
    assert.deepEqual(await volumes(), []);
  });
});
