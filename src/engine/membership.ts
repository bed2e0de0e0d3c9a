// Membership changes of a running ensemble, static method, carried out through a driver: the
// running membership is read from the servers (the leader's `conf`), the steps come from the
// pure planner (src/rollout/membership.ts), and each step is one server joining or leaving:
// the joiner started with the larger membership, then the others restarted with the step's
// membership one at a time (the leader last), or the others restarted with the smaller one and
// the leaver stopped, its data moved aside. The ensemble is checked before and after every step
// and after every restart; a step that does not settle stops the change, naming every server.
import { sleep } from '../common/sleep.js';
import { OperationalError } from '../common/problems.js';
import { asideSuffix } from '../rollout/aside.js';
import { describeMembership, describeSteps, planMembership, sameMembership, type MembershipMember, type MembershipMethod, type MembershipPlan, type MembershipStep, type RunningMember } from '../rollout/membership.js';
import type { ConfServer } from '../verify/four-letter-parse.js';
import { leaderOf, probeServer, waitForEnsemble, type EnsembleHealth, type ServerProbe } from '../verify/ensemble.js';
import type { IssueKind, Member } from '../verify/types.js';
import { endpoint } from '../verify/dial.js';
import { describeHealth } from './describe.js';
import type { DesiredServer, Driver, FormerServer, ObservedServer, Progress } from './driver.js';
import type { Timing } from './timing.js';

/** What apply needs besides the planned servers to change a membership. */
export interface MembershipSupport {
  /** The planned servers of a step's membership, each configured with exactly that membership. */
  desiredFor(members: readonly MembershipMember[], reported: readonly ConfServer[], former: readonly FormerServer[]): DesiredServer[];
  /** Why this apply must not make these steps (refused up front, nothing changed), or undefined. */
  refusal?(steps: readonly MembershipStep[]): string | undefined;
  /** The time that names data moved aside (an effect: the edge passes the clock in). */
  now(): Date;
  /**
   * Set for a `reconfig: true` ensemble: the membership changes by dynamic reconfiguration
   * (src/engine/reconfig.ts), authenticated as ZooKeeper's super user with this password.
   */
  reconfig?: {
    superPassword: string;
    /** `server.N=…` of a planned server, as a `reconfig -add` names it */
    serverLine(id: number): string;
  };
}

/** A planned server whose id the running membership has at another address: its host was replaced. */
export interface MovedServer {
  serverId: number;
  host: string;
  /** where the running membership still names it */
  oldAddress: string;
  oldPort: number;
}

export interface RunningMembership {
  /** set when the running membership is not the planned one */
  change?: MembershipChange;
  /** servers that keep their id on a new host */
  moved: MovedServer[];
}

export interface MembershipChange {
  running: MembershipMember[];
  planned: MembershipMember[];
  plan: MembershipPlan;
  /** the servers' own lines for every member, as the leader reported them */
  reported: ConfServer[];
  former: FormerServer[];
}

export interface Ctx {
  ensemble: string;
  desired: readonly DesiredServer[];
  driver: Driver<object>;
  progress: Progress;
  timing: Timing;
  support: MembershipSupport;
  timeoutMs: number;
  znodeCheck?: Parameters<typeof waitForEnsemble>[2]['znodeCheck'];
}

/**
 * The change from the running membership to the plan, or undefined when there is none to make:
 * nothing serves yet (a fresh ensemble is created whole), or the membership is the planned one.
 * Without a leader among servers that run, the running membership is unknown: refused.
 */
/**
 * `moves: false` where the target places servers itself (Swarm): a server the running membership
 * names at another address has simply been rescheduled there, nothing to prove gone.
 */
