// Membership changes of a running ensemble, static method (FACTS §8a): from the membership the
// servers report and the planned one, the sequence of single-server steps. Any majority of one
// step's voters must meet any majority of the next step's voters, so at most one voter joins or
// leaves per step. A join starts the joiner with the larger membership, then restarts the
// existing servers with it (observers and followers first, the leader last). A leave restarts the
// remaining servers with the smaller membership, then stops the one that leaves; leaves go from
// the highest id down. Pure: no I/O, no clock.
import { majorityOf } from '../plan/quorum.js';

export type MemberRole = 'participant' | 'observer';

/** One server of a membership: its id and role (addresses are the caller's concern). */
export interface MembershipMember {
  id: number;
  role: MemberRole;
}

/** A running server as the step planner needs it: its role in the running membership and its mode now (`srvr`). */
export interface RunningMember extends MembershipMember {
  /** leader, follower, observer, standalone; undefined when it does not answer */
  mode?: string;
}

export interface MembershipStep {
  kind: 'join' | 'leave';
  serverId: number;
  role: MemberRole;
  /** the membership once the step is done, in id order */
  members: MembershipMember[];
  /** servers restarted with the new membership during the step, in this order (the leader last) */
  restarts: number[];
  /** voters of the larger of the two memberships, the one whose majority the step needs */
  voters: number;
  /** voters serving while one server restarts */
  servingDuring: number;
  /** the majority the step needs (of `voters`) */
  majority: number;
}

export interface MembershipPlan {
  /** empty when the running membership is the planned one */
  steps: MembershipStep[];
  /** set when a step would leave fewer than a majority serving; apply then changes nothing */
  refusal?: string;
}

const byId = (a: MembershipMember, b: MembershipMember) => a.id - b.id;
const voterCount = (ms: readonly MembershipMember[]) => ms.filter((m) => m.role === 'participant').length;

/**
 * The steps from `running` to `planned`. Joins first (in id order), so the ensemble has the
 * most voters it will have while servers leave; then leaves, highest id first. A server whose
 * role changes leaves and joins again (two steps). Every voter of the running membership must
 * be serving: a step makes one more unavailable.
 */
export function planMembership(running: readonly RunningMember[], planned: readonly MembershipMember[]): MembershipPlan {
  const plannedById = new Map(planned.map((m) => [m.id, m]));
  const runningById = new Map(running.map((m) => [m.id, m]));
  const leaves = running.filter((m) => plannedById.get(m.id)?.role !== m.role).sort((a, b) => b.id - a.id);
  const joins = planned.filter((m) => runningById.get(m.id)?.role !== m.role).sort(byId);
  const steps: MembershipStep[] = [];
  let members: MembershipMember[] = running.map(({ id, role }) => ({ id, role })).sort(byId);
  // Role changes: leave first (the id cannot be in a membership twice), then join.
  const roleChanges = joins.filter((j) => runningById.has(j.id));
  const order: { kind: 'join' | 'leave'; m: MembershipMember }[] = [
    ...roleChanges.flatMap((m) => [
      { kind: 'leave' as const, m: runningById.get(m.id)! },
      { kind: 'join' as const, m },
    ]),
    ...joins.filter((j) => !runningById.has(j.id)).map((m) => ({ kind: 'join' as const, m })),
    ...leaves.filter((l) => !plannedById.has(l.id)).map((m) => ({ kind: 'leave' as const, m })),
  ];
  for (const { kind, m } of order) {
    const before = members;
    const after = kind === 'join' ? [...before, { id: m.id, role: m.role }].sort(byId) : before.filter((x) => x.id !== m.id);
    const stay = after.filter((x) => x.id !== m.id).map((x) => x.id);
    const voters = Math.max(voterCount(before), voterCount(after));
    steps.push({
      kind,
      serverId: m.id,
      role: m.role,
      members: after,
      restarts: restartOrder(stay, running, kind === 'join' ? m.id : undefined),
      voters,
      servingDuring: voters - 1,
      majority: majorityOf(voters),
    });
    members = after;
  }
  const refusal = budget(running, steps);
  return refusal ? { steps, refusal } : { steps };
}

