// judgeEnsemble on crafted probes: each rule of "a live process is not a quorum".
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConfServer, Mntr } from '../../src/verify/four-letter.js';
import { judgeEnsemble } from '../../src/verify/judge.js';
import type { EnsembleProbe, Member, ServerProbe } from '../../src/verify/types.js';

const voters: Member[] = [1, 2, 3].map((id) => ({ id, role: 'participant', address: `10.0.0.${id}`, port: 2181 }));
const withObserver: Member[] = [...voters, { id: 4, role: 'observer', address: '10.0.0.4', port: 2181 }];

function membership(members: Member[]): ConfServer[] {
  return members.map((m) => ({ id: m.id, address: m.address, quorumPort: 2888, electionPort: 3888, role: m.role, clientPort: 2181 }));
}

function up(m: Member, mode: ServerProbe['mode'], epoch = 1, members: Member[] = voters): ServerProbe {
  return {
    ...m,
    reachable: true,
    mode,
    zxid: (BigInt(epoch) << 32n) | 5n,
    epoch,
    latencyAvg: 0,
    connections: 1,
    membership: membership(members),
  };
}

function down(m: Member, error = 'srvr: connection refused (nothing listening?) [ECONNREFUSED]'): ServerProbe {
  return { ...m, reachable: false, mode: null, zxid: null, epoch: null, latencyAvg: null, connections: null, error, errorKind: 'unreachable' };
}

function mntr(syncedFollowers: number, syncedObservers = 0, quorumSize = 3): Mntr {
  return { values: new Map(), serverState: 'leader', syncedFollowers, syncedNonVotingFollowers: 0, syncedObservers, quorumSize };
}

function healthy(): EnsembleProbe {
  const [a, b, c] = voters as [Member, Member, Member];
  return { servers: [up(a, 'follower'), up(b, 'leader'), up(c, 'follower')], leaderMntr: mntr(2) };
}

function healthyWithObserver(): EnsembleProbe {
  const [a, b, c, o] = withObserver as [Member, Member, Member, Member];
  return {
    servers: [up(a, 'follower', 1, withObserver), up(b, 'leader', 1, withObserver), up(c, 'follower', 1, withObserver), up(o, 'observer', 1, withObserver)],
    leaderMntr: mntr(2, 1),
  };
}

function kinds(p: EnsembleProbe, members: Member[] = voters): string[] {
  return judgeEnsemble(members, p).issues.map((i) => `${i.kind}:${i.id ?? '-'}`);
}

