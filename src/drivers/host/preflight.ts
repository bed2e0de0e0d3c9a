// HostPreflight: everything checked on a host before anything changes anywhere.
import type { EnsemblePlan } from '../../plan/types.js';
import { dockerServerVersion, imageId, pullImage } from '../../remote/commands/docker.js';
import { clock, directoryCreatable, listeningPorts, memoryInfo } from '../../remote/commands/host.js';
import { heapsOverHostMemory, memTotalBytes } from '../../rollout/host-memory.js';
import { runBatch, type BatchCommand } from '../../remote/batch.js';
import type { RemoteFiles } from '../../remote/sftp-files.js';
import type { HostEngine } from './host-engine.js';
import type { HostSession, RunResult } from '../../remote/session.js';
import type { Check, HostChecks } from '../../engine/driver.js';
import type { HostResults } from '../lock.js';
import type { DesiredContainer } from '../../rollout/desired.js';
import type { ObservedServer } from '../../rollout/rollout.js';

export interface HostPreflight extends HostChecks {
  dockerVersion?: string;
  /** host clock minus local clock, milliseconds (round-trip midpoint) */
  clockSkewMs?: number;
}

export interface PreflightOptions {
  /** pull a missing image (apply); a dry run only reports it */
  pull: boolean;
}

/** Every preflight probe for one host, as one batch (src/remote/batch.ts). */
export function preflightCommands(ensemble: EnsemblePlan, containers: readonly DesiredContainer[]): BatchCommand[] {
  return [
    { name: 'docker', argv: dockerServerVersion() },
    { name: 'clock', argv: clock() },
    { name: 'listening', argv: listeningPorts() },
    { name: 'image', argv: imageId(ensemble.image) },
    ...bindSources(containers).map((dir, i) => ({ name: `dir${i}`, argv: directoryCreatable(dir) })),
    ...(ensemble.settings.heapMiB !== undefined ? [{ name: 'memory', argv: memoryInfo() }] : []),
  ];
}

/**
 * The same probes without starting a process on the host: the engine's API (version, clock,
 * image) and SFTP reads (/proc/net/tcp{,6}, /proc/meminfo, the directories' nearest existing
 * parent). What SFTP cannot settle (no /proc, a directory this login may or may not write) is
 * asked with preflightCommands' own probes, in one exec.
 */
export async function gatherPreflight(
  session: HostSession,
  host: HostEngine,
  ensemble: EnsemblePlan,
  containers: readonly DesiredContainer[],
  /** the login's uid on the host when known (the owner of the lock it just made) */
  loginUid: number | undefined,
): Promise<HostResults> {
  const startedAt = Date.now();
  const [docker, time, image, listening, memory, dirs] = await Promise.all([
    host.version(),
    host.clock(),
    host.imagePresent(ensemble.image),
    procFile(host.files, ['/proc/net/tcp', '/proc/net/tcp6']),
    ensemble.settings.heapMiB !== undefined ? procFile(host.files, ['/proc/meminfo']) : undefined,
    Promise.all(bindSources(containers).map((dir) => creatable(host.files, dir, loginUid))),
  ]);
  const answeredAt = Date.now();
  const results = new Map<string, RunResult>([
    ['docker', docker],
    ['clock', time],
    ['image', image],
  ]);
  const ask: BatchCommand[] = preflightCommands(ensemble, containers).filter(
    (c) => (c.name === 'listening' && listening === undefined) || (c.name === 'memory' && memory === undefined) || (c.name.startsWith('dir') && dirs[Number(c.name.slice(3))] !== true),
  );
  if (listening !== undefined) results.set('listening', listening);
  if (memory !== undefined) results.set('memory', memory);
  dirs.forEach((ok, i) => ok && results.set(`dir${i}`, { code: 0, stdout: '', stderr: '' }));
  if (ask.length > 0) for (const [name, r] of await runBatch(session, ask, { timeoutMs: 120_000 })) results.set(name, r);
  return { results, startedAt, answeredAt };
}

/** The files' contents, one after the other, or undefined when the first cannot be read. */
async function procFile(files: RemoteFiles, paths: readonly string[]): Promise<RunResult | undefined> {
  const read = await Promise.all(paths.map((p) => files.read(p).catch(() => undefined)));
  if (read[0] === undefined) return undefined;
  return { code: 0, stdout: read.map((b) => b?.toString('utf8') ?? '').join(''), stderr: '' };
}

