// The one rollout loop, for every target through a Driver: lock, observe, probe modes,
// preflight, plan (src/rollout, pure), then prepare, create or start what is not serving, replace
// running changed servers one at a time (re-observing before every step), finish, verify,
// release the lock. Also destroy and status. Nothing here knows how a target runs a container.
import { sleep } from '../common/sleep.js';
import { OperationalError } from '../common/problems.js';
import { majorityOf } from '../plan/quorum.js';
import { mapLimit } from '../remote/concurrency.js';
import { allActions, nextStep, planRollout, type RolloutInput, type RolloutPlan, type ServerAction } from '../rollout/rollout.js';
import { judgeEnsemble, leaderOf, probeEnsemble, probeServer, waitForEnsemble, type EnsembleHealth, type EnsembleProbe, type ServerProbe, type WaitOptions } from '../verify/ensemble.js';
import { openSessionsAhead } from '../verify/znode.js';
import type { Member } from '../verify/types.js';
import { describeHealth, indent } from './describe.js';
import { asideSuffix } from '../rollout/aside.js';
import { describeMembership, sameMembership } from '../rollout/membership.js';
import { changeMembership, describeChange, readMembership, type MembershipSupport } from './membership.js';
import { changeByReconfig, movedUnderReconfig } from './reconfig.js';
import type { DesiredServer, Driver, HostChecks, ObservedServer, Progress } from './driver.js';
import { REAL_TIMING, type Timing } from './timing.js';
import { tracePhase } from '../remote/trace.js';

export { REAL_TIMING, type Timing };


export interface EngineContext<Extra extends object = object> {
  ensemble: string;
  desired: readonly DesiredServer[];
  driver: Driver<Extra>;
  progress: Progress;
  timing?: Partial<Timing>;
  /** the znode write/read-back of verification (tests replace the real ZooKeeper client) */
  znodeCheck?: WaitOptions['znodeCheck'];
  /** Set where the target can change a running membership one server at a time (src/engine/membership.ts). */
  membership?: MembershipSupport;
}

export interface ApplyOptions {
  dryRun: boolean;
  timeoutMs: number;
  concurrency: number;
  forceUnlock: boolean;
  command: string;
}

export type ApplyReport<Extra extends object = object> = {
  ensemble: string;
  dryRun: boolean;
  preflight: HostChecks[];
  rollout: RolloutPlan;
  /** the membership change, one line per step, when the running membership is not the planned one */
  membership?: string[];
  health?: EnsembleHealth;
  elapsedMs: number;
  ok: boolean;
} & Partial<Extra>;

/** What the rollout decisions need of a desired server. */
export function rolloutInput(d: DesiredServer): RolloutInput {
  return { serverId: d.serverId, role: d.role, host: d.host, name: d.name, configHash: d.configHash, image: d.spec.image, env: d.spec.env, ...(d.certificate !== undefined ? { certificate: d.certificate } : {}) };
}