export async function readMembership(
  ctx: Omit<Ctx, 'support' | 'timeoutMs'>,
  observed: ReadonlyMap<number, ObservedServer>,
  opts: {
    moves: boolean;
    /** planned servers' probes taken with `observed`: not probed again */
    probed?: readonly ServerProbe[];
    /** driver.formerServers() already asked, alongside observing */
    former?: Promise<FormerServer[] | undefined>;
  } = { moves: true },
): Promise<RunningMembership> {
  const { driver, desired } = ctx;
  const former = (await (opts.former ?? driver.formerServers?.(desired))) ?? [];
  const planned: MembershipMember[] = desired.map((d) => ({ id: d.serverId, role: d.role }));
  const members = driver.members(desired, observed);
  const known = new Map((opts.probed ?? []).map((p) => [p.id, p]));
  const probes = await Promise.all(
    [...members, ...former.flatMap((f) => (f.member ? [f.member] : []))].map((m, i) =>
      i < members.length && known.has(m.id) ? known.get(m.id)! : probeServer(m, driver.dial, ctx.timing.probeTimeoutMs),
    ),
  );
  // The leader's view, or a follower's when the leader is not where the plan looks (it moved).
  const leader = probes.find((p) => p.mode === 'leader') ?? probes.find((p) => p.mode !== null && p.membership && p.membership.length > 0);
  const running = [...observed.values()].some((o) => o.running) || former.some((f) => f.running);
  if (!leader) {
    if (former.length > 0 && running) throw new OperationalError(`${ctx.ensemble}: no server answers, so the running membership cannot be read, and servers the plan no longer has still run (${former.map((f) => `server.${f.serverId} on ${f.host}`).join(', ')}); nothing was changed`);
    return { moved: [] };
  }
  // 3.4 lists no membership in `conf`: the members are then the servers that answer.
  const reported: ConfServer[] =
    leader.membership && leader.membership.length > 0
      ? leader.membership
      : probes.filter((p) => p.mode !== null).map((p) => ({ id: p.id, address: p.address, quorumPort: 0, role: p.role, clientPort: p.port }));
  const mode = new Map(probes.filter((p) => p.mode !== null).map((p) => [p.id, p.mode!]));
  const runningMembers: RunningMember[] = reported.map((r) => ({ id: r.id, role: r.role, ...(mode.has(r.id) ? { mode: mode.get(r.id)! } : {}) }));
  const moved: MovedServer[] = driver.singleEngine || !opts.moves ? [] : reported.flatMap((r) => {
    const m = members.find((x) => x.id === r.id);
    const d = desired.find((x) => x.serverId === r.id);
    return m && d && r.quorumPort !== 0 && r.address !== m.address ? [{ serverId: r.id, host: d.host, oldAddress: r.address, oldPort: r.clientPort ?? m.port }] : [];
  });
  await provenGone(ctx, moved);
  if (sameMembership(runningMembers, planned)) return { moved };
  const plan = planMembership(runningMembers, planned);
  return { change: { running: runningMembers.map(({ id, role }) => ({ id, role })), planned, plan, reported, former }, moved };
}

/**
 * Two servers with one id is the worst outcome: before a server starts on its new host, the old
 * instance must not answer at its old address as a member of this ensemble. Asked through the
 * target (an SSH tunnel when the old host is still connected) and then directly; a server that
 * answers either way with a mode refuses the apply, changing nothing.
 */
async function provenGone(ctx: Omit<Ctx, 'support' | 'timeoutMs'>, moved: readonly MovedServer[]): Promise<void> {
  for (const m of moved) {
    const member: Member = { id: m.serverId, role: 'participant', address: m.oldAddress, port: m.oldPort };
    const viaTarget = await probeServer(member, ctx.driver.dial, ctx.timing.probeTimeoutMs);
    const direct = viaTarget.reachable || !ctx.driver.directDial ? viaTarget : await probeServer(member, ctx.driver.directDial, ctx.timing.probeTimeoutMs);
    const answered = [viaTarget, direct].find((p) => p.mode !== null);
    if (answered) {
      throw new OperationalError(
        `refusing to apply ${ctx.ensemble}: server.${m.serverId} is planned on ${m.host}, but the old server.${m.serverId} still answers at ${endpoint(m.oldAddress, m.oldPort)} as ${answered.mode} of this ensemble; stop it (or its host) first: two servers with one id must never run; nothing was changed`,
      );
    }
    ctx.progress.note(`${ctx.ensemble}: server.${m.serverId} moves to ${m.host}: the old one does not answer at ${endpoint(m.oldAddress, m.oldPort)} (${direct.error ?? viaTarget.error ?? 'no answer'})`);
  }
}

