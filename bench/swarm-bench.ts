// Swarm mode on 3 lab nodes (h1 manager), side by side in one lab:
//
//   SWARM FLOOR  `ssh h1 docker stack deploy --detach=true --resolve-image never` of zkplan's own
//                rendered stack (`zkplan render --target swarm --resolve`), the nodes already
//                labelled, until one leader + 2 followers (`srvr` polled every 50 ms); time from
//                the ssh start to that moment
//   SWARM APPLY  `zkplan apply --target swarm` on the same inventory, nodes unlabelled (zkplan
//                labels them): wall time from spawn to exit (exit 0 once the ensemble is proven)
//   SWARM NOOP   the same apply again (must change nothing)
//
// Floor and apply alternate; between runs the stack, its containers, the node labels and the
// servers' data are removed. Used by bench/lab-bench.ts (npm run bench); alone (root, lab up to
// the caller's ZKPLAN_LAB_ID): `node --import tsx bench/swarm-bench.ts` prints the result as JSON
// and, with BENCH_SWARM_TRACE=1, each zkplan run's trace lines.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { fourLetterWord, labDown, labUp, swarmUp, waitForQuorum, type Lab } from '../test/lab/lab.js';
import { describeFailure, loadAvg1, log, parseTrace, range, sleep, stats, zkplan, type Stats } from './common.js';

const NODES = 3;
const STACK = 'zkswarm';
const FLOOR_STACK = 'zkswarmfloor';
const PIN = 'aliyun.node_index';
const POLL_MS = 50;
const QUORUM_TIMEOUT_MS = 120_000;

export interface SwarmSample {
  ms: number;
  load1: number;
  phases?: Record<string, number>;
  counts?: Record<string, number>;
}

export interface SwarmResult {
  nodes: number;
  floor: { samples: SwarmSample[]; warmup: SwarmSample[]; stats: Stats | null };
  apply: { samples: SwarmSample[]; warmup: SwarmSample[]; stats: Stats | null };
  noop: { samples: SwarmSample[]; stats: Stats | null; nothingChanged: boolean[] };
  failures: { what: string; run: number; message: string }[];
  /** zkplan's stderr (progress and trace lines) of the first measured apply and no-op */
  progress: Record<string, string>;
}

async function pollQuorum(addresses: string[], t0: number): Promise<number> {
  for (;;) {
    const round = performance.now();
    const replies = await Promise.all(addresses.map((a) => fourLetterWord(a, 'srvr', 2181, 1000)));
    const modes = replies.map((r) => /^Mode: (\S+)/m.exec(r)?.[1] ?? null);
    if (modes.filter((m) => m === 'leader').length === 1 && modes.filter((m) => m === 'follower').length === addresses.length - 1) return performance.now() - t0;
    if (performance.now() - t0 > QUORUM_TIMEOUT_MS) throw new Error(`no quorum after ${QUORUM_TIMEOUT_MS} ms: ${JSON.stringify(modes)}`);
    const wait = POLL_MS - (performance.now() - round);
    if (wait > 0) await sleep(wait);
  }
}

async function nodeIds(lab: Lab): Promise<Map<string, string>> {
  const r = await lab.docker(1, ['node', 'ls', '--format', '{{.Hostname}} {{.ID}}']);
  return new Map(r.stdout.trim().split('\n').map((l) => l.split(' ') as [string, string]));
}

/** Pin labels as the inventory has them (h_i: aliyun.node_index=i), or none. */
async function setPinLabels(lab: Lab, on: boolean): Promise<void> {
  const ids = await nodeIds(lab);
  for (const i of range(NODES)) {
    const id = ids.get(lab.host(i).name);
    if (!id) throw new Error(`no Swarm node called ${lab.host(i).name}`);
    const labels = (await lab.docker(1, ['node', 'inspect', '--format', '{{json .Spec.Labels}}', id])).stdout.trim();
    const present = Object.keys((JSON.parse(labels) ?? {}) as Record<string, string>);
    const args = on ? ['--label-add', `${PIN}=${i}`] : present.flatMap((k) => ['--label-rm', k]);
    if (args.length) await lab.docker(1, ['node', 'update', ...args, id]);
  }
}

