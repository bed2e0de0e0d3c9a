// zkplan apply/status/destroy --target swarm against a real Swarm of lab engines: h1 manager,
// h2..h4 workers. Three servers pinned by node label to h1..h3; h4 is where a server moves.
// Host-network stack: deploy, re-deploy (nothing restarts), a change rolled leader last, a move
// by relabelling, status, destroy (volumes kept). Overlay stack: deploy, verify, re-deploy, move,
// destroy --purge-data.
// Needs root; run with ZKPLAN_LAB_ID set (see test/lab/README.md).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/io.js';
import type { SwarmApplyReport } from '../../src/cli/swarm.js';
import { directDial } from '../../src/verify/dial.js';
import { writeAndReadBack } from '../../src/verify/znode.js';
import { type Lab, labUp, srvrMode, swarmUp, waitForQuorum } from './lab.js';

const N = 4;
const PIN = 'aliyun.node_index';
const dir = mkdtempSync(path.join(tmpdir(), 'zkplan-swarm-lab-'));
let lab: Lab;

interface Run {
  code: number;
  out: string;
  err: string;
  ms: number;
}

async function zkplan(...args: string[]): Promise<Run> {
  let out = '';
  let err = '';
  const io: Io = {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    readText: (p) => readFileSync(p, 'utf8'),
    writeFile: () => {
      throw new Error('these commands write no local files');
    },
    env: process.env,
  };
  const t = Date.now();
  const code = await runCli(args, io);
  return { code, out, err, ms: Date.now() - t };
}

/** Labels per host: pin values for server ids (host index → id), a zone each. */
function labelsFor(pins: Record<number, number>) {
  return (i: number) => ({ ...(pins[i] !== undefined ? { [PIN]: pins[i] } : {}), zone: `z${i}` });
}

async function writeInventory(file: string, opts: { name: string; pins: Record<number, number>; extra?: Record<string, unknown> }): Promise<string> {
  const full = path.join(dir, file);
  await lab.writeInventory(full, { profile: 'official', swarm: true, ensembleName: opts.name, labels: labelsFor(opts.pins), extra: { servers: 3, ...opts.extra } });
  return full;
}

async function applyJson(inventory: string): Promise<{ run: Run; report: SwarmApplyReport }> {
  const run = await zkplan('apply', inventory, '--target', 'swarm', '--json', '--timeout', '180');
  assert.equal(run.code, 0, `apply failed:\n${run.err}`);
  const reports = JSON.parse(run.out) as SwarmApplyReport[];
  assert.equal(reports.length, 1);
  return { run, report: reports[0]! };
}

/** service name → node hostname of its running task, from the manager. */
async function placement(stack: string): Promise<Record<string, string>> {
  const r = await lab.docker(1, ['stack', 'ps', '--filter', 'desired-state=running', '--format', '{{.Name}} {{.Node}} {{.CurrentState}}', stack]);
  const out: Record<string, string> = {};
  for (const line of r.stdout.trim().split('\n')) {
    const [name, node, state] = line.split(' ');
    if (state === 'Running') out[name!.replace(/\.\d+$/, '')] = node!;
  }
  return out;
}

/** Running task ids of the stack (a restarted service gets a new one). */
async function taskIds(stack: string): Promise<string[]> {
  const r = await lab.docker(1, ['stack', 'ps', '-q', '--filter', 'desired-state=running', stack]);
  return r.stdout.trim().split('\n').sort();
}

async function nodeLabels(): Promise<Record<string, Record<string, string>>> {
  const out: Record<string, Record<string, string>> = {};
  for (let i = 1; i <= N; i++) {
    const r = await lab.docker(1, ['node', 'inspect', '--format', '{{json .Spec.Labels}}', `h${i}`]);
    out[`h${i}`] = (JSON.parse(r.stdout) as Record<string, string> | null) ?? {};
  }
  return out;
}

async function volumes(hostIndex: number, stack: string): Promise<string[]> {
  const r = await lab.docker(hostIndex, ['volume', 'ls', '-q', '--filter', `name=${stack}_`]);
  return r.stdout.trim().split('\n').filter(Boolean).sort();
}