/** true when the directory, or its nearest existing parent, is surely writable by this login. */
async function creatable(files: RemoteFiles, dir: string, loginUid: number | undefined): Promise<boolean> {
  let d = dir;
  for (;;) {
    const st = await files.stat(d).catch(() => undefined);
    if (st !== undefined) return st.isDirectory && (loginUid === 0 || (loginUid === st.uid && (st.mode & 0o200) !== 0) || (st.mode & 0o002) !== 0);
    if (d === '/' || d === '') return false;
    d = d.replace(/\/+[^/]*$/, '') || '/';
  }
}

/** Every host directory the host's servers mount: data and, when set, the transaction log's. */
function bindSources(containers: readonly DesiredContainer[]): string[] {
  return [...new Set(containers.flatMap((c) => c.spec.mounts.filter((m) => m.kind === 'bind').map((m) => m.source)))];
}

/** Judges what preflightCommands() found; only pulling a missing image runs anything more. */
export async function judgePreflight(
  session: HostSession,
  ensemble: EnsemblePlan,
  containers: readonly DesiredContainer[],
  observed: ReadonlyMap<number, ObservedServer>,
  found: HostResults,
  opts: PreflightOptions,
  /** every ensemble of the plan: the heaps of all servers placed on this host must fit in its memory */
  coTenants: readonly EnsemblePlan[] = [ensemble],
): Promise<HostPreflight> {
  const host = session.host.name;
  const checks: Check[] = [];
  const result: HostPreflight = { host, ok: true, checks };
  const missing: RunResult = { code: 127, stdout: '', stderr: 'the check did not run' };
  const get = (name: string) => found.results.get(name) ?? missing;
  const [docker, time, listening, image] = ['docker', 'clock', 'listening', 'image'].map(get) as [RunResult, RunResult, RunResult, RunResult];
  const sources = bindSources(containers);
  const dirs = sources.map((_, i) => get(`dir${i}`));
  const t0 = found.startedAt;
  const t1 = found.answeredAt;

  if (docker.code === 0) {
    result.dockerVersion = docker.stdout.trim();
    checks.push({ name: 'docker', ok: true, detail: `Docker ${result.dockerVersion}` });
  } else {
    checks.push({ name: 'docker', ok: false, detail: `Docker is not reachable: ${firstLine(docker.stderr)}` });
  }

  if (time.code === 0) {
    result.clockSkewMs = Math.round(Number(time.stdout.trim()) * 1000 - (t0 + t1) / 2);
    checks.push(judgeClockSkew(result.clockSkewMs, t1 - t0));
  }

  if (image.code === 0) {
    checks.push({ name: 'image', ok: true, detail: `image ${ensemble.image} present` });
  } else if (opts.pull && docker.code === 0) {
    const pulled = await session.run(pullImage(ensemble.image), { timeoutMs: 600_000 });
    checks.push(
      pulled.code === 0
        ? { name: 'image', ok: true, detail: `image ${ensemble.image} pulled` }
        : { name: 'image', ok: false, detail: `image ${ensemble.image} is missing and cannot be pulled: ${firstLine(pulled.stderr)}` },
    );
  } else {
    checks.push({ name: 'image', ok: opts.pull ? false : true, detail: `image ${ensemble.image} is not present${opts.pull ? '' : ' (apply would pull it)'}` });
  }

  const sockets = listening.code === 0 ? parseListeningPorts(listening.stdout) : undefined;
  const inUse = sockets?.ports ?? new Set<number>();
  // A busy port is fine only when one of this ensemble's running containers on this host holds
  // it: a changed port that something else holds would make the new container fail to start.
  const held = new Set<number>();
  for (const c of containers) {
    const o = observed.get(c.serverId);
    if (!o?.running) continue;
    const server = ensemble.servers.find((s) => s.id === c.serverId)!;
    // containers made before zkplan labelled their ports: assume they hold the planned ones
    for (const p of o.ports ?? Object.values(server.ports)) if (p !== undefined) held.add(p);
  }
  const busy: string[] = [];
  for (const c of containers) {
    const server = ensemble.servers.find((s) => s.id === c.serverId)!;
    for (const [what, port] of Object.entries(server.ports)) {
      if (port !== undefined && inUse.has(port) && !held.has(port)) busy.push(`${what} port ${port}`);
    }
  }
  checks.push(
    !sockets
      ? { name: 'ports', ok: false, detail: `cannot list the listening ports (exit ${listening.code}): ${firstLine(listening.stderr)}` }
      : sockets.unreadable !== undefined
        ? { name: 'ports', ok: false, detail: `cannot read the listening ports from: ${sockets.unreadable}` }
        : busy.length === 0
          ? { name: 'ports', ok: true, detail: 'ports free (or held by this ensemble)' }
          : { name: 'ports', ok: false, detail: `in use by something else: ${busy.join(', ')}` },
  );

  const badDirs = sources.filter((_, i) => dirs[i]!.code !== 0);
  checks.push(
    badDirs.length === 0
      ? { name: 'data dir', ok: true, detail: 'data directories creatable' }
      : { name: 'data dir', ok: false, detail: `cannot create ${badDirs.join(', ')}` },
  );

  if (ensemble.settings.heapMiB !== undefined) checks.push(judgeHostMemory(host, get('memory'), coTenants));

  result.ok = checks.every((c) => c.ok);
  return result;
}