export async function apply<Extra extends object>(ctx: EngineContext<Extra>, opts: ApplyOptions): Promise<ApplyReport<Extra>> {
  const started = Date.now();
  const { ensemble, desired, driver, progress } = ctx;
  const timing = { ...REAL_TIMING, ...ctx.timing };
  const lock = await driver.lock(desired, opts);
  // Used when nothing is to change (the proof then follows at once), closed otherwise.
  const ahead = ctx.znodeCheck ? undefined : openSessionsAhead();
  try {
    // Servers the plan no longer has are looked for while the planned ones are observed.
    const former = driver.formerServers?.(desired);
    former?.catch(() => undefined);
    const first = await observeAndProbe(ctx, timing, ahead);
    let observed = first.observed;
    // The first probe stands for the ensemble as found until something is changed or looked at again.
    let asFound: EnsembleProbe | undefined = first.probe;
    const foreign = desired.filter((d) => observed.get(d.serverId)?.foreign);
    if (foreign.length > 0) {
      throw new OperationalError(
        `${foreign.map((d) => `${d.host}: ${d.name}`).join(', ')} exist${foreign.length > 1 ? '' : 's'} but ${foreign.length > 1 ? 'were' : 'was'} not made by zkplan for ensemble ${ensemble}: remove or rename ${foreign.length > 1 ? 'them' : 'it'}, or set service_prefix; nothing was changed`,
      );
    }
    const hosts = [...new Set(desired.map((d) => d.host))];
    // Read on every target: one that cannot change a running membership must refuse to, not roll
    // joiners in together with the final membership (they could form a majority of their own).
    const reading = tracePhase('membership');
    const running = await readMembership({ ensemble, desired, driver, progress, timing, ...(ctx.znodeCheck ? { znodeCheck: ctx.znodeCheck } : {}) }, observed, { moves: Boolean(ctx.membership), probed: first.probe.servers, former });
    reading.end(running.change ? 'changes' : 'as planned');
    const change = running.change;
    if (change && !ctx.membership) {
      throw new OperationalError(
        `refusing to apply ${ensemble}: membership ${describeMembership(change.running)} runs, the plan has ${describeMembership(change.planned)}, and target ${driver.target} cannot change a running membership one server at a time yet; nothing was changed`,
      );
    }
    const method = ctx.membership?.reconfig ? 'reconfig' : 'static';
    if (method === 'reconfig' && running?.moved.length) throw new OperationalError(movedUnderReconfig(ensemble, running.moved));
    const membership = change ? describeChange(ensemble, change, method) : undefined;
    for (const line of membership ?? []) progress.note(line);
    const refusal = change ? (change.plan.refusal ?? ctx.membership?.refusal?.(change.plan.steps)) : undefined;
    if (refusal) throw new OperationalError(`refusing to apply ${ensemble}: ${refusal}; nothing was changed`);
    if (change) ahead?.close();
    // Ports, images, directories and clocks matter only to what is about to be made.
    let preflight = change ? await runPreflight(ctx, observed, hosts, opts.dryRun) : undefined;
    if (change && !opts.dryRun) {
      // One server at a time; afterwards every planned server runs its planned configuration,
      // and the rollout below finds nothing left to change (or only what else changed).
      const changeBy = method === 'reconfig' ? changeByReconfig : changeMembership;
      await changeBy({ ensemble, desired, driver, progress, timing, support: ctx.membership!, timeoutMs: opts.timeoutMs, ...(ctx.znodeCheck ? { znodeCheck: ctx.znodeCheck } : {}) }, change);
      observed = await observeWithModes(ctx, timing);
      asFound = undefined;
    }

    let rollout = planRollout(desired.map(rolloutInput), observed);
    if (rollout.refusal && startingServers(desired, observed).length > 0) {
      observed = await waitForStarting(ctx, timing, observed, started + opts.timeoutMs);
      asFound = undefined;
      rollout = planRollout(desired.map(rolloutInput), observed);
    }
    if (allActions(rollout).some((a) => a.kind !== 'unchanged')) ahead?.close();
    preflight ??= rollout.parallel.length + rollout.rolling.length > 0 ? await runPreflight(ctx, observed, hosts, opts.dryRun) : [];

    for (const a of allActions(rollout)) progress.step(a.host, 'plan', 'info', `${a.name}: ${a.kind} (${a.reason})`);
    progress.note(`${ensemble}: ${rollout.counts.create} to create, ${rollout.counts.change} to change, ${rollout.counts.unchanged} unchanged`);
    if (rollout.refusal) throw new OperationalError(`refusing to apply ${ensemble}: ${rollout.refusal}; nothing was changed`);
    const report = { ensemble, dryRun: opts.dryRun, preflight, rollout, ...(membership ? { membership } : {}), elapsedMs: 0, ok: true } as ApplyReport<Extra>;
    if (opts.dryRun) return { ...report, elapsedMs: Date.now() - started };

    // A server that keeps its id on a new host starts there on nothing an earlier life left.
    for (const m of running?.moved ?? []) {
      if (observed.get(m.serverId)?.exists) continue;
      for (const where of (await driver.setAsideData?.(m.serverId, m.host, asideSuffix(ctx.membership!.now(), m.serverId, 'stale'))) ?? []) {
        progress.step(m.host, 'data', 'info', `leftover data of server.${m.serverId} moved aside to ${where}`);
      }
    }
    const changing = [...rollout.parallel, ...rollout.rolling, ...rollout.reload];
    const roll: Roll<Extra> = { ...ctx, timing, deadline: started + opts.timeoutMs, current: observed, done: new Set(), pending: [...rollout.rolling] };
    if (rollout.parallel.length > 0) {
      await driver.prepare(servers(desired, rollout.parallel), desired);
      await mapLimit(rollout.parallel, opts.concurrency, (a) => execute(roll, a));
      for (const a of rollout.parallel) roll.done.add(a.serverId);
      // With rolling steps to come, the ensemble is whole only after them: they wait for a
      // majority serving, not for the whole ensemble.
      if (rollout.rolling.length === 0) await settle(roll, rollout.parallel, observed, { atDeadline: 'return' });
    }
    await rollOneByOne(roll);
    await reloadCertificates(roll, rollout.reload);
    // A driver that does not say finish() changed nothing is taken to have changed something.
    const finishChanged = driver.finish ? (await driver.finish(desired)) !== false : false;

    for (const h of hosts) progress.step(h, 'verify', 'start', 'one leader, followers synced, znode read back');
    // The proof the last step's wait just gave stands, unless finish() changed something since.
    let health = finishChanged ? undefined : roll.proven;
    if (!health) {
      // Nothing changed since the first probe: it is the first round of the proof (the znode
      // round trip still runs), and what was observed then is what runs.
      const untouched = changing.length === 0 && !finishChanged ? asFound : undefined;
      if (!untouched) roll.current = await driver.observe(desired);
      health = await verify(roll, remaining(roll), untouched, untouched && ahead?.sessions);
    }
    for (const d of desired) {
      const seen = health.servers.find((x) => x.id === d.serverId);
      progress.step(d.host, 'verify', health.ok ? 'ok' : 'fail', `${d.name}: ${seen?.mode ?? 'not serving'}`);
    }
    progress.note(
      health.ok
        ? `${ensemble}: verified in ${(health.elapsedMs / 1000).toFixed(1)} s: one leader, followers synced, znode ${health.znode?.path ?? ''} read back through every server`
        : `${ensemble}: NOT verified within the timeout\n${describeHealth(health)}`,
    );
    const extra = await reportOf(roll, health, changing.length > 0);
    return { ...report, ...extra, health, ok: health.ok, elapsedMs: Date.now() - started };
  } finally {
    ahead?.close();
    const releasing = tracePhase('unlock');
    await lock.release();
    releasing.end();
  }
}