/** The lines a dry run (and the apply itself) prints for a change. */
export function describeChange(ensemble: string, change: MembershipChange, method: MembershipMethod = 'static'): string[] {
  const how = method === 'reconfig' ? 'dynamic reconfiguration (reconfig -add/-remove, no member restarted)' : 'static method (members restarted with each membership)';
  return [
    `${ensemble}: membership ${describeMembership(change.running)} runs, the plan has ${describeMembership(change.planned)}: ${change.plan.steps.length} single-server step${change.plan.steps.length === 1 ? '' : 's'}, ${how}`,
    ...describeSteps(change.plan.steps, method).map((l) => `  ${l}`),
  ];
}

/** Carries the steps out; throws, naming every server, at the first step that does not settle. */
export async function changeMembership(ctx: Ctx, change: MembershipChange): Promise<void> {
  const { progress, ensemble } = ctx;
  let current = change.running;
  // An earlier change stopped midway leaves servers with different memberships: whole is enough.
  await settled(ctx, change, current, 'before the first step', ['membership']);
  for (const [i, step] of change.plan.steps.entries()) {
    progress.note(`${ensemble}: ${describeSteps([step])[0]!.replace(/^step 1/, `step ${i + 1} of ${change.plan.steps.length}`)}`);
    const stepDesired = ctx.support.desiredFor(step.members, change.reported, change.former);
    const during = union(current, step.members);
    if (step.kind === 'join') await join(ctx, change, step, stepDesired, during);
    else await handOver(ctx, change, step, current);
    for (const id of await restartOrder(ctx, change, step, during)) {
      const d = stepDesired.find((x) => x.serverId === id)!;
      const observed = await ctx.driver.observe([d]);
      progress.step(d.host, 'change', 'start', `${d.name}: restart with membership ${describeMembership(step.members)}`);
      await ctx.driver.prepare([d], stepDesired);
      await ctx.driver.replace(d, observed.get(id) ?? { exists: false, running: false });
      progress.step(d.host, 'change', 'ok', d.name);
      await serving(ctx, change, during, id, `restarting server.${id} in step ${i + 1}`);
    }
    if (step.kind === 'leave') await leave(ctx, change, step, during);
    current = step.members;
    await settled(ctx, change, current, `after step ${i + 1} (server.${step.serverId} ${step.kind === 'join' ? 'joined' : 'left'})`);
  }
}

export async function join(ctx: Ctx, change: MembershipChange, step: MembershipStep, stepDesired: readonly DesiredServer[], during: readonly MembershipMember[]): Promise<void> {
  const d = stepDesired.find((x) => x.serverId === step.serverId)!;
  const o = (await ctx.driver.observe([d])).get(d.serverId) ?? { exists: false, running: false };
  // A joiner never starts on what an earlier member with its id left behind; a server that only
  // changes role (it left a step ago) keeps its own history.
  const rejoins = change.running.some((m) => m.id === d.serverId);
  const moved = rejoins ? [] : ((await ctx.driver.setAsideData?.(d.serverId, d.host, asideSuffix(ctx.support.now(), d.serverId, 'stale'))) ?? []);
  for (const m of moved) ctx.progress.step(d.host, 'data', 'info', `leftover data of an earlier server.${d.serverId} moved aside to ${m}`);
  ctx.progress.step(d.host, o.exists ? 'change' : 'create', 'start', `${d.name}: joins with membership ${describeMembership(step.members)}`);
  await ctx.driver.prepare([d], stepDesired);
  if (o.exists) await ctx.driver.replace(d, o);
  else await ctx.driver.create(d);
  ctx.progress.step(d.host, o.exists ? 'change' : 'create', 'ok', d.name);
  await serving(ctx, change, during, d.serverId, `server.${d.serverId} joining`);
}

