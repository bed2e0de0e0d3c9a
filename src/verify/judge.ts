// Decides whether probed servers form the planned ensemble. Pure, so every rule is unit-tested
// on crafted probes; the rules follow PEERS.md §4 item 7: a live process is not a quorum.

import { endpoint } from './dial.js';
import type { EnsembleProbe, Issue, Member, ServerProbe, Verdict } from './types.js';

export function judgeEnsemble(members: readonly Member[], probe: EnsembleProbe): Verdict {
  const issues: Issue[] = [];
  const warnings: string[] = [];
  const add = (kind: Issue['kind'], message: string, id?: number): void => {
    issues.push(id === undefined ? { kind, message } : { kind, id, message });
  };
  const byId = new Map(probe.servers.map((p) => [p.id, p]));
  const voters = members.filter((m) => m.role === 'participant');
  const observers = members.filter((m) => m.role === 'observer');

  const serving: { member: Member; probe: ServerProbe }[] = [];
  for (const m of members) {
    const p = byId.get(m.id);
    const who = label(m);
    if (!p || !p.reachable) add('unreachable', `${who} is unreachable: ${p?.error ?? 'not probed'}`, m.id);
    else if (p.errorKind === 'not-serving') add('not-serving', `${who} is not serving requests (no quorum, or still electing)`, m.id);
    else if (p.mode === null) add('probe', `${who} answered but its state is unknown: ${p.error ?? 'no mode'}`, m.id);
    else serving.push({ member: m, probe: p });
  }

  for (const { member: m, probe: p } of serving) {
    const who = label(m);
    if (p.mode === 'standalone') {
      add('standalone', `${who} runs standalone: not part of an ensemble (missing server.N lines or myid?)`, m.id);
    } else if (p.mode === 'read-only') {
      add('mode', `${who} is read-only: it is cut off from the quorum`, m.id);
    } else if (m.role === 'observer' && p.mode !== 'observer') {
      add('mode', `${who} is planned as an observer but reports ${p.mode} (is it listed as :observer everywhere, with peerType=observer?)`, m.id);
    } else if (m.role === 'participant' && p.mode === 'observer') {
      add('mode', `${who} is planned as a participant but reports observer`, m.id);
    }
  }

  const leaders = serving.filter((s) => s.probe.mode === 'leader');
  if (leaders.length === 0 && serving.some((s) => s.probe.mode !== 'standalone')) {
    add('leader-count', 'no server reports leader');
  } else if (leaders.length > 1) {
    const ids = leaders.map((l) => l.member.id).join(', ');
    add('leader-count', `${leaders.length} servers report leader (servers ${ids}): more than one ensemble is running`);
  }

  const leader = leaders.length === 1 ? leaders[0]! : undefined;
  if (leader) {
    judgeEpochs(leader, serving, add);
    judgeSync(leader.member, voters.length, observers.length, probe, add, warnings);
  }
  judgeMembership(members, probe.servers, add, warnings);

  return { ok: issues.length === 0, problems: issues.map((i) => i.message), issues, warnings };
}

type Add = (kind: Issue['kind'], message: string, id?: number) => void;
type Serving = { member: Member; probe: ServerProbe };

// srvr's Zxid is the last transaction applied. After an election the leader reports the new
// epoch at once, but the others keep the old one until they apply a transaction of the new
// epoch, so a lagging epoch right after startup is expected; waitForEnsemble writes, then asks again.
function judgeEpochs(leader: Serving, serving: Serving[], add: Add): void {
  const want = leader.probe.epoch;
  if (want === null) return;
  for (const { member: m, probe: p } of serving) {
    if (p === leader.probe || p.mode === 'standalone' || p.epoch === null || p.epoch === want) continue;
    const how = p.epoch < want ? 'has not applied a transaction of the current epoch' : 'is ahead of the leader';
    add('epoch', `${label(m)} is at epoch ${p.epoch}, leader ${leader.member.id} at epoch ${want}: it ${how}`, m.id);
  }
}

function judgeSync(
  leader: Member,
  voters: number,
  observers: number,
  probe: EnsembleProbe,
  add: Add,
  warnings: string[],
): void {
  const who = `leader ${label(leader)}`;
  const mntr = probe.leaderMntr;
  if (!mntr) {
    add('sync', `${who}: cannot read mntr (${probe.leaderMntrError ?? 'not probed'}), so its synced followers are unknown`, leader.id);
    return;
  }
  if (mntr.syncedFollowers === undefined) {
    add('sync', `${who}: mntr has no zk_synced_followers`, leader.id);
  } else if (mntr.syncedFollowers !== voters - 1) {
    add('sync', `${who} has ${mntr.syncedFollowers} synced followers, expected ${voters - 1} (${voters} voters planned)`, leader.id);
  }
  if (mntr.syncedObservers === undefined && mntr.syncedNonVotingFollowers === undefined) {
    if (observers > 0) warnings.push(`${who}: mntr has no observer counters (ZooKeeper 3.4?); observer sync not confirmed`);
  } else {
    // A non-voting follower is a server the leader's config does not count as a voter: for a
    // planned observer that also shows up as a mode problem, so count it here only once.
    const synced = (mntr.syncedObservers ?? 0) + (mntr.syncedNonVotingFollowers ?? 0);
    if (synced !== observers) {
      add('sync', `${who} has ${synced} synced observers/non-voting followers, expected ${observers}`, leader.id);
    }
  }
  if (mntr.quorumSize !== undefined && mntr.quorumSize !== voters) {
    add('membership', `${who} counts ${mntr.quorumSize} voting members, plan has ${voters}`, leader.id);
  }
}

function judgeMembership(members: readonly Member[], probes: ServerProbe[], add: Add, warnings: string[]): void {
  const planned = new Map(members.map((m) => [m.id, m.role]));
  for (const p of probes) {
    if (!p.reachable || p.errorKind === 'not-serving') continue;
    if (p.membershipError !== undefined) {
      warnings.push(`${label(p)}: membership not compared: ${p.membershipError}`);
      continue;
    }
    if (!p.membership) continue;
    if (p.membership.length === 0) {
      warnings.push(`${label(p)}: conf lists no servers (ZooKeeper 3.4?); membership not compared`);
      continue;
    }
    const seen = new Map(p.membership.map((s) => [s.id, s.role]));
    const diffs: string[] = [];
    for (const [id, role] of planned) {
      const got = seen.get(id);
      if (got === undefined) diffs.push(`server.${id} missing`);
      else if (got !== role) diffs.push(`server.${id} is ${got} (plan: ${role})`);
    }
    for (const id of seen.keys()) if (!planned.has(id)) diffs.push(`unexpected server.${id}`);
    if (diffs.length > 0) add('membership', `${label(p)} is configured differently from the plan: ${diffs.join(', ')}`, p.id);
  }
}

function label(s: { id: number; address: string; port: number }): string {
  return `server ${s.id} (${endpoint(s.address, s.port)})`;
}