/** Servers whose container runs but that do not serve yet: a JVM starting (a just-replaced server). */
function startingServers(desired: readonly DesiredServer[], observed: ReadonlyMap<number, ObservedServer>): DesiredServer[] {
  return desired.filter((d) => {
    const o = observed.get(d.serverId);
    return o?.running === true && o.status !== 'restarting' && o.mode === undefined;
  });
}

/**
 * Before the quorum budget refuses a roll because a server does not serve, wait while that
 * server's container runs and may still be starting: an apply interrupted right after it
 * replaced a server, and the next apply, come seconds apart, and the new server's JVM needs them.
 * Ends when none is starting any more or at the apply's deadline; the budget then decides.
 */
async function waitForStarting(ctx: EngineContext<object>, timing: Timing, observed: Map<number, ObservedServer>, deadline: number): Promise<Map<number, ObservedServer>> {
  const names = startingServers(ctx.desired, observed).map((d) => d.name).join(', ');
  ctx.progress.note(`${ctx.ensemble}: waiting for ${names} to serve (running, not serving yet) before deciding what the quorum allows`);
  let now = observed;
  while (startingServers(ctx.desired, now).length > 0 && Date.now() < deadline) {
    await sleep(Math.max(timing.pollMs, 200));
    now = await observeWithModes(ctx, timing);
  }
  return now;
}