/**
 * A server restarted with the smaller membership ignores election votes for a leader that
 * membership lacks (FastLeaderElection's validVoter): it could never follow a leader that leaves.
 * So a leaving leader is restarted as it is first; the others elect a leader among themselves
 * while it is down, and it comes back as a follower.
 */
async function handOver(ctx: Ctx, change: MembershipChange, step: MembershipStep, current: readonly MembershipMember[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const probes = await probeAll(ctx, change, current);
    if (leaderOf(probes) !== step.serverId) return;
    const former = change.former.find((f) => f.serverId === step.serverId);
    if (!former || !ctx.driver.restartFormer || attempt > 3) {
      throw await stopMessage(ctx, change, current, `server.${step.serverId} leads and leaves the membership; ${attempt > 3 ? 'it led again after 3 restarts' : 'zkplan cannot restart it to hand leadership over'}`, probes);
    }
    ctx.progress.step(former.host, 'change', 'start', `${former.name}: restarted as it is, so that another server leads before it leaves`);
    await ctx.driver.restartFormer(former, () => otherLeader(ctx, change, current, step.serverId));
    ctx.progress.step(former.host, 'change', 'ok', former.name);
    await settled(ctx, change, current, `after server.${step.serverId} handed leadership over`);
  }
}

/** Waits until a server other than `leaving` leads the others (it is down meanwhile). */
async function otherLeader(ctx: Ctx, change: MembershipChange, current: readonly MembershipMember[], leaving: number): Promise<void> {
  const others = current.filter((m) => m.id !== leaving);
  const deadline = Date.now() + ctx.timeoutMs;
  for (;;) {
    const probes = await probeAll(ctx, change, others);
    if (probes.filter((p) => p.mode === 'leader').length === 1) return;
    if (Date.now() >= deadline) throw await stopMessage(ctx, change, current, `no other server led within ${Math.round(ctx.timeoutMs / 1000)} s while server.${leaving} was stopped to hand leadership over`, probes);
    await sleep(Math.max(ctx.timing.pollMs, 200));
  }
}

export async function leave(ctx: Ctx, change: MembershipChange, step: MembershipStep, during: readonly MembershipMember[]): Promise<void> {
  const former = change.former.find((f) => f.serverId === step.serverId);
  const planned = ctx.desired.find((d) => d.serverId === step.serverId);
  const host = former?.host ?? planned?.host;
  // A server whose role changes leaves and joins again: its data stays (it keeps its history).
  if (planned) {
    ctx.progress.step(planned.host, 'remove', 'start', `${planned.name}: leaves as ${step.role}; it joins again as ${planned.role}`);
    await ctx.driver.remove(planned);
    return;
  }
  if (!former || !ctx.driver.retire) {
    const where = host ? ` on ${host}` : '';
    throw await stopMessage(ctx, change, during, `server.${step.serverId}${where} left the membership but zkplan cannot reach its container to stop it: stop it by hand, then run apply again`);
  }
  ctx.progress.step(former.host, 'remove', 'start', `${former.name}: stopped, it left the membership`);
  const moved = await ctx.driver.retire(former, asideSuffix(ctx.support.now(), former.serverId, 'removed'));
  ctx.progress.step(former.host, 'remove', 'ok', `${former.name}${moved.length ? `; data moved aside to ${moved.join(', ')}` : ''}`);
}

/** The restarts of a step, recomputed from what serves now: the leader can change during a change. */
async function restartOrder(ctx: Ctx, change: MembershipChange, step: MembershipStep, during: readonly MembershipMember[]): Promise<number[]> {
  const probes = await probeAll(ctx, change, during);
  const leader = leaderOf(probes);
  return [...step.restarts].sort((a, b) => Number(a === leader) - Number(b === leader) || step.restarts.indexOf(a) - step.restarts.indexOf(b));
}

