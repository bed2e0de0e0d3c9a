// Probe every member with four-letter words, judge, and wait until the ensemble proves healthy.

import { sleep } from '../common/sleep.js';
import type { Dial } from './dial.js';
import { FourLetterError, fourLetterWord, parseConf, parseMntr, parseSrvr } from './four-letter.js';
import { judgeEnsemble } from './judge.js';
import type { EnsembleProbe, IssueKind, Member, ServerProbe, Verdict } from './types.js';
import { openSessionsAhead, writeAndReadBack, type ZnodeCheck } from './znode.js';
import type { Session } from './zk-session.js';
import { tracePhase } from '../remote/trace.js';

export { judgeEnsemble } from './judge.js';
export type * from './types.js';

export interface ProbeOptions {
  /** hears of each server as soon as its answer is in */
  probed?: (p: ServerProbe) => void;
  /**
   * Ask every member's `mntr` with its `srvr`, keeping the leader's: one round instead of two,
   * for a probe that is on the critical path once (not a polling loop: it costs a channel per member).
   */
  mntrOfEach?: boolean;
}

export async function probeEnsemble(members: readonly Member[], dial: Dial, timeoutMs: number, opts: ProbeOptions = {}): Promise<EnsembleProbe> {
  const mntrs = opts.mntrOfEach ? new Map(members.map((m) => [m.id, settled(fourLetterWord(dial, m.address, m.port, 'mntr', timeoutMs))])) : undefined;
  const servers = await Promise.all(
    members.map(async (m) => {
      const p = await probeServer(m, dial, timeoutMs);
      opts.probed?.(p);
      return p;
    }),
  );
  const leaders = servers.filter((s) => s.mode === 'leader');
  const probe: EnsembleProbe = { servers };
  if (leaders.length === 1) {
    const leader = leaders[0]!;
    try {
      const asked = mntrs?.get(leader.id);
      probe.leaderMntr = parseMntr(asked ? await asked.then((r) => ('text' in r ? r.text : Promise.reject(r.error))) : await fourLetterWord(dial, leader.address, leader.port, 'mntr', timeoutMs));
    } catch (err) {
      probe.leaderMntrError = err instanceof FourLetterError ? err.detail : message(err);
    }
  }
  return probe;
}

function settled(p: Promise<string>): Promise<{ text: string } | { error: unknown }> {
  return p.then((text) => ({ text }), (error: unknown) => ({ error }));
}

export async function probeServer(m: Member, dial: Dial, timeoutMs: number): Promise<ServerProbe> {
  const p: ServerProbe = {
    id: m.id,
    role: m.role,
    address: m.address,
    port: m.port,
    reachable: false,
    mode: null,
    zxid: null,
    epoch: null,
    latencyAvg: null,
    connections: null,
  };
  const [srvr, conf] = await Promise.allSettled([
    fourLetterWord(dial, m.address, m.port, 'srvr', timeoutMs),
    fourLetterWord(dial, m.address, m.port, 'conf', timeoutMs),
  ]);
  if (srvr.status === 'rejected') {
    const err: unknown = srvr.reason;
    // The judge names the server itself; keep only the word and what went wrong.
    p.error = err instanceof FourLetterError ? `${err.word}: ${err.detail}` : message(err);
    p.errorKind = err instanceof FourLetterError ? err.kind : 'parse';
    p.reachable = err instanceof FourLetterError && (err.kind === 'not-serving' || err.kind === 'not-whitelisted');
    return p;
  }
  p.reachable = true;
  try {
    const s = parseSrvr(srvr.value);
    Object.assign(p, { mode: s.mode, zxid: s.zxid, epoch: s.epoch, latencyAvg: s.latency.avg, connections: s.connections });
  } catch (err) {
    p.error = message(err);
    p.errorKind = 'parse';
    return p;
  }
  if (conf.status === 'rejected') {
    const err: unknown = conf.reason;
    p.membershipError = err instanceof FourLetterError ? `${err.word}: ${err.detail}` : message(err);
  }
  else {
    try {
      p.membership = parseConf(conf.value).servers;
    } catch (err) {
      p.membershipError = message(err);
    }
  }
  return p;
}

export interface EnsembleHealth {
  ok: boolean;
  servers: ServerProbe[];
  problems: string[];
  warnings: string[];
  /** The last write/read-back attempt; null if the ensemble never looked healthy enough to try. */
  znode: ZnodeCheck | null;
  elapsedMs: number;
}

export interface WaitOptions {
  timeoutMs: number;
  pollMs: number;
  /** Per four-letter word and per ZooKeeper session; defaults to min(5 s, timeoutMs). */
  requestTimeoutMs?: number;
  znodePath?: string;
  /** The write/read-back proof; a real ZooKeeper client unless a test replaces it. */
  znodeCheck?: typeof writeAndReadBack;
  /** Kinds of issue that do not count (a membership change resumed midway: servers' memberships differ). */
  ignore?: readonly IssueKind[];
  /**
   * A probe of these members taken moments ago with nothing changed since (an apply that changes
   * nothing): judged as the first round instead of probing again. The znode round trip still runs.
   */
  firstProbe?: EnsembleProbe;
  /** ZooKeeper sessions opened ahead for the first znode check (its ZnodeOptions.opened). */
  znodeSessions?: ReadonlyMap<number, Promise<Session>>;
  /** Told the probe each znode check starts from: what can be asked while it runs. */
  beforeProof?: (probe: EnsembleProbe) => void;
}