/** Everything checked before anything changes anywhere; any failure stops the apply. */
async function runPreflight(ctx: EngineContext<object>, observed: ReadonlyMap<number, ObservedServer>, hosts: readonly string[], dryRun: boolean): Promise<HostChecks[]> {
  const { driver, desired, progress } = ctx;
  for (const h of hosts) progress.step(h, 'preflight', 'start');
  const preflight = await driver.preflight(desired, observed, { dryRun });
  for (const p of preflight) progress.step(p.host, 'preflight', p.ok ? 'ok' : 'fail', p.checks.map((c) => (c.ok ? c.detail : `FAILED ${c.detail}`)).join('; '));
  const failed = preflight.filter((p) => !p.ok);
  if (failed.length > 0) {
    const lines = failed.flatMap((p) => p.checks.filter((c) => !c.ok).map((c) => `${p.host}: ${c.name}: ${c.detail}`));
    throw new OperationalError(`preflight failed; nothing was changed on any host\n  ${lines.join('\n  ')}`);
  }
  return preflight;
}

interface Roll<Extra extends object> extends EngineContext<Extra> {
  timing: Timing;
  deadline: number;
  /** what the last observation found; members (where verify reaches a server) follow it */
  current: ReadonlyMap<number, ObservedServer>;
  /** servers this apply has created, started or replaced */
  done: Set<number>;
  /** rolling steps not taken yet */
  pending: ServerAction[];
  /** the whole ensemble as verified after the last change, if nothing changed since */
  proven?: EnsembleHealth;
  /** the driver's report, asked for while the last proof ran (see reportOf) */
  reportAhead?: { leader: number | undefined; extra: Promise<object | undefined> };
}

function servers(desired: readonly DesiredServer[], actions: readonly ServerAction[]): DesiredServer[] {
  return actions.map((a) => desired.find((d) => d.serverId === a.serverId)!);
}

// At least a second: a verification that starts just before the deadline still gets to look.
const remaining = (roll: Roll<object>) => Math.max(1000, roll.deadline - Date.now());

function verify(roll: Roll<object>, timeoutMs: number, firstProbe?: EnsembleProbe, znodeSessions?: WaitOptions['znodeSessions']): Promise<EnsembleHealth> {
  const { pollMs, requestTimeoutMs } = roll.timing;
  return waitForEnsemble(roll.driver.members(roll.desired, roll.current), roll.driver.dial, {
    timeoutMs,
    pollMs,
    requestTimeoutMs,
    ...(firstProbe ? { firstProbe } : {}),
    ...(znodeSessions ? { znodeSessions } : {}),
    ...(roll.znodeCheck ? { znodeCheck: roll.znodeCheck } : {}),
    // After the last change (something was done, nothing is pending), a report that depends only on the leader is asked for with the proof.
    ...(roll.done.size > 0 && roll.pending.length === 0 && roll.driver.report && roll.driver.reportFromLeader ? { beforeProof: (probe: EnsembleProbe) => askReportAhead(roll, probe) } : {}),
  });
}

/** The report of a driver whose report depends only on the leader (reportFromLeader): ready when the proof is. */
function askReportAhead(roll: Roll<object>, probe: EnsembleProbe): void {
  const leader = leaderOf(probe.servers);
  if (roll.reportAhead?.leader === leader) return;
  const health: EnsembleHealth = { ok: true, servers: probe.servers, problems: [], warnings: [], znode: null, elapsedMs: 0 };
  const extra = roll.driver.report!(health, true);
  extra.catch(() => undefined);
  roll.reportAhead = { leader, extra };
}

/** The report asked for ahead when the proof passed with the same leader; otherwise asked now. */
async function reportOf(roll: Roll<object>, health: EnsembleHealth, changed: boolean): Promise<object | undefined> {
  const ahead = roll.reportAhead;
  if (ahead && changed && health.ok && ahead.leader === leaderOf(health.servers)) return ahead.extra;
  return roll.driver.report?.(health, changed);
}

/** What runs now, with the mode (`srvr`) of each running server: the one place modes are probed. */
async function observeWithModes(ctx: EngineContext<object>, timing: Timing): Promise<Map<number, ObservedServer>> {
  const observed = await ctx.driver.observe(ctx.desired);
  const members = ctx.driver.members(ctx.desired, observed);
  await Promise.all(
    members
      .filter((m) => observed.get(m.id)?.running)
      .map(async (m) => setMode(observed, await probeServer(m, ctx.driver.dial, timing.probeTimeoutMs))),
  );
  return observed;
}