export function union(a: readonly MembershipMember[], b: readonly MembershipMember[]): MembershipMember[] {
  const ids = new Map([...a, ...b].map((m) => [m.id, m]));
  return [...ids.values()].sort((x, y) => x.id - y.id);
}

/** Where verify reaches each member: planned servers where the driver says, others where they said they are. */
export function membersOf(ctx: Ctx, change: MembershipChange, ms: readonly MembershipMember[]): Member[] {
  const planned = ctx.driver.members(ctx.desired, new Map());
  return ms.flatMap((m) => {
    const p = planned.find((x) => x.id === m.id);
    if (p) return [{ ...p, role: m.role }];
    const f = change.former.find((x) => x.serverId === m.id)?.member;
    return f ? [{ ...f, role: m.role }] : [];
  });
}

export async function probeAll(ctx: Ctx, change: MembershipChange, ms: readonly MembershipMember[]): Promise<ServerProbe[]> {
  return Promise.all(membersOf(ctx, change, ms).map((m) => probeServer(m, ctx.driver.dial, ctx.timing.probeTimeoutMs)));
}

/** Waits until `id` serves (follows, observes or leads) and exactly one server leads. */
export async function serving(ctx: Ctx, change: MembershipChange, during: readonly MembershipMember[], id: number, what: string): Promise<void> {
  const deadline = Date.now() + ctx.timeoutMs;
  for (;;) {
    const probes = await probeAll(ctx, change, during);
    const mine = probes.find((p) => p.id === id);
    if (mine?.mode && mine.mode !== 'standalone' && probes.filter((p) => p.mode === 'leader').length === 1) return;
    if (Date.now() >= deadline) throw await stopMessage(ctx, change, during, `server.${id} did not serve within ${Math.round(ctx.timeoutMs / 1000)} s while ${what}`, probes);
    await sleep(Math.max(ctx.timing.pollMs, 200));
  }
}

/** The whole check: one leader, followers synced, same epoch, membership as the step says, a znode read back everywhere. */
export async function settled(ctx: Ctx, change: MembershipChange, ms: readonly MembershipMember[], when: string, ignore: readonly IssueKind[] = []): Promise<EnsembleHealth> {
  const health = await waitForEnsemble(membersOf(ctx, change, ms), ctx.driver.dial, {
    ignore,
    timeoutMs: ctx.timeoutMs,
    pollMs: ctx.timing.pollMs,
    requestTimeoutMs: ctx.timing.requestTimeoutMs,
    ...(ctx.znodeCheck ? { znodeCheck: ctx.znodeCheck } : {}),
  });
  if (!health.ok) throw await stopMessage(ctx, change, ms, `the ensemble with membership ${describeMembership(ms)} did not settle ${when}\n${describeHealth(health)}`, health.servers);
  ctx.progress.note(`${ctx.ensemble}: membership ${describeMembership(ms)} settled ${when}: one leader, followers synced, znode read back`);
  return health;
}

/** The error that stops a change: why, and every server's state as it answers now. */
export async function stopMessage(ctx: Ctx, change: MembershipChange, ms: readonly MembershipMember[], why: string, seen?: readonly ServerProbe[]): Promise<OperationalError> {
  const probes = seen ?? (await probeAll(ctx, change, ms).catch(() => []));
  const all = union(ms, [...ctx.desired.map((d) => ({ id: d.serverId, role: d.role })), ...change.former.map((f) => ({ id: f.serverId, role: 'participant' as const }))]);
  const lines = all.map((m) => {
    const p = probes.find((x) => x.id === m.id);
    const where = ctx.desired.find((d) => d.serverId === m.id)?.host ?? change.former.find((f) => f.serverId === m.id)?.host ?? '?';
    return `  server.${m.id} on ${where}: ${p?.mode ?? (p ? `not serving${p.error ? ` (${p.error})` : ''}` : 'not probed')}`;
  });
  return new OperationalError(`membership change of ${ctx.ensemble} stopped: ${why}\n${lines.join('\n')}`);
}