/** The heaps the inventory gives every server on this host, against the host's MemTotal. */
export function judgeHostMemory(host: string, meminfo: RunResult, ensembles: readonly EnsemblePlan[]): Check {
  const total = meminfo.code === 0 ? memTotalBytes(meminfo.stdout) : undefined;
  if (total === undefined) return { name: 'memory', ok: false, detail: `cannot read MemTotal from /proc/meminfo (exit ${meminfo.code}): ${firstLine(meminfo.stderr) || 'no MemTotal line'}` };
  const problem = heapsOverHostMemory(ensembles, host, total);
  return problem === undefined ? { name: 'memory', ok: true, detail: `heaps fit in ${Math.floor(total / 2 ** 20)} MiB` } : { name: 'memory', ok: false, detail: problem };
}

// ZooKeeper times sessions on the leader's monotonic clock, so skew alone expires nothing; but
// clients move between servers on different hosts, and log lines, TLS certificate validity and
// zkplan's lock timestamps are compared across hosts. Above a second, NTP is not doing its job:
// warn. Above ZooKeeper's default maxSessionTimeout (20 × tickTime = 20 × 2000 ms = 40 s) the skew
// outlasts the longest session a default server grants, so no session timeout absorbs it: refuse.
const CLOCK_SKEW_WARN_MS = 1_000;
export const CLOCK_SKEW_LIMIT_MS = 40_000;

/** `roundTripMs` bounds the measurement: the skew is only known to within it. */
export function judgeClockSkew(skewMs: number, roundTripMs: number): Check {
  const measured = `clock skew ${skewMs} ms (±${roundTripMs} ms)`;
  const size = Math.abs(skewMs);
  if (size > CLOCK_SKEW_LIMIT_MS) {
    return { name: 'clock', ok: false, detail: `${measured} exceeds ${CLOCK_SKEW_LIMIT_MS / 1000} s, ZooKeeper's default maxSessionTimeout (20 × tickTime 2000 ms): synchronise the clocks (NTP)` };
  }
  if (size > CLOCK_SKEW_WARN_MS) {
    return { name: 'clock', ok: true, detail: `warning: ${measured} is above ${CLOCK_SKEW_WARN_MS / 1000} s; check NTP` };
  }
  return { name: 'clock', ok: true, detail: measured };
}

const SS_LINE = /^LISTEN\s+\d+\s+\d+\s+(\S*):(\d+)\s/;
// /proc/net/tcp{,6}: "sl local_address rem_address st ...", addresses as hex ADDR:PORT.
const PROC_LINE = /^\d+:\s+[0-9A-Fa-f]+:([0-9A-Fa-f]{4})\s+[0-9A-Fa-f]+:[0-9A-Fa-f]{4}\s+([0-9A-Fa-f]{2})\s/;
const PROC_HEADER = /^sl\s+local_address\s/;
const PROC_LISTEN = '0A';

/**
 * The listening ports in what listeningPorts() printed (`ss -ltnH` lines, /proc/net/tcp{,6}
 * tables, or both). `unreadable` is the first line that is neither: such output is not trusted.
 */
export function parseListeningPorts(text: string): { ports: Set<number>; unreadable?: string } {
  const ports = new Set<number>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || PROC_HEADER.test(line)) continue;
    const ss = SS_LINE.exec(`${line} `);
    const proc = ss ? undefined : PROC_LINE.exec(line);
    if (ss) ports.add(Number(ss[2]));
    else if (proc) {
      if (proc[2]!.toUpperCase() === PROC_LISTEN) ports.add(parseInt(proc[1]!, 16));
    } else return { ports, unreadable: line };
  }
  return { ports };
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}