/** Remove a stack and wait until no node runs a container of it. */
async function removeStack(lab: Lab, stack: string): Promise<void> {
  await lab.docker(1, ['stack', 'rm', stack], { allowFail: true });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const left = await Promise.all(range(NODES).map((i) => lab.docker(i, ['ps', '-aq', '--filter', `label=com.docker.stack.namespace=${stack}`], { allowFail: true })));
    if (left.every((r) => r.stdout.trim() === '')) break;
    if (Date.now() > deadline) throw new Error(`containers of stack ${stack} still present after 60 s`);
    await sleep(250);
  }
  // the stack's network goes a moment after its containers; a new deploy of the name would race it
  for (let k = 0; k < 40; k++) {
    const nets = await lab.docker(1, ['network', 'ls', '-q', '--filter', `label=com.docker.stack.namespace=${stack}`], { allowFail: true });
    if (nets.stdout.trim() === '') break;
    await sleep(250);
  }
}

async function cleanData(lab: Lab): Promise<void> {
  await rm(path.join(lab.info.stateDir, 'hostdata', STACK), { recursive: true, force: true });
  await Promise.all(range(NODES).map((i) => rm(path.join(lab.info.stateDir, lab.host(i).name, 'zkplan', STACK), { recursive: true, force: true })));
  await Promise.all(range(NODES).map((i) => rm(path.join(lab.info.stateDir, lab.host(i).name, 'zkplan', 'locks', STACK), { recursive: true, force: true })));
}

/** Everything back to an unlabelled Swarm with neither stack nor data. */
async function reset(lab: Lab): Promise<void> {
  await removeStack(lab, FLOOR_STACK);
  await removeStack(lab, STACK);
  await setPinLabels(lab, false);
  await cleanData(lab);
}

async function floorRun(lab: Lab, stackFile: string): Promise<SwarmSample> {
  await setPinLabels(lab, true);
  const load1 = loadAvg1();
  const t0 = performance.now();
  const quorum = pollQuorum(lab.addresses.slice(0, NODES), t0);
  const deployed = lab.ssh(1, ['docker', 'stack', 'deploy', '--detach=true', '--resolve-image', 'never', '--compose-file', stackFile, FLOOR_STACK]);
  const [q, d] = await Promise.allSettled([quorum, deployed]);
  if (d.status === 'rejected') throw d.reason;
  if (q.status === 'rejected') throw q.reason;
  return { ms: Math.round(q.value), load1 };
}

function parseCounts(stdout: string): Record<string, number> | undefined {
  try {
    const reports = JSON.parse(stdout) as { rollout?: { counts?: Record<string, number> } }[];
    return reports[0]?.rollout?.counts;
  } catch {
    return undefined;
  }
}

async function applyRun(inventory: string): Promise<SwarmSample & { stderr: string }> {
  const load1 = loadAvg1();
  const r = await zkplan(['apply', inventory, '--target', 'swarm', '--timeout', '120', '--json']);
  if (r.code !== 0) throw new Error(describeFailure(r));
  const counts = parseCounts(r.stdout);
  return { ms: Math.round(r.ms), load1, phases: parseTrace(r.stderr), ...(counts ? { counts } : {}), stderr: r.stderr };
}