/**
 * The start of an apply: what runs, each running server probed once (`srvr`, `conf`) and a single
 * leader's `mntr`, which is all that reading the membership and a first verification round need.
 * Where the members are known before observing (membersFixed), the probes go out with it.
 */
async function observeAndProbe(ctx: EngineContext<object>, timing: Timing, ahead?: ReturnType<typeof openSessionsAhead>): Promise<{ observed: Map<number, ObservedServer>; probe: EnsembleProbe }> {
  const { driver, desired } = ctx;
  let observed: Map<number, ObservedServer>;
  let probe: EnsembleProbe;
  if (driver.membersFixed) {
    // A serving server gets its ZooKeeper session for the znode proof while the rest is looked at.
    const serving = (p: ServerProbe) => p.mode && ahead?.open(p, driver.dial, timing.requestTimeoutMs);
    const early = driver.members(desired, new Map());
    [observed, probe] = await Promise.all([driver.observe(desired), probeEnsemble(early, driver.dial, timing.probeTimeoutMs, { probed: serving, mntrOfEach: true })]);
    // A server that answers where no container of it runs is not this ensemble's.
    probe = { ...probe, servers: probe.servers.filter((p) => observed.get(p.id)?.running) };
    // Containers created with another client port (a change of it rolls out): probed where they listen.
    const members = driver.members(desired, observed);
    if (!sameEndpoints(members, early)) {
      ahead?.close();
      probe = await probeEnsemble(members.filter((m) => observed.get(m.id)?.running), driver.dial, timing.probeTimeoutMs, { mntrOfEach: true });
    }
  } else {
    observed = await driver.observe(desired);
    probe = await probeEnsemble(driver.members(desired, observed).filter((m) => observed.get(m.id)?.running), driver.dial, timing.probeTimeoutMs, { mntrOfEach: true });
  }
  for (const p of probe.servers) setMode(observed, p);
  return { observed, probe };
}

/** The same server at the same address and port in both lists (members() of one plan, in its order). */
function sameEndpoints(a: readonly Member[], b: readonly Member[]): boolean {
  return a.every((m, i) => m.port === b[i]!.port && m.address === b[i]!.address);
}

function setMode(observed: Map<number, ObservedServer>, probe: { id: number; mode: ObservedServer['mode'] | null }): void {
  const o = observed.get(probe.id)!;
  if (probe.mode) o.mode = probe.mode;
  else delete o.mode;
}

/**
 * Replaces running servers one at a time. What runs is looked at again before every step, so
 * the order (a server changing host first, then not serving, the leader last) follows the
 * ensemble as it is now: a leader that crashed or was re-elected during the rollout is not
 * mistaken for a follower. After each step the ensemble must be whole again, except for pending
 * servers that went down meanwhile: those are replaced next, since that costs the quorum nothing.
 */
async function rollOneByOne(roll: Roll<object>): Promise<void> {
  const { desired, progress, ensemble } = roll;
  const voters = desired.filter((d) => d.role === 'participant');
  const majority = majorityOf(voters.length);
  const inputs = desired.map(rolloutInput);
  while (roll.pending.length > 0) {
    const now = await observeWithModes(roll, roll.timing);
    roll.current = now;
    const step = nextStep(roll.pending, inputs, now)!;
    const serving = voters.filter((v) => now.get(v.serverId)?.mode !== undefined);
    if (serving.some((v) => v.serverId === step.serverId) && serving.length - 1 < majority) {
      // A server went down since the last verification: replacing a serving one now would
      // break the quorum. Wait for the ensemble to be whole again, within the timeout.
      if (Date.now() >= roll.deadline) throw await stopped(roll, `replacing ${step.name} would leave ${serving.length - 1} of ${voters.length} voters serving`, undefined, now);
      progress.note(`${ensemble}: only ${serving.length} of ${voters.length} voters serving; waiting before replacing ${step.name}`);
      const health = await verify(roll, Math.min(roll.timing.settleRoundMs, remaining(roll)));
      if (!health.ok && Date.now() >= roll.deadline) throw await stopped(roll, `the ensemble did not become whole before replacing ${step.name}`, health);
      continue;
    }
    roll.pending.splice(roll.pending.indexOf(step), 1);
    await roll.driver.prepare(servers(desired, [step]), desired);
    await execute(roll, step, now);
    roll.done.add(step.serverId);
    progress.step(step.host, 'verify', 'start', `waiting for the ensemble to be whole again after replacing ${step.name}`);
    await settle(roll, [step], now, { atDeadline: 'stop' });
  }
}

