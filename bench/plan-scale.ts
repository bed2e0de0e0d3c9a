// Planning at scale (issue 9: a generated inventory of 10,000 hosts and 2,000 ensembles planned in
// under 2 s, memory reported). What is timed is the CLI end to end, as an operator runs it:
// `node bin/zkplan.js plan <file>` (the built bundle, npm run build) from process start to exit:
// node's start-up, reading the file, YAML parsing, schema and semantic validation, placement, and
// printing the report (4 MB of text). Peak memory is the process's maximum resident set size (GNU
// time's %M); CPU time (user + sys) is reported beside the wall time, as the machine is shared.
// The runs are sequential; the median is reported, with min and max. One more, untimed run with
// --json gives the balance figures.
//
// Environment: HOSTS=10000, ENSEMBLES=2000, RUNS=5; ZKPLAN_BENCH_CLI=src runs the TypeScript
// sources through tsx instead (slower start-up; for profiling without a build).
// Prints one JSON object on stdout (bench/lab-bench.ts and bench/run.sh embed it in the results).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { Plan } from '../src/plan/types.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const HOSTS = Number(process.env.HOSTS ?? 10_000);
const ENSEMBLES = Number(process.env.ENSEMBLES ?? 2_000);
const RUNS = Number(process.env.RUNS ?? 5);
const GOAL_MS = 2000;
const GNU_TIME = '/usr/bin/time';

export function generatedInventory(hostCount: number, ensembleCount: number): string {
  const hosts = Array.from({ length: hostCount }, (_, i) => ({
    name: `host${i + 1}`,
    address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    labels: { zone: `zone-${i % 20}`, rack: `rack-${i % 200}` },
  }));
  const ensembles = Array.from({ length: ensembleCount }, (_, i) => ({
    name: `zk${i + 1}`,
    servers: [3, 5, 7][i % 3],
    observers: i % 10 === 0 ? 1 : 0,
    image: 'zookeeper:3.9',
    profile: 'official',
    network: 'host',
    placement: { spread_label: 'zone' },
  }));
  return stringify({ hosts, ensembles });
}

/** How evenly the servers sit on the hosts and zones: the figures of issue 11's placement finding. */
function balance(plan: Plan, hostCount: number) {
  const perHost = new Map<string, number>();
  const perZone = new Map<string, number>();
  for (const s of plan.ensembles.flatMap((e) => e.servers)) {
    perHost.set(s.host.name, (perHost.get(s.host.name) ?? 0) + 1);
    perZone.set(s.host.labels.zone ?? '', (perZone.get(s.host.labels.zone ?? '') ?? 0) + 1);
  }
  const loads = [...perHost.values()];
  return {
    emptyHosts: hostCount - perHost.size,
    hostsWithTwoOrMore: loads.filter((n) => n >= 2).length,
    mostOnOneHost: Math.max(...loads),
    zoneServersMin: Math.min(...perZone.values()),
    zoneServersMax: Math.max(...perZone.values()),
  };
}

function cliArgv(file: string, json: boolean): string[] {
  const cli = process.env.ZKPLAN_BENCH_CLI === 'src' ? ['--import', 'tsx', path.join(HERE, 'zkplan-src.ts')] : [path.join(ROOT, 'bin', 'zkplan.js')];
  return [process.execPath, ...cli, 'plan', file, ...(json ? ['--json'] : [])];
}

interface Run {
  ms: number;
  peakRssMiB: number | null;
  cpuMs: number | null;
  stdout: string;
}

/** One `zkplan plan`: wall time from spawn to exit; peak RSS and CPU time through GNU time when installed. */
function planOnce(file: string, json = false): Run {
  const argv = cliArgv(file, json);
  const withTime = existsSync(GNU_TIME);
  const cmd = withTime ? [GNU_TIME, '-f', 'zkplan-peak-rss-kib %M cpu-s %U %S', ...argv] : argv;
  const t0 = performance.now();
  const r = spawnSync(cmd[0]!, cmd.slice(1), { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 30 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`zkplan plan exited with ${r.status}: ${r.stderr.slice(-2000)}`);
  const m = /zkplan-peak-rss-kib (\d+) cpu-s ([\d.]+) ([\d.]+)/.exec(r.stderr);
  return { ms, peakRssMiB: m ? Math.round(Number(m[1]) / 1024) : null, cpuMs: m ? Math.round((Number(m[2]) + Number(m[3])) * 1000) : null, stdout: r.stdout };
}

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median: Math.round(median), min: Math.round(s[0]!), max: Math.round(s[s.length - 1]!) };
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'zkplan-plan-scale-'));
try {
  const file = path.join(dir, 'generated.yml');
  writeFileSync(file, generatedInventory(HOSTS, ENSEMBLES));
  planOnce(file); // warm-up: the page cache and node's own files
  const runs = Array.from({ length: RUNS }, () => planOnce(file));
  const plan = JSON.parse(planOnce(file, true).stdout) as Plan;
  const wall = stats(runs.map((r) => r.ms));
  const rss = runs.flatMap((r) => (r.peakRssMiB === null ? [] : [r.peakRssMiB]));
  const result = {
    measures: `node bin/zkplan.js plan <generated.yml> (text report), process start to exit (${process.env.ZKPLAN_BENCH_CLI === 'src' ? 'sources through tsx' : 'built CLI'})`,
    hosts: HOSTS,
    ensembles: ENSEMBLES,
    servers: plan.ensembles.reduce((n, e) => n + e.servers.length, 0),
    inventoryBytes: readFileSync(file).length,
    runs: RUNS,
    medianMs: wall.median,
    minMs: wall.min,
    maxMs: wall.max,
    medianCpuMs: runs.every((r) => r.cpuMs !== null) ? stats(runs.map((r) => r.cpuMs!)).median : null,
    medianPeakRssMiB: rss.length ? stats(rss).median : null,
    maxPeakRssMiB: rss.length ? Math.max(...rss) : null,
    goalMs: GOAL_MS,
    met: wall.median < GOAL_MS,
    loadAverage: os.loadavg().map((x) => Number(x.toFixed(2))),
    ...balance(plan, HOSTS),
  };
  console.log(JSON.stringify(result));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