/** The Swarm figures on a lab of 3 hosts the caller brought up (labUp(3)). */
export async function benchSwarm(lab: Lab, runs: number, warmup: number): Promise<SwarmResult> {
  const res: SwarmResult = {
    nodes: NODES,
    floor: { samples: [], warmup: [], stats: null },
    apply: { samples: [], warmup: [], stats: null },
    noop: { samples: [], stats: null, nothingChanged: [] },
    failures: [],
    progress: {},
  };
  const work = await mkdtemp(path.join(os.tmpdir(), 'zkplan-swarm-bench-'));
  try {
    await swarmUp(lab);
    const inventory = path.join(work, 'swarm.yml');
    await lab.writeInventory(inventory, { profile: 'official', swarm: true, ensembleName: STACK, extra: { servers: NODES } });
    // block style, as operators write inventories (see writeBenchInventory in lab-bench.ts)
    await writeFile(inventory, YAML.stringify(YAML.parse(await readFile(inventory, 'utf8'))));
    // zkplan's own stack, addresses inline (docker stack deploy reads no .env); lab hosts share
    // the root file system, so the manager reads it where it was written.
    const stackFile = path.join(work, 'floor-stack.yml');
    const rendered = await zkplan(['render', inventory, '--target', 'swarm', '--resolve', '--output', stackFile]);
    if (rendered.code !== 0) throw new Error(`render: ${describeFailure(rendered)}`);
    // same services, another stack name: volumes and networks never mix with apply's
    const text = await readFile(stackFile, 'utf8');
    if (!text.includes('services:')) throw new Error(`render wrote no stack: ${text.slice(0, 200)}`);
    await reset(lab);
    for (let r = -warmup; r < runs; r++) {
      const isWarmup = r < 0;
      const tag = isWarmup ? `warm-up ${r + warmup + 1}` : `run ${r + 1}/${runs}`;
      try {
        const f = await floorRun(lab, stackFile);
        (isWarmup ? res.floor.warmup : res.floor.samples).push(f);
        log(`swarm ${tag}: floor (docker stack deploy → 1 leader) ${f.ms} ms`);
      } catch (e) {
        res.failures.push({ what: 'swarm floor', run: r + 1, message: (e as Error).message });
        log(`swarm ${tag}: floor FAILED: ${(e as Error).message}`);
      }
      await reset(lab);
      try {
        const a = await applyRun(inventory);
        await waitForQuorum(lab.addresses.slice(0, NODES), 10_000);
        const { stderr, ...sample } = a;
        (isWarmup ? res.apply.warmup : res.apply.samples).push(sample);
        if (r === 0) res.progress.apply = stderr;
        if (process.env.BENCH_SWARM_TRACE) process.stderr.write(stderr);
        log(`swarm ${tag}: apply --target swarm ${a.ms} ms ${JSON.stringify(a.counts ?? {})}`);
        if (!isWarmup) {
          const n = await applyRun(inventory);
          const { stderr: noopErr, ...noop } = n;
          const nothing = n.counts !== undefined && (n.counts.create ?? 0) + (n.counts.change ?? 0) === 0;
          res.noop.samples.push(noop);
          res.noop.nothingChanged.push(nothing);
          if (r === 0) res.progress.noop = noopErr;
          if (process.env.BENCH_SWARM_TRACE) process.stderr.write(noopErr);
          log(`swarm ${tag}: no-op apply ${n.ms} ms, nothing changed: ${nothing}`);
        }
      } catch (e) {
        res.failures.push({ what: 'swarm apply', run: r + 1, message: (e as Error).message });
        log(`swarm ${tag}: apply FAILED: ${(e as Error).message}`);
      }
      const d = await zkplan(['destroy', inventory, '--target', 'swarm', '--purge-data', '--yes']);
      if (d.code !== 0) res.failures.push({ what: 'swarm destroy', run: r + 1, message: describeFailure(d) });
      await reset(lab);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  res.floor.stats = stats(res.floor.samples.map((s) => s.ms));
  res.apply.stats = stats(res.apply.samples.map((s) => s.ms));
  res.noop.stats = stats(res.noop.samples.map((s) => s.ms));
  return res;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const lab = await labUp(NODES);
  try {
    const res = await benchSwarm(lab, Number(process.env.BENCH_SWARM_RUNS ?? 3), Number(process.env.BENCH_WARMUP ?? 1));
    const { progress: _progress, ...summary } = res;
    console.log(JSON.stringify(summary, null, 2));
  } finally {
    await labDown();
  }
}