/** ZooKeeper reloads within a second of the files changing; one that has not after this will not. */
const RELOAD_WAIT_MS = 30_000;

/**
 * Renewed certificates of servers that reload them: one server at a time, each presenting its
 * new certificate before the next gets its own. Nothing restarts, so the ensemble stays whole;
 * the final verification proves it.
 */
async function reloadCertificates(roll: Roll<object>, reloads: readonly ServerAction[]): Promise<void> {
  const { driver, desired, progress } = roll;
  for (const a of reloads) {
    const d = desired.find((x) => x.serverId === a.serverId)!;
    if (!driver.reloadCertificate) throw new Error(`internal error: target ${driver.target} cannot reload ${d.name}'s certificate`);
    progress.step(a.host, 'reload', 'start', `${d.name}: new certificate`);
    const started = Date.now();
    try {
      await driver.reloadCertificate(d, Math.min(RELOAD_WAIT_MS, remaining(roll)));
    } catch (e) {
      progress.step(a.host, 'reload', 'fail', `${d.name}: ${(e as Error).message}`);
      throw new OperationalError(`${a.host}: reload ${d.name} failed: ${(e as Error).message}`);
    }
    roll.done.add(a.serverId);
    roll.proven = undefined;
    progress.step(a.host, 'reload', 'ok', `${d.name} presents its new certificate after ${((Date.now() - started) / 1000).toFixed(1)} s, without a restart`);
  }
}

/**
 * Waits for the ensemble to be whole after servers were (re)made; stops at once when one of
 * them does not stay up. A pending server that went down meanwhile ends the wait: it goes next.
 * At the deadline a rolling step stops the rollout; the parallel batch leaves the verdict to
 * the final verification.
 */
async function settle(roll: Roll<object>, changed: readonly ServerAction[], before: ReadonlyMap<number, ObservedServer>, opts: { atDeadline: 'stop' | 'return' }): Promise<void> {
  roll.current = await roll.driver.observe(roll.desired);
  for (;;) {
    const health = await verify(roll, Math.min(roll.timing.settleRoundMs, remaining(roll)));
    const names = changed.map((a) => a.name).join(', ');
    if (health.ok) {
      roll.proven = health;
      for (const a of changed) roll.progress.step(a.host, 'verify', 'ok', `ensemble whole again after ${a.kind === 'change' ? 'replacing' : a.kind === 'create' ? 'creating' : 'starting'} ${a.name}`);
      return;
    }
    // What the next round verifies too: between rounds only the containers are looked at
    // (a server that does not stay up ends the wait), the servers are probed by the round.
    const now = await roll.driver.observe(roll.desired);
    roll.current = now;
    for (const a of changed) {
      const mine = now.get(a.serverId);
      // A started container keeps its restart count; a new one starts from zero.
      const baseline = a.kind === 'start' ? (before.get(a.serverId)?.restartCount ?? 0) : 0;
      if (!mine?.running || (mine.restartCount ?? 0) > baseline || mine.status === 'restarting') {
        const d = roll.desired.find((x) => x.serverId === a.serverId)!;
        const logs = await roll.driver.logsTail(d, 10).catch(() => '');
        const tail = logs.trim() ? `\n  last log lines of ${a.name}:\n${indent(logs)}` : '';
        roll.progress.step(a.host, 'verify', 'fail', `${a.name} does not stay up: ${containerState(mine)}`);
        throw await stopped(roll, `the new ${a.name} on ${a.host} does not stay up (${containerState(mine)})${tail}`, health, now);
      }
    }
    const down = roll.pending.filter((p) => !now.get(p.serverId)?.running || now.get(p.serverId)?.status === 'restarting');
    if (down.length > 0) {
      const last = changed[changed.length - 1]!;
      roll.progress.step(last.host, 'verify', 'info', `${down.map((d) => d.name).join(', ')} went down while ${names} ${changed.length > 1 ? 'were' : 'was'} made; replacing ${down.length > 1 ? 'them' : 'it'} next`);
      return;
    }
    if (Date.now() >= roll.deadline) {
      if (opts.atDeadline === 'return') return;
      roll.progress.step(changed[0]!.host, 'verify', 'fail', health.problems.join('; '));
      throw await stopped(roll, 'the ensemble is not whole', health, now);
    }
  }
}

