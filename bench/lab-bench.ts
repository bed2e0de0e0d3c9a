// zkplan's deployment benchmarks on the multi-host lab (test/lab). Run through bench/run.sh
// (`npm run bench`, needs root), which also guarantees the teardown.
//
//   FLOOR(N)  the same N containers started by a plain parallel `ssh hI docker run -d --net=host`
//             loop, polling `srvr` on every server every 50 ms until one leader + N-1 followers;
//             time from the first ssh start to that moment
//   APPLY(N)  `zkplan apply <inventory>` on a fresh lab inventory (official profile): wall time
//             from process start to exit (exit 0 only once the ensemble is verified); the warm-up
//             run is the first contact (engine addresses found, then remembered in the state_dir)
//   NOOP(3)   the same apply again on the applied 3-host ensemble (must change nothing), BENCH_NOOPS
//             times per measured run (more samples: single runs differ by ±50 ms on 2 cores);
//             the first of them, right after the fresh apply, is also reported on its own row
//   STATUS(3) `zkplan status` on that ensemble (exit 0: whole and as planned), after each no-op
//   ROLL(3)   apply after changing a configuration value of every server (AdminServer port);
//             only with BENCH_ROLL=1 (no issue-9 goal; it costs a minute)
//   DESTROY(N) `zkplan destroy --purge-data` between runs (reported, no goal)
//   SWARM     bench/swarm-bench.ts on the 3-host lab: raw `docker stack deploy` of zkplan's own
//             stack until one leader vs `zkplan apply --target swarm`, and its no-op
//   START-UP  bench/startup.ts first (node -e 0, zkplan --help, zkplan plan), before any lab
//   PLAN-SCALE bench/plan-scale.ts last, after the labs are down (10,000 hosts, 2,000 ensembles)
//
// Floor and apply runs alternate within one lab, so both see the same machine state; every
// goal is a ratio to a floor measured in the same run, or an absolute time (see GOALS).
// Results: bench/results/<date>-lab.json and .md (with every goal of issue 9).
//
// Environment:
//   BENCH_SIZES=3,5,7         lab sizes, in order
//   BENCH_RUNS=3:3,5:3,7:3    measured runs per size (default 3)
//   BENCH_WARMUP=1            discarded warm-up runs per size (floor and apply cycle)
//   BENCH_SWARM=1             the Swarm figures (after the 3-host runs); 0 skips them
//   BENCH_SWARM_RUNS=3        measured Swarm runs
//   BENCH_ROLL=0              1 adds ROLL(3)
//   BENCH_NOOPS=3             no-op applies (each followed by a status) per measured 3-host run
//   BENCH_IDLE_LOAD=<x>       wait (up to BENCH_IDLE_WAIT s, default 30) for the 1-min load average
//                             to fall below x before each size (default 0.5 × nproc)
//   BENCH_OUT=<dir>           results directory (default bench/results)
//   ZKPLAN_BENCH_CLI=dist|src how zkplan is run: dist = node bin/zkplan.js (default; run.sh builds it),
//                             src = node --import tsx (adds about a second of start-up)
//   BENCH_SKIP_PLAN_SCALE=1   do not run bench/plan-scale.ts
//   BENCH_SKIP_STARTUP=1      do not run bench/startup.ts
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { fourLetterWord, IMAGES, LAB_DIR, LAB_ID, labDown, labUp, type Lab, run, waitForQuorum } from '../test/lab/lab.js';
import { cliMode, describeFailure, HERE, log, parseTrace, range, ROOT, sleep, stats, tail, zkplan, type Stats, type Timed } from './common.js';
import { benchSwarm, type SwarmResult } from './swarm-bench.js';

const ENSEMBLE = 'zk';
const FLOOR_POLL_MS = 50;
const QUORUM_TIMEOUT_MS = 120_000;
const APPLY_TIMEOUT_S = 120;
const ROLL_ADMIN_PORT = 8181;

// ---------------------------------------------------------------------------------------------
// configuration

const sizes = (process.env.BENCH_SIZES ?? '3,5,7').split(',').map((s) => Number(s.trim()));
const runsFor = (n: number): number => {
  const spec = Object.fromEntries(
    (process.env.BENCH_RUNS ?? '').split(',').filter(Boolean).map((p) => p.split(':').map(Number) as [number, number]),
  );
  return spec[n] ?? 3;
};
const warmup = Number(process.env.BENCH_WARMUP ?? 1);
const swarmOn = process.env.BENCH_SWARM !== '0';
const swarmRuns = Number(process.env.BENCH_SWARM_RUNS ?? 3);
const rollOn = process.env.BENCH_ROLL === '1';
const noopsPerRun = Math.max(1, Number(process.env.BENCH_NOOPS ?? 3));
const idleLoad = Number(process.env.BENCH_IDLE_LOAD ?? os.cpus().length * 0.5);
const idleWaitS = Number(process.env.BENCH_IDLE_WAIT ?? 30);
const outDir = process.env.BENCH_OUT ?? path.join(HERE, 'results');

/** Issue 9's goals: ratios to floors of the same run, or absolute times. */
const GOALS = { applyPerFloor: 1.1, noopMs: 500, statusMs: 500, swarmPerFloor: 1.25, swarmNoopMs: 800, startupPerNode: 1.6, planScaleMs: 2000 };

// ---------------------------------------------------------------------------------------------
// small helpers

/** Is `command` a zkplan command? (commander says "unknown command" with exit 2 otherwise) */
async function hasCommand(command: string): Promise<boolean> {
  const r = await zkplan([command], 60_000);
  return !(r.code === 2 && /unknown command/i.test(r.stderr));
}

async function sh(cmd: string): Promise<string> {
  const r = await run(['sh', '-c', cmd], { allowFail: true });
  return r.code === 0 ? r.stdout.trim() : '';
}

function loadAvg1(): number {
  return os.loadavg()[0]!;
}