/** The id of the server that reports leading (the first, should several claim it). */
export function leaderOf(servers: readonly { id: number; mode?: string | null }[]): number | undefined {
  return servers.find((s) => s.mode === 'leader')?.id;
}

/** For JSON.stringify: zxids are bigint, which JSON cannot carry; print them as ZooKeeper does. */
export function zxidReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? `0x${value.toString(16)}` : value;
}

/**
 * Polls until the judge is satisfied and a znode round-trip succeeds, or the deadline passes.
 * The deadline is checked between steps; a step already running may overrun it by a few
 * requestTimeoutMs (a znode check opens one session per server, each bounded by it).
 * The znode write is also what moves followers onto the leader's epoch (see judgeEpochs), so it
 * runs as soon as epoch lag is the only remaining issue, and the servers are probed once more after it
 * when there was such lag. A server's session for it opens as soon as a round finds that server
 * serving, while the others still start: opening one (a tunnel channel, and a ZooKeeper handshake
 * whose session the quorum commits) is most of the proof's time on a freshly started ensemble.
 */
export async function waitForEnsemble(members: readonly Member[], dial: Dial, opts: WaitOptions): Promise<EnsembleHealth> {
  const start = Date.now();
  const deadline = start + opts.timeoutMs;
  const reqTimeout = opts.requestTimeoutMs ?? Math.min(5000, opts.timeoutMs);
  const budget = (): number => Math.max(1, Math.min(reqTimeout, deadline - Date.now()));
  let znode: ZnodeCheck | null = null;
  let last: { probe: EnsembleProbe; verdict: Verdict };
  let given = opts.firstProbe;
  // Sessions are opened ahead only for the real proof (a test's znodeCheck has its own servers).
  const openAhead = opts.znodeCheck === undefined;
  let ahead = openSessionsAhead(opts.znodeSessions);

  try {
    for (;;) {
      const probing = tracePhase(given ? 'verify probe (given)' : 'verify probe');
      last = given ? judged(members, given, opts.ignore) : await probeAndJudge(members, dial, budget(), opts.ignore);
      given = undefined;
      probing.end(last.verdict.issues.map((i) => i.kind).join(',') || 'ok');
      if (openAhead) for (const p of last.probe.servers) if (p.mode && !ahead.sessions.has(p.id)) ahead.open(p, dial, budget());
      if (last.verdict.issues.every((i) => i.kind === 'epoch') && Date.now() < deadline) {
        opts.beforeProof?.(last.probe);
        const writing = tracePhase('verify znode');
        // Each attempt closes the sessions it was given; a later one opens its own.
        const { sessions } = ahead;
        ahead = openSessionsAhead();
        znode = await (opts.znodeCheck ?? writeAndReadBack)(orderForWrite(members, last.probe), dial, {
          timeoutMs: budget(),
          ...(opts.znodePath === undefined ? {} : { path: opts.znodePath }),
          ...(sessions.size > 0 ? { opened: sessions } : {}),
        });
        writing.end(znode.ok ? 'ok' : 'failed');
        if (znode.ok) {
          // Looked at again only when the write was to move lagging followers onto the epoch.
          if (last.verdict.ok) return health(true, last, znode, start);
          last = await probeAndJudge(members, dial, budget(), opts.ignore);
          if (last.verdict.ok) return health(true, last, znode, start);
        }
      }
      if (Date.now() + opts.pollMs >= deadline) break;
      await sleep(opts.pollMs);
    }
  } finally {
    ahead.close();
  }
  const result = health(false, last, znode, start);
  if (znode && !znode.ok) result.problems.push(...znodeProblems(znode));
  return result;
}

async function probeAndJudge(members: readonly Member[], dial: Dial, timeoutMs: number, ignore: readonly IssueKind[] = []): Promise<{ probe: EnsembleProbe; verdict: Verdict }> {
  return judged(members, await probeEnsemble(members, dial, timeoutMs), ignore);
}

function judged(members: readonly Member[], probe: EnsembleProbe, ignore: readonly IssueKind[] = []): { probe: EnsembleProbe; verdict: Verdict } {
  const verdict = judgeEnsemble(members, probe);
  if (ignore.length === 0) return { probe, verdict };
  const issues = verdict.issues.filter((i) => !ignore.includes(i.kind));
  return { probe, verdict: { ...verdict, ok: issues.length === 0, issues, problems: issues.map((i) => i.message) } };
}

// Write through a follower when there is one: that exercises forwarding to the leader.
function orderForWrite(members: readonly Member[], probe: EnsembleProbe): Member[] {
  const mode = new Map(probe.servers.map((s) => [s.id, s.mode]));
  const rank = (m: Member): number => (mode.get(m.id) === 'follower' ? 0 : mode.get(m.id) === 'leader' ? 1 : 2);
  return [...members].sort((a, b) => rank(a) - rank(b));
}

function znodeProblems(z: ZnodeCheck): string[] {
  if (z.writtenVia === null) return [`could not write ${z.path}: ${z.writeErrors.map((e) => `server ${e.id}: ${e.error}`).join('; ')}`];
  return z.readVia.filter((r) => !r.ok).map((r) => `server ${r.id} did not read back ${z.path} written via server ${z.writtenVia}: ${r.error}`);
}

function health(ok: boolean, last: { probe: EnsembleProbe; verdict: Verdict }, znode: ZnodeCheck | null, start: number): EnsembleHealth {
  return {
    ok,
    servers: last.probe.servers,
    problems: [...last.verdict.problems],
    warnings: last.verdict.warnings,
    znode,
    elapsedMs: Date.now() - start,
  };
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