/** The error that stops a rollout: why, and the state of every server. */
async function stopped(roll: Roll<object>, why: string, health?: EnsembleHealth, seen?: ReadonlyMap<number, ObservedServer>): Promise<OperationalError> {
  const now = seen ?? (await observeWithModes(roll, roll.timing).catch(() => new Map<number, ObservedServer>()));
  const waiting = new Set(roll.pending.map((p) => p.serverId));
  const lines = roll.desired.map((d) => {
    const o = now.get(d.serverId);
    const probe = health?.servers.find((s) => s.id === d.serverId);
    const mode = o?.mode ?? probe?.mode ?? 'not serving';
    const where = roll.done.has(d.serverId) ? 'replaced' : waiting.has(d.serverId) ? 'not replaced (stopped before it)' : 'unchanged';
    return `  server ${d.serverId} ${d.name} on ${d.host}: container ${containerState(o)}, ${mode}, ${where}`;
  });
  const problems = health ? health.problems.map((p) => `  problem: ${p}`) : [];
  return new OperationalError(`rollout of ${roll.ensemble} stopped: ${why}\n${[...lines, ...problems].join('\n')}`);
}

export function containerState(o: ObservedServer | undefined): string {
  if (!o?.exists) return 'missing';
  const status = o.status ?? (o.running ? 'running' : 'stopped');
  const exit = !o.running || status === 'restarting' ? `, last exit code ${o.exitCode ?? '?'}` : '';
  const restarts = o.restartCount ? `, restarted ${o.restartCount} time${o.restartCount > 1 ? 's' : ''}` : '';
  return `${status}${exit}${restarts}`;
}

async function execute(roll: Roll<object>, a: ServerAction, observed?: ReadonlyMap<number, ObservedServer>): Promise<void> {
  const d = roll.desired.find((x) => x.serverId === a.serverId)!;
  const { driver, progress } = roll;
  delete roll.proven;
  progress.step(a.host, a.kind, 'start', d.name);
  try {
    if (a.kind === 'start') await driver.start(d);
    else if (a.kind === 'create') await driver.create(d);
    else await driver.replace(d, (observed ?? roll.current).get(d.serverId) ?? { exists: false, running: false });
    progress.step(a.host, a.kind, 'ok', d.name);
  } catch (e) {
    const logs = await driver.logsTail(d, 10).catch(() => '');
    progress.step(a.host, a.kind, 'fail', `${d.name}: ${(e as Error).message}`);
    throw new OperationalError(`${a.host}: ${a.kind} ${d.name} failed: ${(e as Error).message}${logs.trim() ? `\n  last log lines:\n${indent(logs)}` : ''}`);
  }
}

export interface DestroyOptions {
  purgeData: boolean;
  forceUnlock: boolean;
  command: string;
}

/** Removes every server, not serving first, followers next, the leader last; returns `host/name` of each removed. */
export async function destroy(ctx: EngineContext<object>, opts: DestroyOptions): Promise<string[]> {
  const { desired, driver, progress } = ctx;
  const timing = { ...REAL_TIMING, ...ctx.timing };
  const lock = await driver.lock(desired, { dryRun: false, forceUnlock: opts.forceUnlock, command: opts.command });
  try {
    const observed = await observeWithModes(ctx, timing);
    const rank = (id: number) => {
      const mode = observed.get(id)?.mode;
      return mode === 'leader' ? 2 : mode === undefined ? 0 : 1;
    };
    const order = [...desired].sort((a, b) => rank(a.serverId) - rank(b.serverId) || a.serverId - b.serverId);
    const removed: string[] = [];
    for (const d of order) {
      // Only what exists is reported as removed: a second destroy removes nothing.
      if (!observed.get(d.serverId)?.exists) {
        progress.step(d.host, 'remove', 'skip', `${d.name}: no container`);
        continue;
      }
      progress.step(d.host, 'remove', 'start', d.name);
      await driver.remove(d);
      progress.step(d.host, 'remove', 'ok', d.name);
      removed.push(`${d.host}/${d.name}`);
    }
    await driver.teardown?.(desired, { purgeData: opts.purgeData });
    return removed;
  } finally {
    await lock.release();
  }
}