/** Wait for the machine to calm down (JVM start-up times are CPU-bound); returns the load seen. */
async function waitForIdle(label: string): Promise<{ load1: number; waitedS: number; idle: boolean }> {
  const t0 = Date.now();
  let load = loadAvg1();
  for (let i = 0; load >= idleLoad && Date.now() - t0 < idleWaitS * 1000; i++) {
    if (i % 6 === 0) log(`${label}: load average ${load.toFixed(2)} ≥ ${idleLoad}; waiting for the machine to be idle`);
    await sleep(5_000);
    load = loadAvg1();
  }
  const idle = load < idleLoad;
  if (!idle) log(`WARNING ${label}: still busy (load ${load.toFixed(2)}) after ${idleWaitS} s; measuring anyway`);
  return { load1: Number(load.toFixed(2)), waitedS: Math.round((Date.now() - t0) / 1000), idle };
}

/** Labs of other ZKPLAN_LAB_IDs (their dockerds and JVMs share the CPUs), as `id:hosts`. */
async function otherLabsUp(): Promise<string[]> {
  const mine = LAB_ID === '0' ? 'zkl-h' : `zkl${LAB_ID}-h`;
  const names = (await sh('ip netns list')).split('\n').map((l) => l.split(' ')[0]!).filter((n) => /^zkl\d*-h\d+$/.test(n) && !n.startsWith(mine));
  const count = new Map<string, number>();
  for (const n of names) {
    const id = /^zkl(\d*)-h/.exec(n)![1] || '0';
    count.set(id, (count.get(id) ?? 0) + 1);
  }
  return [...count].map(([id, k]) => `lab ${id}: ${k} hosts`);
}

/** Other heavy processes (JVMs, node test runners) outside the lab, for the record. */
async function heavyProcesses(): Promise<string[]> {
  const out = await sh(`ps -eo pid=,pcpu=,rss=,comm=,args= --sort=-pcpu | head -n 8`);
  return out.split('\n').filter((l) => l.trim() && Number(l.trim().split(/\s+/)[1]) >= 10);
}

// ---------------------------------------------------------------------------------------------
// machine description

async function machine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const meminfo = readFileSync('/proc/meminfo', 'utf8');
  const memKb = Number(/^MemTotal:\s+(\d+)/m.exec(meminfo)?.[1] ?? 0);
  return {
    hostname: os.hostname(),
    nproc: Number((await sh('nproc')) || os.cpus().length),
    cpuModel: /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown',
    memoryGiB: Number((memKb / 1024 / 1024).toFixed(1)),
    kernel: os.release(),
    os: (await sh(`. /etc/os-release && echo "$PRETTY_NAME"`)) || os.type(),
    cgroup: (await sh('stat -fc %T /sys/fs/cgroup')) === 'cgroup2fs' ? 'v2' : 'v1',
    node: process.version,
    dockerClient: await sh(`docker version --format '{{.Client.Version}}' 2>/dev/null || true`),
    dockerServer: '' as string,
    dockerCompose: await sh('docker-compose version --short 2>/dev/null'),
    ssh: (await run(['ssh', '-V'], { allowFail: true })).stderr.trim(),
    git: {
      commit: await sh(`git -C ${ROOT} rev-parse --short HEAD`),
      dirty: (await sh(`git -C ${ROOT} status --porcelain | wc -l`)) !== '0',
    },
    loadAverageAtStart: os.loadavg().map((x) => Number(x.toFixed(2))),
    zkplanCli: cliMode === 'dist' ? 'node bin/zkplan.js' : 'node --import tsx bench/zkplan-src.ts',
  };
}

// ---------------------------------------------------------------------------------------------
// FLOOR(N): plain parallel ssh + docker run

interface FloorSample {
  ms: number;
  /** when the last `ssh … docker run` returned */
  startedMs: number;
  leader: string;
  polls: number;
  load1?: number;
}

function floorData(lab: Lab): string {
  return path.join(lab.info.stateDir, 'bench-floor');
}

async function pollQuorum(addresses: string[], t0: number): Promise<{ atMs: number; leader: string; polls: number }> {
  let polls = 0;
  for (;;) {
    const round = performance.now();
    polls++;
    const replies = await Promise.all(addresses.map((a) => fourLetterWord(a, 'srvr', 2181, 1000)));
    const modes = replies.map((r) => /^Mode: (\S+)/m.exec(r)?.[1] ?? null);
    const leaders = modes.filter((m) => m === 'leader').length;
    const followers = modes.filter((m) => m === 'follower').length;
    if (leaders === 1 && followers === addresses.length - 1) {
      return { atMs: performance.now() - t0, leader: addresses[modes.indexOf('leader')]!, polls };
    }
    if (performance.now() - t0 > QUORUM_TIMEOUT_MS) throw new Error(`floor: no quorum after ${QUORUM_TIMEOUT_MS} ms: ${JSON.stringify(modes)}`);
    const wait = FLOOR_POLL_MS - (performance.now() - round);
    if (wait > 0) await sleep(wait);
  }
}

async function floorRun(lab: Lab, n: number): Promise<FloorSample> {
  const ids = range(n);
  const servers = ids.map((k) => `server.${k}=${lab.host(k).address}:2888:3888;2181`).join(' ');
  const data = floorData(lab);
  const load1 = Number(loadAvg1().toFixed(2));
  const t0 = performance.now();
  const quorum = pollQuorum(lab.addresses.slice(0, n), t0);
  const started = Promise.all(
    ids.map((i) =>
      lab.ssh(i, [
        'docker', 'run', '-d', '--name', `zkfloor${i}`, '--net=host',
        '-e', `ZOO_MY_ID=${i}`,
        '-e', `ZOO_SERVERS=${servers}`,
        '-e', 'ZOO_4LW_COMMANDS_WHITELIST=*',
        '-e', 'ZOO_ADMINSERVER_ENABLED=false',
        '-v', `${data}/${i}:/data`,
        IMAGES.official,
      ]),
    ),
  ).then(() => performance.now() - t0);
  // Both must settle: a failed docker run must not leave the poller running unobserved.
  const [q, s] = await Promise.allSettled([quorum, started]);
  if (s.status === 'rejected') throw s.reason;
  if (q.status === 'rejected') throw q.reason;
  return { ms: Math.round(q.value.atMs), startedMs: Math.round(s.value), leader: q.value.leader, polls: q.value.polls, load1 };
}