describe('judgeEnsemble', () => {
  it('passes one leader, synced followers, one epoch', () => {
    assert.deepEqual(judgeEnsemble(voters, healthy()), { ok: true, problems: [], issues: [], warnings: [] });
  });

  it('passes an ensemble with a synced observer', () => {
    const v = judgeEnsemble(withObserver, healthyWithObserver());
    assert.equal(v.ok, true, v.problems.join('; '));
  });

  it('fails two leaders and names both', () => {
    const p = healthy();
    p.servers[2] = up(voters[2]!, 'leader');
    delete p.leaderMntr;
    const v = judgeEnsemble(voters, p);
    assert.equal(v.ok, false);
    assert.deepEqual(kinds(p), ['leader-count:-']);
    assert.match(v.problems[0]!, /2 servers report leader \(servers 2, 3\)/);
  });

  it('fails when nobody leads', () => {
    const p = healthy();
    p.servers[1] = up(voters[1]!, 'follower');
    delete p.leaderMntr;
    assert.deepEqual(kinds(p), ['leader-count:-']);
  });

  it('fails a lagging epoch and says which way it lags', () => {
    const p = healthy();
    p.servers[0] = up(voters[0]!, 'follower', 0);
    p.servers[2] = up(voters[2]!, 'follower', 2);
    const v = judgeEnsemble(voters, p);
    assert.deepEqual(kinds(p), ['epoch:1', 'epoch:3']);
    assert.match(v.problems[0]!, /^server 1 \(10\.0\.0\.1:2181\) is at epoch 0, leader 2 at epoch 1: it has not applied/);
    assert.match(v.problems[1]!, /is ahead of the leader/);
  });

  it('fails when the leader has fewer synced followers than voters - 1', () => {
    const p = healthy();
    p.leaderMntr = mntr(1);
    const v = judgeEnsemble(voters, p);
    assert.deepEqual(kinds(p), ['sync:2']);
    assert.match(v.problems[0]!, /leader server 2 \(10\.0\.0\.2:2181\) has 1 synced followers, expected 2 \(3 voters planned\)/);
  });

  it('fails when the leader mntr is unreadable, e.g. not whitelisted', () => {
    const p = healthy();
    delete p.leaderMntr;
    p.leaderMntrError = 'not in 4lw.commands.whitelist on the server (add "mntr")';
    const v = judgeEnsemble(voters, p);
    assert.deepEqual(kinds(p), ['sync:2']);
    assert.match(v.problems[0]!, /cannot read mntr \(not in 4lw.commands.whitelist/);
  });

  it('fails an observer that runs as a follower, and counts it among non-voting followers once', () => {
    const p = healthyWithObserver();
    p.servers[3] = up(withObserver[3]!, 'follower', 1, withObserver);
    p.leaderMntr = { ...mntr(2, 0), syncedNonVotingFollowers: 1 };
    const v = judgeEnsemble(withObserver, p);
    assert.deepEqual(kinds(p, withObserver), ['mode:4']);
    assert.match(v.problems[0]!, /server 4 .* planned as an observer but reports follower/);
  });

  it('fails a participant that reports observer', () => {
    const p = healthyWithObserver();
    p.servers[2] = up(withObserver[2]!, 'observer', 1, withObserver);
    p.leaderMntr = mntr(1, 2);
    assert.deepEqual(kinds(p, withObserver), ['mode:3', 'sync:2', 'sync:2']);
  });

  it('fails when the leader has not synced the observer', () => {
    const p = healthyWithObserver();
    p.leaderMntr = mntr(2, 0);
    assert.deepEqual(kinds(p, withObserver), ['sync:2']);
  });

  it('only warns about observers when the leader has no observer counters (3.4)', () => {
    const p = healthyWithObserver();
    p.leaderMntr = { values: new Map(), serverState: 'leader', syncedFollowers: 2 };
    const v = judgeEnsemble(withObserver, p);
    assert.equal(v.ok, true);
    assert.match(v.warnings[0]!, /no observer counters/);
  });

  it('fails an unreachable server and names it with the reason', () => {
    const p = healthy();
    p.servers[2] = down(voters[2]!);
    p.leaderMntr = mntr(1);
    const v = judgeEnsemble(voters, p);
    assert.deepEqual(kinds(p), ['unreachable:3', 'sync:2']);
    assert.equal(v.problems[0], 'server 3 (10.0.0.3:2181) is unreachable: srvr: connection refused (nothing listening?) [ECONNREFUSED]');
  });

  it('fails a member that was never probed', () => {
    const p = healthy();
    p.servers.pop();
    p.leaderMntr = mntr(1);
    assert.match(judgeEnsemble(voters, p).problems[0]!, /server 3 .* unreachable: not probed/);
  });

  it('fails a server that answers but is not serving', () => {
    const p = healthy();
    p.servers[0] = { ...down(voters[0]!, 'srvr: not currently serving requests'), reachable: true, errorKind: 'not-serving' };
    p.leaderMntr = mntr(1);
    assert.deepEqual(kinds(p), ['not-serving:1', 'sync:2']);
  });

  it('fails standalone servers as "not part of an ensemble", without also claiming no leader', () => {
    const p: EnsembleProbe = { servers: voters.map((m) => up(m, 'standalone', 0)) };
    const v = judgeEnsemble(voters, p);
    assert.deepEqual(kinds(p), ['standalone:1', 'standalone:2', 'standalone:3']);
    assert.match(v.problems[0]!, /runs standalone: not part of an ensemble/);
  });

  it('fails a server whose configured membership differs from the plan', () => {
    const p = healthy();
    p.servers[0] = { ...up(voters[0]!, 'follower'), membership: membership([voters[0]!, voters[1]!, { ...withObserver[3]!, id: 5 }]) };
    const v = judgeEnsemble(voters, p);
    assert.deepEqual(kinds(p), ['membership:1']);
    assert.match(v.problems[0]!, /server\.3 missing, unexpected server\.5/);
  });

  it('fails when the leader counts a different number of voters than planned', () => {
    const p = healthy();
    p.leaderMntr = mntr(2, 0, 5);
    assert.deepEqual(kinds(p), ['membership:2']);
  });

  it('warns, without failing, when conf could not be read', () => {
    const p = healthy();
    const { membership: _, ...rest } = p.servers[0]!;
    p.servers[0] = { ...rest, membershipError: 'conf: not in 4lw.commands.whitelist on the server (add "conf")' };
    const v = judgeEnsemble(voters, p);
    assert.equal(v.ok, true);
    assert.match(v.warnings[0]!, /server 1 .* membership not compared: conf: not in 4lw/);
  });
});