export interface ServerStatus {
  id: number;
  role: string;
  host: string;
  name: string;
  container: string;
  mode: string | null;
  zxid: string | null;
  latencyAvg: number | null;
  connections: number | null;
  drift: string[];
}

export interface EnsembleStatus {
  ensemble: string;
  ok: boolean;
  servers: ServerStatus[];
  unexpected: string[];
  problems: string[];
}

/** Per server: container, mode, zxid, latency, connections and drift from the plan. Whole and as planned → ok. */
export async function status(ctx: EngineContext<object>, timeoutMs: number): Promise<EnsembleStatus> {
  const { desired, driver } = ctx;
  // Where the members are known before observing, the servers are probed at the same time.
  const early = driver.membersFixed ? driver.members(desired, new Map()) : undefined;
  const probing = early ? probeEnsemble(early, driver.dial, timeoutMs, { mntrOfEach: true }) : undefined;
  probing?.catch(() => undefined);
  const [observed, unexpected] = await Promise.all([driver.observe(desired), driver.unexpected(desired)]);
  const members = driver.members(desired, observed);
  // A container created with another client port is probed where it listens.
  const probe = await (probing && sameEndpoints(members, early!) ? probing : probeEnsemble(members, driver.dial, timeoutMs, { mntrOfEach: true }));
  const verdict = judgeEnsemble(members, probe);
  const servers: ServerStatus[] = desired.map((d) => {
    const o = observed.get(d.serverId) ?? { exists: false, running: false };
    const p = probe.servers.find((s) => s.id === d.serverId);
    return {
      id: d.serverId,
      role: d.role,
      host: d.host,
      name: d.name,
      container: o.exists ? (o.status ?? (o.running ? 'running' : 'stopped')) : 'missing',
      mode: p?.mode ?? null,
      zxid: p?.zxid != null ? `0x${p.zxid.toString(16)}` : null,
      latencyAvg: p?.latencyAvg ?? null,
      connections: p?.connections ?? null,
      drift: [...drift(d, o), ...membershipDrift(p?.membership, desired)],
    };
  });
  const problems = [...verdict.issues.map((i) => i.message), ...unexpected.map((u) => `unexpected container ${u} carries this ensemble's label`)];
  const ok = verdict.ok && servers.every((s) => s.drift.length === 0) && unexpected.length === 0;
  return { ensemble: ctx.ensemble, ok, servers, unexpected, problems };
}

/** A server whose `conf` lists another membership than the plan's (3.4 lists none: nothing to compare). */
function membershipDrift(seen: readonly { id: number; role: 'participant' | 'observer' }[] | undefined, desired: readonly DesiredServer[]): string[] {
  const planned = desired.map((d) => ({ id: d.serverId, role: d.role }));
  if (!seen || seen.length === 0 || sameMembership(seen, planned)) return [];
  return [`membership ${describeMembership(seen)}, planned ${describeMembership(planned)}`];
}

/** How what runs differs from the plan; empty when it matches. */
export function drift(d: DesiredServer, o: ObservedServer): string[] {
  const found: string[] = [];
  if (!o.exists) return ['container missing'];
  if (o.foreign) found.push('not made by zkplan for this server');
  if (!o.running) found.push(`container ${o.status ?? 'not running'}`);
  if (o.configHash !== d.configHash) found.push(`configuration differs from the plan (${o.configHash ?? 'no hash'} ≠ ${d.configHash})`);
  if (o.running && o.runningOn !== undefined && o.runningOn !== d.host) found.push(`runs on ${o.runningOn}, planned on ${d.host}`);
  return found;
}