async function floorCleanup(lab: Lab, n: number): Promise<void> {
  await Promise.all(range(n).map((i) => lab.docker(i, ['rm', '-f', `zkfloor${i}`], { allowFail: true })));
  await rm(floorData(lab), { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// APPLY / NOOP / ROLL / DESTROY

interface ApplySample {
  ms: number;
  /** zkplan's ZKPLAN_TRACE phases: name → ms, and when the first phase began (process start-up) */
  phases?: Record<string, number>;
  /** 1-minute load average just before the run (other labs share the machine) */
  load1?: number;
  counts?: Record<string, number>;
  /** zkplan's own elapsed figure from --json, if it reports one */
  reportedMs?: number;
}

interface Failure {
  what: string;
  run: number;
  code?: number;
  message: string;
}

/**
 * The servers FLOOR starts: no AdminServer (Jetty costs each JVM about 0.4 s of start-up on two
 * cores, measured), so that APPLY's inventory asks for the same containers. ROLL turns it on.
 */
const AS_THE_FLOOR = { admin_server: false } as const;

async function writeBenchInventory(lab: Lab, file: string, n: number, extra: Record<string, unknown> = {}): Promise<void> {
  await lab.writeInventory(file, { profile: 'official', ensembleName: ENSEMBLE, extra: { servers: n, ...AS_THE_FLOOR, ...extra } });
  // Lab hosts share the machine's root file system: give each host its own state_dir (the deploy
  // lock and zkplan's records), inside the lab dir so that `lab.sh down` removes it, instead of
  // the default /etc/zkplan shared by every "host".
  const doc = YAML.parseDocument(await readFile(file, 'utf8'));
  const hosts = doc.get('hosts', true);
  if (YAML.isSeq(hosts)) {
    hosts.items.forEach((item, i) => {
      if (YAML.isMap(item)) item.set('state_dir', path.join(lab.info.stateDir, 'state', `h${i + 1}`));
    });
  }
  // Block style, as operators write inventories: lab.ts writes flow mappings, which the plain
  // block-YAML reader (src/inventory/plain-yaml.ts) leaves to yaml's full parser.
  await writeFile(file, YAML.stringify(doc.toJSON()));
}

/** Parse `apply --json`: counts and elapsed of the (single) ensemble report. */
function parseApply(stdout: string): { counts?: Record<string, number>; reportedMs?: number; ok?: boolean } {
  try {
    const reports = JSON.parse(stdout) as { rollout?: { counts?: Record<string, number> }; elapsedMs?: number; ok?: boolean }[];
    const r = Array.isArray(reports) ? reports[0] : undefined;
    return { counts: r?.rollout?.counts, reportedMs: r?.elapsedMs, ok: r?.ok };
  } catch {
    return {};
  }
}

async function apply(file: string): Promise<Timed & ReturnType<typeof parseApply> & { phases: Record<string, number>; load1: number }> {
  const load1 = Number(loadAvg1().toFixed(2));
  const r = await zkplan(['apply', file, '--timeout', String(APPLY_TIMEOUT_S), '--json']);
  return { ...r, ...parseApply(r.stdout), phases: parseTrace(r.stderr), load1 };
}

const sampleOf = (a: Awaited<ReturnType<typeof apply>>): ApplySample => ({
  ms: Math.round(a.ms),
  ...(a.counts ? { counts: a.counts } : {}),
  ...(a.reportedMs !== undefined ? { reportedMs: a.reportedMs } : {}),
  phases: a.phases,
  load1: a.load1,
});

/** Remove whatever apply left, by label and by name, and the data: the fallback when destroy fails. */
async function forceClean(lab: Lab, n: number): Promise<void> {
  await Promise.all(
    range(n).map(async (i) => {
      const ids = (await lab.docker(i, ['ps', '-aq'], { allowFail: true })).stdout.split('\n').filter(Boolean);
      if (ids.length) await lab.docker(i, ['rm', '-f', ...ids], { allowFail: true });
    }),
  );
  await rm(path.join(lab.info.stateDir, 'hostdata'), { recursive: true, force: true });
  await rm(path.join(lab.info.stateDir, 'state'), { recursive: true, force: true });
}

async function leftovers(lab: Lab, n: number): Promise<string[]> {
  const left: string[] = [];
  for (const i of range(n)) {
    const ps = (await lab.docker(i, ['ps', '-a', '--format', '{{.Names}}'], { allowFail: true })).stdout.trim();
    if (ps) left.push(`h${i}: containers ${ps.split('\n').join(', ')}`);
  }
  const data = path.join(lab.info.stateDir, 'hostdata', ENSEMBLE);
  if (existsSync(data)) {
    const files = (await sh(`find ${data} -mindepth 1 | head -n 6`)).split('\n').filter(Boolean);
    left.push(files.length ? `under ${data}: ${files.map((f) => path.relative(data, f)).join(', ')}` : `the empty directory ${data}`);
  }
  return left;
}

/** The rolled setting really arrived: the AdminServer answers on the new port on every server. */
async function adminAnswers(address: string, port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://${address}:${port}/commands/ruok`, { signal: AbortSignal.timeout(3000) });
    return res.ok;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// one lab size

interface SizeResult {
  n: number;
  load: { load1: number; waitedS: number; idle: boolean };
  heavyProcesses: string[];
  /** other labs (network namespaces of other ZKPLAN_LAB_IDs) up when this size started */
  otherLabs: string[];
  labUpMs: number;
  floor: { samples: FloorSample[]; warmup: FloorSample[]; stats: Stats | null; startedStats: Stats | null };
  apply?: { samples: ApplySample[]; warmup: ApplySample[]; stats: Stats | null; reportedStats?: Stats | null };
  /** every no-op; `first`: the one right after each fresh apply (included in samples too) */
  noop?: { samples: ApplySample[]; stats: Stats | null; nothingChanged: boolean[]; first: ApplySample[]; firstStats?: Stats | null };
  roll?: { samples: ApplySample[]; stats: Stats | null; verified: boolean[] };
  status?: { samples: ApplySample[]; stats: Stats | null; whole: boolean[] };
  destroy?: { samples: number[]; stats: Stats | null };
  failures: Failure[];
  notes: string[];
  /** zkplan's progress lines (stderr, timestamped) of the first measured run, to see where the time goes */
  progress: Record<string, string>;
  /** the lab broke during this size; later sizes were not measured */
  aborted?: boolean;
}

async function benchSize(n: number, applyAvailable: boolean, workDir: string, machineInfo: { dockerServer: string }): Promise<SizeResult> {
  const load = await waitForIdle(`N=${n}`);
  const heavy = await heavyProcesses();
  const otherLabs = await otherLabsUp();
  log(`N=${n}: lab up (load ${load.load1}${otherLabs.length ? `; other labs up: ${otherLabs.join(', ')}` : ''})`);
  const tUp = performance.now();
  const lab = await labUp(n);
  const labUpMs = Math.round(performance.now() - tUp);
  if (!machineInfo.dockerServer) {
    machineInfo.dockerServer = (await lab.docker(1, ['version', '--format', '{{.Server.Version}}'])).stdout.trim();
  }
  const res: SizeResult = {
    n,
    load,
    heavyProcesses: heavy,
    otherLabs,
    labUpMs,
    floor: { samples: [], warmup: [], stats: null, startedStats: null },
    failures: [],
    notes: [],
    progress: {},
  };
  const runs = runsFor(n);
  const file = path.join(workDir, `lab-${n}.yml`);
  if (applyAvailable) {
    res.apply = { samples: [], warmup: [], stats: null };
    res.destroy = { samples: [], stats: null };
    if (n === 3) {
      res.noop = { samples: [], stats: null, nothingChanged: [], first: [] };
      res.status = { samples: [], stats: null, whole: [] };
      if (rollOn) res.roll = { samples: [], stats: null, verified: [] };
    }
  }

  try {
    await runsOfSize(lab, n, runs, file, applyAvailable, res);
  } catch (e) {
    // the lab itself broke: keep what was measured, stop the benchmark
    res.failures.push({ what: 'lab', run: 0, message: (e as Error).message });
    res.aborted = true;
  }

  res.floor.stats = stats(res.floor.samples.map((s) => s.ms));
  res.floor.startedStats = stats(res.floor.samples.map((s) => s.startedMs));
  if (res.apply) {
    res.apply.stats = stats(res.apply.samples.map((s) => s.ms));
    res.apply.reportedStats = stats(res.apply.samples.flatMap((s) => (s.reportedMs !== undefined ? [s.reportedMs] : [])));
  }
  if (res.noop) {
    res.noop.stats = stats(res.noop.samples.map((s) => s.ms));
    res.noop.firstStats = stats(res.noop.first.map((s) => s.ms));
  }
  if (res.roll) res.roll.stats = stats(res.roll.samples.map((s) => s.ms));
  if (res.status) res.status.stats = stats(res.status.samples.map((s) => s.ms));
  if (res.destroy) res.destroy.stats = stats(res.destroy.samples);
  return res;
}

async function runsOfSize(lab: Lab, n: number, runs: number, file: string, applyAvailable: boolean, res: SizeResult): Promise<void> {
  for (let r = -warmup; r < runs; r++) {
    const isWarmup = r < 0;
    const tag = isWarmup ? `warm-up ${r + warmup + 1}` : `run ${r + 1}/${runs}`;
    ensureLab();

    // FLOOR
    await floorCleanup(lab, n);
    try {
      const s = await floorRun(lab, n);
      (isWarmup ? res.floor.warmup : res.floor.samples).push(s);
      log(`N=${n} ${tag}: floor ${s.ms} ms (docker runs returned at ${s.startedMs} ms)`);
    } catch (e) {
      res.failures.push({ what: 'floor', run: r + 1, message: (e as Error).message });
      log(`N=${n} ${tag}: floor FAILED: ${(e as Error).message}`);
    } finally {
      await floorCleanup(lab, n);
    }
    if (!applyAvailable) continue;

    // APPLY (+ NOOP and ROLL for N=3), then DESTROY
    await writeBenchInventory(lab, file, n);
    try {
      const a = await apply(file);
      if (a.code !== 0) throw Object.assign(new Error(describeFailure(a)), { what: 'apply', code: a.code });
      if (!a.stdout.trim()) throw Object.assign(new Error('apply exited 0 but printed nothing: is the CLI entry point right?'), { what: 'apply' });
      // Independent check that there really is an ensemble (not timed).
      await waitForQuorum(lab.addresses.slice(0, n), 10_000);
      const sample = sampleOf(a);
      (isWarmup ? res.apply!.warmup : res.apply!.samples).push(sample);
      if (r === 0) res.progress.apply = a.stderr;
      log(`N=${n} ${tag}: apply ${sample.ms} ms${a.counts ? ` ${JSON.stringify(a.counts)}` : ''}`);

      if (n === 3 && !isWarmup) {
        for (let k = 0; k < noopsPerRun; k++) {
          const noop = await apply(file);
          if (noop.code !== 0) throw Object.assign(new Error(describeFailure(noop)), { what: 'noop' });
          const nothing = noop.counts
            ? (noop.counts.create ?? 0) + (noop.counts.change ?? 0) === 0
            : /\b0 to create, 0 to change\b/.test(noop.stdout);
          const sample = sampleOf(noop);
          res.noop!.samples.push(sample);
          if (k === 0) res.noop!.first.push(sample);
          res.noop!.nothingChanged.push(nothing);
          if (r === 0 && k === 0) res.progress.noop = noop.stderr;
          log(`N=${n} ${tag}: no-op apply ${k + 1}/${noopsPerRun} ${Math.round(noop.ms)} ms, nothing changed: ${nothing}`);

          const load1 = Number(loadAvg1().toFixed(2));
          const st = await zkplan(['status', file]);
          res.status!.samples.push({ ms: Math.round(st.ms), phases: parseTrace(st.stderr), load1 });
          res.status!.whole.push(st.code === 0);
          if (st.code !== 0) throw Object.assign(new Error(describeFailure(st)), { what: 'status' });
          log(`N=${n} ${tag}: status ${k + 1}/${noopsPerRun} ${Math.round(st.ms)} ms, whole and as planned: ${st.code === 0}`);
        }

        if (rollOn) {
          await writeBenchInventory(lab, file, n, { admin_server: true, ports: { admin: ROLL_ADMIN_PORT } });
          const roll = await apply(file);
          if (roll.code !== 0) throw Object.assign(new Error(describeFailure(roll)), { what: 'roll' });
          const answers = await Promise.all(lab.addresses.slice(0, n).map((addr) => adminAnswers(addr, ROLL_ADMIN_PORT)));
          const verified = answers.every(Boolean) && (roll.counts ? roll.counts.change === n : true);
          res.roll!.samples.push(sampleOf(roll));
          res.roll!.verified.push(verified);
          if (r === 0) res.progress.roll = roll.stderr;
          log(`N=${n} ${tag}: rolling apply ${Math.round(roll.ms)} ms, AdminServer on ${ROLL_ADMIN_PORT} everywhere: ${answers.every(Boolean)}`);
        }
      }
    } catch (e) {
      const err = e as Error & { what?: string; code?: number };
      res.failures.push({ what: err.what ?? 'apply', run: r + 1, ...(err.code !== undefined ? { code: err.code } : {}), message: err.message });
      log(`N=${n} ${tag}: ${err.what ?? 'apply'} FAILED: ${err.message}`);
    }
    const d = await zkplan(['destroy', file, '--purge-data', '--yes']);
    if (d.code === 0) {
      if (!isWarmup) res.destroy!.samples.push(Math.round(d.ms));
    } else {
      res.failures.push({ what: 'destroy', run: r + 1, code: d.code, message: describeFailure(d) });
    }
    // What destroy keeps stays, as between an operator's runs: the engine address each host's
    // state_dir remembers (so the warm-up is the first contact, found with one exec per host).
    const left = await leftovers(lab, n);
    if (left.length || d.code !== 0) {
      res.notes.push(`${tag}: destroy --purge-data ${d.code !== 0 ? `exited ${d.code}` : `left ${left.join('; ')}`}; removed by the bench`);
      await forceClean(lab, n);
    }
  }
}

/** Another lab user (`lab.sh up/down` from a test run) would pull the lab away under us. */
function ensureLab(): void {
  if (!existsSync(path.join(LAB_DIR, 'lab.json'))) {
    throw new Error(`the lab disappeared (${LAB_DIR}/lab.json is gone): did another test run call lab.sh up/down?`);
  }
}

// ---------------------------------------------------------------------------------------------
// plan-scale

interface PlanScale {
  medianMs?: number;
  medianPeakRssMiB?: number | null;
  medianCpuMs?: number | null;
  runs?: number;
  error?: string;
  skipped?: string;
  wallMs?: number;
}

/** bench/startup.ts's report (it writes <date>-startup.json; its figures join this report's goals). */
interface Startup {
  results: { command: string; median: number; min: number; max: number; runs: number }[];
  machine: { loadAverageAtStart: number[]; loadAverageAtEnd: number[] };
}

async function startupFigures(date: string): Promise<Startup | { error: string } | { skipped: string }> {
  if (process.env.BENCH_SKIP_STARTUP) return { skipped: 'BENCH_SKIP_STARTUP is set' };
  if (cliMode !== 'dist') return { skipped: 'start-up is timed on the built CLI (ZKPLAN_BENCH_CLI=dist)' };
  log('start-up: node --import tsx bench/startup.ts');
  const r = await run([process.execPath, '--import', 'tsx', path.join(HERE, 'startup.ts')], { allowFail: true, env: { ...process.env, BENCH_OUT: outDir } });
  if (r.code !== 0) return { error: `exit ${r.code}: ${tail(r.stderr)}` };
  try {
    return JSON.parse(await readFile(path.join(outDir, `${date}-startup.json`), 'utf8')) as Startup;
  } catch (e) {
    return { error: `no start-up results: ${(e as Error).message}` };
  }
}

async function planScale(): Promise<PlanScale> {
  if (process.env.BENCH_SKIP_PLAN_SCALE) return { skipped: 'BENCH_SKIP_PLAN_SCALE is set' };
  log('plan-scale: node --import tsx bench/plan-scale.ts');
  const t0 = performance.now();
  const r = await run([process.execPath, '--import', 'tsx', path.join(HERE, 'plan-scale.ts')], { allowFail: true, env: process.env });
  const wallMs = Math.round(performance.now() - t0);
  if (r.code !== 0) return { error: `exit ${r.code}: ${tail(r.stderr)}`, wallMs };
  const line = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  try {
    return { ...(JSON.parse(line ?? '') as PlanScale), wallMs } as PlanScale;
  } catch {
    return { error: `unparsable output: ${tail(r.stdout)}`, wallMs };
  }
}

// ---------------------------------------------------------------------------------------------
// goals and report

interface Goal {
  goal: string;
  measured: string;
  status: 'met' | 'missed' | 'skipped';
}

function goals(doc: Pick<Report, 'sizes' | 'applyAvailable' | 'swarm' | 'startup' | 'planScale'>): Goal[] {
  const out: Goal[] = [];
  const g = (goal: string, measured: string | undefined, met: boolean) => out.push(measured === undefined ? { goal, measured: 'no complete measurement', status: 'skipped' } : { goal, measured, status: met ? 'met' : 'missed' });
  const ratio = (a: number, f: number) => `${a} ms vs ${f} ms: ${(a / f).toFixed(2)} ×`;
  const by = (n: number) => doc.sizes.find((r) => r.n === n);
  for (const n of sizes) {
    const f = by(n)?.floor.stats?.median;
    const a = by(n)?.apply?.stats?.median;
    g(`apply(${n}) ≤ ${GOALS.applyPerFloor} × floor(${n}) (medians)`, f !== undefined && a !== undefined ? ratio(a, f) : undefined, a !== undefined && f !== undefined && a <= GOALS.applyPerFloor * f);
  }
  const noop = by(3)?.noop;
  g(
    `no-op apply (3 hosts) ≤ ${GOALS.noopMs} ms, changing nothing`,
    noop?.stats ? `${noop.stats.median} ms median (min ${noop.stats.min}, max ${noop.stats.max}); nothing changed in ${noop.nothingChanged.filter(Boolean).length}/${noop.nothingChanged.length} runs` : undefined,
    noop?.stats !== null && noop?.stats !== undefined && noop.stats.median <= GOALS.noopMs && noop.nothingChanged.every(Boolean),
  );
  const status = by(3)?.status;
  g(
    `zkplan status (3 hosts) ≤ ${GOALS.statusMs} ms`,
    status?.stats ? `${status.stats.median} ms median (min ${status.stats.min}, max ${status.stats.max}); whole in ${status.whole.filter(Boolean).length}/${status.whole.length} runs` : undefined,
    status?.stats !== null && status?.stats !== undefined && status.stats.median <= GOALS.statusMs && status.whole.every(Boolean),
  );
  const swarm = doc.swarm && 'floor' in doc.swarm ? doc.swarm : undefined;
  const sf = swarm?.floor.stats?.median;
  const sa = swarm?.apply.stats?.median;
  g(`apply --target swarm (3 nodes) ≤ ${GOALS.swarmPerFloor} × docker stack deploy floor (medians)`, sf !== undefined && sa !== undefined ? ratio(sa, sf) : undefined, sa !== undefined && sf !== undefined && sa <= GOALS.swarmPerFloor * sf);
  const sn = swarm?.noop;
  g(
    `no-op apply --target swarm ≤ ${GOALS.swarmNoopMs} ms`,
    sn?.stats ? `${sn.stats.median} ms median (min ${sn.stats.min}, max ${sn.stats.max}); nothing changed in ${sn.nothingChanged.filter(Boolean).length}/${sn.nothingChanged.length} runs` : undefined,
    sn?.stats !== null && sn?.stats !== undefined && sn.stats.median <= GOALS.swarmNoopMs && sn.nothingChanged.every(Boolean),
  );
  const st = doc.startup && 'results' in doc.startup ? doc.startup.results : undefined;
  const node = st?.[0]?.median;
  for (const r of st?.slice(1) ?? [undefined, undefined]) {
    const name = r?.command ?? 'zkplan start-up';
    g(`${name} ≤ ${GOALS.startupPerNode} × node -e 0 (medians)`, r && node ? ratio(r.median, node) : undefined, r !== undefined && node !== undefined && r.median <= GOALS.startupPerNode * node);
  }
  const ps = doc.planScale;
  g(
    `plan of 10,000 hosts / 2,000 ensembles < ${GOALS.planScaleMs} ms, memory reported`,
    ps?.medianMs !== undefined ? `${ps.medianMs} ms median of ${ps.runs} (end to end, the built CLI; CPU ${ps.medianCpuMs ?? '?'} ms); peak RSS ${ps.medianPeakRssMiB ?? '?'} MiB` : undefined,
    ps?.medianMs !== undefined && ps.medianMs < GOALS.planScaleMs,
  );
  return out;
}

const noopsPerRunOf = (doc: Report) => doc.config.noopsPerRun ?? 1;

const fmt = (s: Stats | null | undefined) => (s ? `${s.median} | ${s.min} | ${s.max} | ${s.n}` : '– | – | – | 0');

function markdown(doc: Report): string {
  const m = doc.machine;
  const L: string[] = [];
  L.push(`# zkplan lab benchmark, ${doc.date}`, '');
  L.push(`Generated by \`npm run bench\` (bench/run.sh → bench/lab-bench.ts). All times are wall-clock milliseconds.`, '');
  L.push('## Machine', '');
  L.push('| | |', '|---|---|');
  L.push(`| CPU | ${m.cpuModel}, nproc ${m.nproc} |`);
  L.push(`| memory | ${m.memoryGiB} GiB |`);
  L.push(`| OS / kernel | ${m.os}, Linux ${m.kernel}, cgroup ${m.cgroup} |`);
  L.push(`| Docker | server ${m.dockerServer || '?'} (lab dockerds), client ${m.dockerClient || '?'} |`);
  L.push(`| node | ${m.node} |`);
  L.push(`| OpenSSH | ${m.ssh} |`);
  L.push(`| zkplan | ${m.git.commit}${m.git.dirty ? ' + uncommitted changes' : ''}; CLI run as \`${m.zkplanCli}\` |`);
  L.push(`| load average at start | ${m.loadAverageAtStart.join(', ')} |`, '');
  L.push('## Goals', '');
  L.push('| goal | measured | status |', '|---|---|---|');
  for (const g of doc.goals) L.push(`| ${g.goal} | ${g.measured} | ${g.status} |`);
  L.push('');
  L.push('## Results (median | min | max | runs)', '');
  L.push('| measurement | median | min | max | runs |', '|---|---:|---:|---:|---:|');
  for (const r of doc.sizes) {
    L.push(`| FLOOR(${r.n}): ssh + docker run ×${r.n} → 1 leader + ${r.n - 1} followers | ${fmt(r.floor.stats)} |`);
    L.push(`| FLOOR(${r.n}): … of which the parallel docker runs | ${fmt(r.floor.startedStats)} |`);
    if (r.apply) L.push(`| APPLY(${r.n}): zkplan apply, fresh | ${fmt(r.apply.stats)} |`);
    const first = r.apply?.warmup[0];
    if (first) L.push(`| APPLY(${r.n}) on first contact (the warm-up run: each engine's address found with one exec, not yet remembered) | ${first.ms} | ${first.ms} | ${first.ms} | 1 |`);
    if (r.apply?.reportedStats) L.push(`| APPLY(${r.n}): … of which zkplan's own elapsedMs (--json) | ${fmt(r.apply.reportedStats)} |`);
    if (r.noop) L.push(`| NOOP(${r.n}): zkplan apply again, nothing to do (${noopsPerRunOf(doc)} per run) | ${fmt(r.noop.stats)} |`);
    if (r.noop?.firstStats) L.push(`| NOOP(${r.n}): … the first of each run, right after the fresh apply | ${fmt(r.noop.firstStats)} |`);
    if (r.status) L.push(`| STATUS(${r.n}): zkplan status | ${fmt(r.status.stats)} |`);
    if (r.roll) L.push(`| ROLL(${r.n}): zkplan apply, AdminServer port changed on every server | ${fmt(r.roll.stats)} |`);
    if (r.destroy) L.push(`| DESTROY(${r.n}): zkplan destroy --purge-data | ${fmt(r.destroy.stats)} |`);
  }
  const sw = doc.swarm && 'floor' in doc.swarm ? doc.swarm : undefined;
  if (sw) {
    L.push(`| SWARM FLOOR(3): ssh h1 docker stack deploy of zkplan's stack → 1 leader + 2 followers | ${fmt(sw.floor.stats)} |`);
    L.push(`| SWARM APPLY(3): zkplan apply --target swarm, fresh | ${fmt(sw.apply.stats)} |`);
    L.push(`| SWARM NOOP(3): zkplan apply --target swarm again, nothing to do | ${fmt(sw.noop.stats)} |`);
  }
  const st = doc.startup && 'results' in doc.startup ? doc.startup : undefined;
  for (const r of st?.results ?? []) L.push(`| START-UP: ${r.command} | ${r.median} | ${r.min} | ${r.max} | ${r.runs} |`);
  const ps = doc.planScale as (PlanScale & { minMs?: number; maxMs?: number }) | null;
  if (ps?.medianMs !== undefined) L.push(`| PLAN-SCALE: zkplan plan, 10,000 hosts / 2,000 ensembles (peak RSS ${ps.medianPeakRssMiB ?? '?'} MiB) | ${ps.medianMs} | ${ps.minMs ?? '–'} | ${ps.maxMs ?? '–'} | ${ps.runs} |`);
  L.push('');
  if (doc.swarm && 'error' in doc.swarm) L.push(`**Swarm figures failed:** ${doc.swarm.error}`, '');
  if (doc.startup && !('results' in doc.startup)) L.push(`**Start-up figures:** ${'error' in doc.startup ? doc.startup.error : doc.startup.skipped}`, '');
  if (st) L.push(`Start-up (bench/startup.ts, first, no lab up): load average ${st.machine.loadAverageAtStart.join(', ')} at its start, ${st.machine.loadAverageAtEnd.join(', ')} at its end.`, '');
  if (doc.cliStartup) L.push(`CLI start-up (\`zkplan --version\`, ${doc.cliStartup.n} runs): median ${doc.cliStartup.median} ms (min ${doc.cliStartup.min}, max ${doc.cliStartup.max}); it is part of every zkplan figure.`, '');
  if (!doc.applyAvailable) L.push(`**APPLY, NOOP, ROLL and DESTROY were skipped:** ${doc.applySkipReason}`, '');
  const phaseRows = doc.sizes.flatMap((r) =>
    (
      [
        [`APPLY(${r.n})`, r.apply?.samples],
        [`NOOP(${r.n})`, r.noop?.samples],
        [`ROLL(${r.n})`, r.roll?.samples],
        [`STATUS(${r.n})`, r.status?.samples],
      ] as [string, ApplySample[] | undefined][]
    ).filter(([, xs]) => xs && xs.some((x) => x.phases && Object.keys(x.phases).length)),
  );
  if (sw) phaseRows.push(['SWARM APPLY(3)', sw.apply.samples], ['SWARM NOOP(3)', sw.noop.samples]);
  if (phaseRows.length) {
    const names = [...new Set(['start-up', ...phaseRows.flatMap(([, xs]) => (xs ?? []).flatMap((x) => Object.keys(x.phases ?? {})))])];
    L.push('## Where the time goes (ZKPLAN_TRACE phase medians, ms)', '');
    L.push('start-up = process start to the first traced phase (node, modules, inventory, plan); a phase a run does not trace shows –. The wall column is the whole run.', '');
    L.push(`| run | ${names.join(' | ')} | wall |`, `|---|${names.map(() => '---:').join('|')}|---:|`);
    for (const [label, xs] of phaseRows) {
      const med = (name: string) => stats(xs!.flatMap((x) => (x.phases?.[name] !== undefined ? [x.phases[name]!] : [])))?.median ?? '–';
      L.push(`| ${label} | ${names.map(med).join(' | ')} | ${stats(xs!.map((x) => x.ms))?.median ?? '–'} |`);
    }
    L.push('');
  }
  L.push('## Conditions per lab size', '');
  L.push('| N | lab up (incl. image load) | load average before | load during apply runs (min–max) | other labs up | waited for idle | warm-up runs | failures |', '|---:|---:|---:|---:|---|---:|---:|---|');
  for (const r of doc.sizes) {
    const loads = [...(r.apply?.samples ?? []), ...(r.noop?.samples ?? []), ...(r.roll?.samples ?? [])].flatMap((x) => (x.load1 !== undefined ? [x.load1] : []));
    const loadRange = loads.length ? `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}` : '–';
    L.push(`| ${r.n} | ${r.labUpMs} ms | ${r.load.load1}${r.load.idle ? '' : ' (busy)'} | ${loadRange} | ${r.otherLabs?.length ? r.otherLabs.join(', ') : 'none'} | ${r.load.waitedS} s | ${doc.config.warmup} | ${r.failures.length ? r.failures.map((f) => `${f.what} run ${f.run}: ${f.message.split('\n')[0]}`).join('<br>') : 'none'} |`);
  }
  const notes = doc.sizes.flatMap((r) => [...r.notes.map((x) => `N=${r.n}: ${x}`), ...r.heavyProcesses.map((p) => `N=${r.n}: busy process at start: ${p.trim().replace(/\s+/g, ' ').slice(0, 160)}`)]);
  if (notes.length) {
    L.push('', '## Notes', '');
    for (const x of notes) L.push(`- ${x.replace(/\|/g, '\\|')}`);
  }
  L.push('', '## Planning at scale (bench/plan-scale.ts)', '', '```json', JSON.stringify(doc.planScale, null, 2), '```', '');
  L.push('## Method', '');
  L.push(`- Lab: test/lab (network namespaces with their own dockerd and sshd on bridge zklbr0), image \`${IMAGES.official}\` (official contract, ZooKeeper 3.8.0 on a jlink'ed JRE), \`--net=host\`.`);
  L.push(`- FLOOR: parallel \`ssh hI docker run -d --net=host\` with ZOO_MY_ID, ZOO_SERVERS (\`;2181\`), ZOO_4LW_COMMANDS_WHITELIST=*, ZOO_ADMINSERVER_ENABLED=false and a per-server data dir bind-mounted at /data; \`srvr\` polled on every server every ${FLOOR_POLL_MS} ms from the first ssh start; containers and data removed between runs.`);
  L.push(`- APPLY: \`zkplan apply <inventory> --timeout ${APPLY_TIMEOUT_S} --json\` on an inventory from \`Lab.writeInventory\` (profile official, N servers pinned by aliyun.node_index, \`admin_server: false\` as the floor's containers, each host with its own state_dir inside the lab dir); wall time from spawn to exit; the quorum is checked independently afterwards. \`zkplan destroy --purge-data\` between runs; what it keeps stays, as between an operator's runs (each host's remembered engine address), so the warm-up run is the first contact and is reported on its own row.`);
  L.push(`- NOOP and STATUS (N=3, every measured run, ${noopsPerRunOf(doc)} times each, alternating): the same inventory applied again (must change nothing), then \`zkplan status\` (must exit 0). The first no-op of each run comes right after the fresh apply; it is in the NOOP figures and also on a row of its own. ROLL (only with BENCH_ROLL=1): applied with the AdminServer turned on, \`ports: { admin: ${ROLL_ADMIN_PORT} }\`, verified by the AdminServer answering on ${ROLL_ADMIN_PORT} on every server.`);
  L.push('- SWARM (bench/swarm-bench.ts, on the 3-host lab made a Swarm, h1 manager): FLOOR = `ssh h1 docker stack deploy --detach=true --resolve-image never` of `zkplan render --target swarm --resolve` output (another stack name), nodes labelled beforehand, until one leader + 2 followers (srvr every 50 ms); APPLY = `zkplan apply --target swarm --json` from an unlabelled Swarm with no stack; NOOP = the same apply again; stack, labels and data removed between runs.');
  L.push('- START-UP (bench/startup.ts): node -e 0, zkplan --help, zkplan plan inventories/example.yml interleaved round after round, the built CLI; PLAN-SCALE (bench/plan-scale.ts, after the labs are down): `node bin/zkplan.js plan <generated.yml>` end to end (text report), peak RSS by GNU time.');
  L.push(`- Floor and apply runs alternate within the same lab; ${doc.config.warmup} warm-up run(s) per size are recorded in the JSON but not in the statistics.`);
  L.push('');
  return L.join('\n');
}

interface Report {
  date: string;
  startedAt: string;
  finishedAt: string;
  config: { sizes: number[]; runs: Record<number, number>; warmup: number; floorPollMs: number; idleLoad: number; cliMode: string; noopsPerRun?: number };
  machine: Awaited<ReturnType<typeof machine>>;
  applyAvailable: boolean;
  applySkipReason?: string;
  cliStartup: Stats | null;
  sizes: SizeResult[];
  swarm?: SwarmResult | { error: string };
  startup?: Startup | { error: string } | { skipped: string };
  goals: Goal[];
  planScale: PlanScale | null;
  error?: string;
}

// ---------------------------------------------------------------------------------------------
// main

async function main(): Promise<number> {
  const startedAt = new Date();
  const date = startedAt.toISOString().slice(0, 10);
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'zkplan-bench-'));
  const info = await machine();
  log(`machine: ${info.cpuModel}, ${info.nproc} CPUs, ${info.memoryGiB} GiB, Linux ${info.kernel}, node ${info.node}`);

  const applyKnown = await hasCommand('apply');
  const destroyKnown = await hasCommand('destroy');
  const applyAvailable = applyKnown && destroyKnown;
  const applySkipReason = applyAvailable
    ? undefined
    : `zkplan ${!applyKnown ? 'apply' : 'destroy'} is not a known command (exit 2, "unknown command"); only FLOOR was measured`;
  if (!applyAvailable) log(`SKIP: ${applySkipReason}`);

  const startup: number[] = [];
  for (let i = 0; i < 5; i++) startup.push((await zkplan(['--version'], 60_000)).ms);

  const report: Report = {
    date,
    startedAt: startedAt.toISOString(),
    finishedAt: '',
    config: { sizes, runs: Object.fromEntries(sizes.map((n) => [n, runsFor(n)])), warmup, floorPollMs: FLOOR_POLL_MS, idleLoad, cliMode, noopsPerRun },
    machine: info,
    applyAvailable,
    ...(applySkipReason ? { applySkipReason } : {}),
    cliStartup: stats(startup),
    sizes: [],
    goals: [],
    planScale: null,
  };
  // Start-up first, before any lab's dockerds and JVMs share the CPUs.
  report.startup = await startupFigures(date);

  let failed = false;
  try {
    for (const n of sizes) {
      const res = await benchSize(n, applyAvailable, workDir, info);
      report.sizes.push(res);
      if (res.aborted) throw new Error(`N=${n}: ${res.failures.at(-1)?.message}`);
      if (n === 3 && swarmOn) {
        // the same 3-host lab, made a Swarm (h1 manager)
        log('swarm: 3 nodes');
        report.swarm = await benchSwarm(await labUp(3), swarmRuns, warmup).catch((e: Error) => ({ error: e.message }));
      }
    }
  } catch (e) {
    failed = true;
    report.error = (e as Error).message;
    log(`ERROR: ${(e as Error).message}`);
  } finally {
    log('lab down');
    await labDown().catch((e: Error) => log(`WARNING: lab down failed: ${e.message}`));
    await rm(workDir, { recursive: true, force: true });
  }

  // After the lab is down: the planner is CPU-bound and must not share the CPUs with JVMs.
  report.planScale = await planScale();
  report.goals = goals(report);
  report.finishedAt = new Date().toISOString();
  await mkdir(outDir, { recursive: true });
  const base = path.join(outDir, `${date}-lab`);
  await writeFile(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(`${base}.md`, markdown(report));
  log(`wrote ${path.relative(ROOT, base)}.json and .md`);
  process.stdout.write(markdown(report));
  const failures = [...report.sizes.flatMap((r) => r.failures), ...(report.swarm && 'failures' in report.swarm ? report.swarm.failures : []), ...(report.swarm && 'error' in report.swarm ? [report.swarm] : [])];
  if (failures.length) log(`${failures.length} step(s) failed: see the failures in ${path.relative(ROOT, base)}.md`);
  return failed || failures.length ? 1 : 0;
}

/** `lab-bench.ts --markdown <results.json>`: rewrite the .md beside a results file (goals recomputed). */
async function markdownOnly(file: string): Promise<number> {
  const report = JSON.parse(await readFile(file, 'utf8')) as Report;
  report.goals = goals(report);
  await writeFile(file.replace(/\.json$/, '.md'), markdown(report));
  return 0;
}

const mdIndex = process.argv.indexOf('--markdown');
process.exitCode = mdIndex >= 0 ? await markdownOnly(process.argv[mdIndex + 1] ?? '') : await main();