/** One leader, followers, and a znode written through one server read back through every other. */
async function proveEnsemble(addresses: string[]): Promise<string> {
  const q = await waitForQuorum(addresses, 60_000);
  assert.equal(q.followers.length, addresses.length - 1, JSON.stringify(q.modes));
  const members = addresses.map((a, i) => ({ id: i + 1, role: 'participant' as const, address: a, port: 2181 }));
  const z = await writeAndReadBack(members, (a, p) => directDial(a, p, 5000), { timeoutMs: 60_000, path: `/zkplan-swarm-test-${Date.now()}` });
  assert.ok(z.ok, JSON.stringify(z));
  assert.notEqual(z.writtenVia, null);
  assert.deepEqual(
    z.readVia.filter((r) => r.ok).map((r) => r.id).concat(z.writtenVia!).sort(),
    members.map((m) => m.id),
    'read back through every other server',
  );
  return q.leader;
}

/** Progress lines `update ok <service>` in the order apply updated the services. */
function updates(err: string): string[] {
  return [...err.matchAll(/ update +ok +(\S+)/g)].map((m) => m[1]!);
}

async function cleanup(): Promise<void> {
  if (!lab) return;
  await lab.docker(1, ['stack', 'rm', 'zk', 'zko'], { allowFail: true });
  const labels = await nodeLabels().catch(() => ({}) as Record<string, Record<string, string>>);
  for (const [node, l] of Object.entries(labels)) {
    const rm = Object.keys(l).filter((k) => k === PIN || k.startsWith('io.zkplan.'));
    if (rm.length) await lab.docker(1, ['node', 'update', ...rm.flatMap((k) => ['--label-rm', k]), node], { allowFail: true });
  }
  for (let i = 1; i <= N; i++) {
    for (let k = 0; k < 60; k++) {
      const ps = await lab.docker(i, ['ps', '-aq', '--filter', 'label=com.docker.stack.namespace'], { allowFail: true });
      if (ps.stdout.trim() === '') break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const v = [...(await volumes(i, 'zk')), ...(await volumes(i, 'zko'))];
    if (v.length) await lab.docker(i, ['volume', 'rm', '-f', ...v], { allowFail: true });
  }
}

describe('swarm target on a lab Swarm', () => {
  let hostInv: string;
  const addr = (i: number) => lab.host(i).address;

  before(async () => {
    lab = await labUp(N);
    await swarmUp(lab);
    await cleanup();
    hostInv = await writeInventory('host.yml', { name: 'zk', pins: { 1: 1, 2: 2, 3: 3 } });
  });

  after(async () => {
    try {
      await cleanup();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('deploys the host-network stack: labels written, each service on its node, ensemble proven', async (t) => {
    const { run, report } = await applyJson(hostInv);
    assert.deepEqual(report.rollout.counts, { create: 3, change: 0, unchanged: 0 });
    assert.equal(report.ok, true);
    assert.deepEqual(await placement('zk'), { zk_zk1: 'h1', zk_zk2: 'h2', zk_zk3: 'h3' });
    const labels = await nodeLabels();
    for (let i = 1; i <= 3; i++) assert.equal(labels[`h${i}`]![PIN], String(i));
    assert.equal(labels.h4![PIN], undefined);
    await proveEnsemble([addr(1), addr(2), addr(3)]);
    t.diagnostic(`swarm host network: apply to a proven ensemble ${run.ms} ms (zkplan's verify ${report.health!.elapsedMs} ms)`);
  });

  it('re-deploys without changes: says so and restarts nothing', async (t) => {
    const before = await taskIds('zk');
    const text = await zkplan('apply', hostInv, '--target', 'swarm');
    assert.equal(text.code, 0, text.err);
    assert.match(text.out, /0 to create, 0 to change, 3 unchanged/);
    assert.match(text.out, /nothing changed; no service was updated/);
    assert.deepEqual(updates(text.err), []);
    assert.doesNotMatch(text.err, / label +ok /);
    assert.deepEqual(await taskIds('zk'), before, 'the same tasks still run');
    t.diagnostic(`swarm host network: unchanged re-deploy proven in ${text.ms} ms`);
  });

  it('rolls a configuration change one service at a time, the leader last', async (t) => {
    const leaderAddr = (await waitForQuorum([addr(1), addr(2), addr(3)], 60_000)).leader;
    const leaderService = `zk_zk${[addr(1), addr(2), addr(3)].indexOf(leaderAddr) + 1}`;
    const changed = await writeInventory('host-noadmin.yml', { name: 'zk', pins: { 1: 1, 2: 2, 3: 3 }, extra: { admin_server: false } });
    const before = await taskIds('zk');
    const dry = await zkplan('apply', changed, '--target', 'swarm', '--dry-run');
    assert.equal(dry.code, 0, dry.err);
    assert.match(dry.out, /would have 0 to create, 3 to change, 0 unchanged \(dry run: nothing was changed\)/);
    assert.deepEqual(await taskIds('zk'), before, 'a dry run restarts nothing');
    const { run, report } = await applyJson(changed);
    assert.deepEqual(report.rollout.counts, { create: 0, change: 3, unchanged: 0 });
    const order = updates(run.err);
    assert.equal(order.length, 3, run.err);
    assert.equal(order.at(-1), leaderService, `leader ${leaderService} last; order ${order.join(', ')}`);
    // every step was verified before the next one started
    assert.equal((run.err.match(/ verify +ok +ensemble whole again/g) ?? []).length, 3);
    const after = await taskIds('zk');
    assert.equal(after.filter((id) => before.includes(id)).length, 0, 'every task replaced');
    const env = await lab.docker(1, ['service', 'inspect', '--format', '{{json .Spec.TaskTemplate.ContainerSpec.Env}}', 'zk_zk1']);
    assert.match(env.stdout, /ZOO_ADMINSERVER_ENABLED=false/);
    await proveEnsemble([addr(1), addr(2), addr(3)]);
    t.diagnostic(`swarm host network: rolling change (3 services) to a proven ensemble ${run.ms} ms`);
    hostInv = changed;
  });

  it('moves a server to another node when the inventory moves its pin label', async (t) => {
    const moved = await writeInventory('host-moved.yml', { name: 'zk', pins: { 1: 1, 2: 2, 4: 3 }, extra: { admin_server: false } });
    const { run, report } = await applyJson(moved);
    assert.equal(report.ok, true);
    assert.deepEqual(report.labels.sort(), [`h3: -${PIN} -io.zkplan.pin.zk`, `h4: +${PIN}=3 +io.zkplan.pin.zk=${PIN}`]);
    assert.equal(updates(run.err)[0], 'zk_zk3', 'the moving server goes first');
    assert.deepEqual(await placement('zk'), { zk_zk1: 'h1', zk_zk2: 'h2', zk_zk3: 'h4' });
    const labels = await nodeLabels();
    assert.equal(labels.h3![PIN], undefined);
    assert.equal(labels.h4![PIN], '3');
    assert.equal(await srvrMode(addr(3)), null, 'nothing serves on h3 any more');
    await proveEnsemble([addr(1), addr(2), addr(4)]);
    t.diagnostic(`swarm host network: move of server 3 (h3 → h4) plus rolling to a proven ensemble ${run.ms} ms`);
    hostInv = moved;
  });

  it('refuses to change the running membership (3 → 4 servers), changing nothing', async () => {
    const grown = await writeInventory('host-grown.yml', { name: 'zk', pins: { 1: 1, 2: 2, 4: 3, 3: 4 }, extra: { admin_server: false, servers: 4 } });
    const tasks = await taskIds('zk');
    const labels = await nodeLabels();
    const r = await zkplan('apply', grown, '--target', 'swarm', '--timeout', '180');
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.err, /refusing to apply zk: membership \{1,2,3\} runs, the plan has \{1,2,3,4\}, and target swarm cannot change a running membership one server at a time yet; nothing was changed/);
    assert.deepEqual(await taskIds('zk'), tasks, 'no task restarted');
    assert.deepEqual(await placement('zk'), { zk_zk1: 'h1', zk_zk2: 'h2', zk_zk3: 'h4' });
    assert.deepEqual(await nodeLabels(), labels, 'no node label changed');
  });

  it('status: whole and as planned; drift named against an inventory it does not match', async () => {
    const ok = await zkplan('status', hostInv, '--target', 'swarm');
    assert.equal(ok.code, 0, ok.out + ok.err);
    assert.match(ok.out, /zk: whole and as planned/);
    assert.match(ok.out, /^ +3 +participant +h4 +zk_zk3 +Running.* h4 +(leader|follower) /m);
    const old = await writeInventory('host-old.yml', { name: 'zk', pins: { 1: 1, 2: 2, 3: 3 }, extra: { admin_server: false } });
    const drift = await zkplan('status', old, '--target', 'swarm');
    assert.equal(drift.code, 1);
    assert.match(drift.out, /runs on h4, planned on h3/);
    assert.match(drift.out, /node h4: labels differ from the inventory/);
  });

  it('destroy removes the stack and zkplan’s node labels, keeps the volumes', async () => {
    const r = await zkplan('destroy', hostInv, '--target', 'swarm');
    assert.equal(r.code, 0, r.err);
    const stacks = await lab.docker(1, ['stack', 'ls', '--format', '{{.Name}}']);
    assert.doesNotMatch(stacks.stdout, /^zk$/m);
    const labels = await nodeLabels();
    for (const [node, l] of Object.entries(labels)) {
      assert.deepEqual(Object.keys(l).filter((k) => k === PIN || k.startsWith('io.zkplan.')), [], `${node} labels ${JSON.stringify(l)}`);
    }
    for (const i of [1, 2, 3, 4]) {
      const ps = await lab.docker(i, ['ps', '-aq', '--filter', 'label=com.docker.stack.namespace=zk']);
      assert.equal(ps.stdout.trim(), '', `h${i} has no container of the stack`);
    }
    assert.deepEqual(await volumes(1, 'zk'), ['zk_zk1-data', 'zk_zk1-datalog']);
    assert.deepEqual(await volumes(4, 'zk'), ['zk_zk3-data', 'zk_zk3-datalog']);
    const status = await zkplan('status', hostInv, '--target', 'swarm');
    assert.equal(status.code, 1);
    assert.match(status.out, /container missing/);
  });

  it('deploys the overlay stack (service-name DNS, dnsrr, host-mode client ports), then destroy --purge-data', async (t) => {
    const overlay = await writeInventory('overlay.yml', { name: 'zko', pins: { 1: 1, 2: 2, 3: 3 }, extra: { network: 'overlay' } });
    const { run, report } = await applyJson(overlay);
    assert.equal(report.ok, true);
    assert.deepEqual(await placement('zko'), { zko_zko1: 'h1', zko_zko2: 'h2', zko_zko3: 'h3' });
    const spec = await lab.docker(1, ['service', 'inspect', '--format', '{{.Spec.EndpointSpec.Mode}} {{json .Spec.TaskTemplate.ContainerSpec.Env}}', 'zko_zko1']);
    assert.match(spec.stdout, /^dnsrr /);
    assert.match(spec.stdout, /server\.2=zko2:2888:3888;2181/, 'peers addressed by service name over the overlay');
    const net = await lab.docker(1, ['network', 'inspect', '--format', '{{.Driver}} {{.Scope}}', 'zko-net']);
    assert.equal(net.stdout.trim(), 'overlay swarm');
    await proveEnsemble([addr(1), addr(2), addr(3)]);
    t.diagnostic(`swarm overlay network: apply to a proven ensemble ${run.ms} ms (zkplan's verify ${report.health!.elapsedMs} ms)`);

    const again = await applyJson(overlay);
    assert.deepEqual(again.report.rollout.counts, { create: 0, change: 0, unchanged: 3 });
    t.diagnostic(`swarm overlay network: unchanged re-deploy proven in ${again.run.ms} ms`);

    // Over the overlay, peers address each other by service name: moving server 3 changes no
    // service definition, only the pin label; zkplan still moves it in a step of its own.
    const moved = await writeInventory('overlay-moved.yml', { name: 'zko', pins: { 1: 1, 2: 2, 4: 3 }, extra: { network: 'overlay' } });
    const move = await applyJson(moved);
    assert.deepEqual(move.report.rollout.counts, { create: 0, change: 1, unchanged: 2 });
    assert.deepEqual(updates(move.run.err), ['zko_zko3']);
    assert.deepEqual(await placement('zko'), { zko_zko1: 'h1', zko_zko2: 'h2', zko_zko3: 'h4' });
    await proveEnsemble([addr(1), addr(2), addr(4)]);
    t.diagnostic(`swarm overlay network: move of server 3 (h3 → h4) to a proven ensemble ${move.run.ms} ms`);

    const d = await zkplan('destroy', moved, '--target', 'swarm', '--purge-data', '--yes');
    assert.equal(d.code, 0, d.err);
    for (const i of [1, 2, 3, 4]) assert.deepEqual(await volumes(i, 'zko'), [], `h${i} volumes purged`);
    const nets = await lab.docker(1, ['network', 'ls', '--format', '{{.Name}}']);
    assert.doesNotMatch(nets.stdout, /^zko-net$/m);
  });
});