/** Servers that do not answer first, then observers, followers, the leader last; then by id. */
function restartOrder(ids: readonly number[], running: readonly RunningMember[], joiner: number | undefined): number[] {
  const rank = (id: number) => {
    const r = running.find((m) => m.id === id);
    // A server an earlier step of this change started follows by then.
    if (r === undefined) return 2;
    if (r.mode === undefined) return 0;
    return r.role === 'observer' ? 1 : r.mode === 'leader' ? 3 : 2;
  };
  return ids.filter((id) => id !== joiner).sort((a, b) => rank(a) - rank(b) || a - b);
}

/** Refuses up front a change that needs more than one voter unavailable at once. */
function budget(running: readonly RunningMember[], steps: readonly MembershipStep[]): string | undefined {
  if (steps.length === 0) return undefined;
  const silent = running.filter((m) => m.role === 'participant' && m.mode === undefined).map((m) => m.id);
  if (silent.length > 0) {
    return `voter${silent.length > 1 ? 's' : ''} ${silent.map((id) => `server.${id}`).join(', ')} of the running membership ${silent.length > 1 ? 'are' : 'is'} not serving; a membership step makes one more unavailable: bring ${silent.length > 1 ? 'them' : 'it'} back first`;
  }
  for (const s of steps) {
    if (s.servingDuring < s.majority) {
      return `${s.kind === 'join' ? 'adding' : 'removing'} server.${s.serverId} would leave ${s.servingDuring} of ${s.voters} voters serving while a server restarts (majority is ${s.majority}); the static method needs at least 3 voters on the larger side of every step`;
    }
  }
  return undefined;
}

/** Whether a membership is the planned one (same ids, same roles). */
export function sameMembership(a: readonly MembershipMember[], b: readonly MembershipMember[]): boolean {
  const key = (ms: readonly MembershipMember[]) => [...ms].sort(byId).map((m) => `${m.id}:${m.role}`).join(',');
  return key(a) === key(b);
}

/** `1 2 3 (observer 4)`: a membership as a dry run prints it. */
export function describeMembership(ms: readonly MembershipMember[]): string {
  const voters = ms.filter((m) => m.role === 'participant').map((m) => m.id);
  const observers = ms.filter((m) => m.role === 'observer').map((m) => m.id);
  return `{${voters.join(',')}}${observers.length ? ` + observers {${observers.join(',')}}` : ''}`;
}

/** How the membership changes: restarts with each step's membership, or `reconfig` requests. */
export type MembershipMethod = 'static' | 'reconfig';

/** One line per step, as `apply --dry-run` prints them. */
export function describeSteps(steps: readonly MembershipStep[], method: MembershipMethod = 'static'): string[] {
  if (method === 'reconfig') {
    return steps.map((s, i) => {
      const what = s.kind === 'join' ? `server.${s.serverId} joins${s.role === 'observer' ? ' as observer' : ''} (started with the committed membership plus itself, then reconfig -add)` : `server.${s.serverId} leaves (reconfig -remove, then stopped)`;
      return `step ${i + 1}: ${what}; no restart; membership ${describeMembership(s.members)}; ${s.voters} voters serving during the step, majority ${s.majority}`;
    });
  }
  return steps.map((s, i) => {
    const what = s.kind === 'join' ? `server.${s.serverId} joins${s.role === 'observer' ? ' as observer' : ''} (started with the new membership)` : `server.${s.serverId} leaves (stopped after the restarts)`;
    const restarts = s.restarts.length ? `restart ${s.restarts.map((id) => `server.${id}`).join(', ')} one at a time` : 'no restart';
    return `step ${i + 1}: ${what}; ${restarts}; membership ${describeMembership(s.members)}; ${s.servingDuring} of ${s.voters} voters serving during the step, majority ${s.majority}`;
  });
}
