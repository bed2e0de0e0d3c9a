// zkplan apply for host-network ensembles: connect, lock, inspect, preflight, plan the
// rollout, push, run, verify. Nothing changes on any host until every preflight passed and
// the rollout keeps a majority of voters running at every step.
import { OperationalError } from '../common/problems.js';
import type { Inventory } from '../inventory/types.js';
import type { EnsemblePlan } from '../plan/types.js';
import { containerLogsTail, recreateContainer, startContainer } from '../remote/commands/docker.js';
import { tcpReachable } from '../remote/commands/host.js';
import { mapLimit } from '../remote/concurrency.js';
import { allOf, runBatch, type BatchCommand } from '../remote/batch.js';
import { traced, tracePhase } from '../remote/trace.js';
import { checkResult, type HostSession, type RunResult } from '../remote/session.js';
import { desiredContainers, type DesiredContainer } from '../rollout/desired.js';
import { hostRecord } from '../rollout/record.js';
import { majorityOf } from '../plan/quorum.js';
import { nextStep, planRollout, type ObservedContainer, type RolloutPlan, type ServerAction } from '../rollout/rollout.js';
import type { Dial } from '../verify/dial.js';
import { waitForEnsemble, type EnsembleHealth } from '../verify/ensemble.js';
import { inspectCommand, observedFrom, probeModes } from './inspect.js';
import { lockAndRun } from './lock.js';
import { judgePreflight, preflightCommands, type HostPreflight } from './preflight.js';
import type { Progress } from './progress.js';
import { tunnelDial, verifyMembers, type Sessions } from './sessions.js';

export interface ApplyOptions {
  dryRun: boolean;
  timeoutMs: number;
  concurrency: number;
  forceUnlock: boolean;
  command: string;
}

export interface ReachabilityRow {
  from: string;
  to: string;
  port: number;
  ok: boolean;
}

export interface EnsembleApplyReport {
  ensemble: string;
  dryRun: boolean;
  preflight: HostPreflight[];
  rollout: RolloutPlan;
  health?: EnsembleHealth;
  reachability?: ReachabilityRow[];
  elapsedMs: number;
  ok: boolean;
}

const PROBE_TIMEOUT_MS = 2000;
// While polling, a server that is still starting may accept and then not answer: give up on it
// soon and ask again at the next poll, rather than stall the whole round.
const POLL_REQUEST_TIMEOUT_MS = 1000;

export async function applyEnsemble(
  inventory: Inventory,
  ensemble: EnsemblePlan,
  sessions: Sessions,
  progress: Progress,
  opts: ApplyOptions,
): Promise<EnsembleApplyReport> {
  const started = Date.now();
  const stateDirOf = (host: string) => sessions.get(host)!.host.stateDir;
  const desired = desiredContainers(ensemble, stateDirOf);
  const dial = tunnelDial(sessions);
  // One exec per host, all hosts at once: lock, inspect and every preflight probe.
  const hosts = [...new Set(desired.map((d) => d.host))];
  const mine = (h: string) => desired.filter((d) => d.host === h);
  for (const h of hosts) progress.step(h, 'preflight', 'start');
  const phaseA = tracePhase('lock+inspect+preflight');
  const { lock, byHost, run: runOn } = await lockAndRun(sessions, ensemble.name, { command: opts.command, forceUnlock: opts.forceUnlock, lock: !opts.dryRun }, (h) =>
    hosts.includes(h) ? [inspectCommand(mine(h)), ...preflightCommands(ensemble, mine(h))] : [],
  );
  phaseA.end();
  try {
    // Docker unreachable: preflight says so below; there is nothing to observe on that host.
    const observed = observedFrom(desired, (h) => {
      const r = byHost.get(h)!.results;
      return r.get('docker')?.code === 0 ? r.get('inspect') : { code: 0, stdout: '[]', stderr: '' };
    });
    await traced('probe modes', () => probeModes(ensemble, observed, dial, PROBE_TIMEOUT_MS));

    const preflight = await mapLimit(hosts, opts.concurrency, async (h) => {
      const result = await judgePreflight(sessions.get(h)!, ensemble, mine(h), observed, byHost.get(h)!, { pull: !opts.dryRun });
      progress.step(h, 'preflight', result.ok ? 'ok' : 'fail', result.checks.map((c) => (c.ok ? c.detail : `FAILED ${c.detail}`)).join('; '));
      return result;
    });
    const failed = preflight.filter((p) => !p.ok);
    if (failed.length > 0) {
      const lines = failed.flatMap((p) => p.checks.filter((c) => !c.ok).map((c) => `${p.host}: ${c.name}: ${c.detail}`));
      throw new OperationalError(`preflight failed; nothing was changed on any host\n  ${lines.join('\n  ')}`);
    }

    const rollout = planRollout(desired, observed);
    for (const a of [...rollout.parallel, ...rollout.rolling, ...rollout.unchanged]) progress.step(a.host, 'plan', 'info', `${a.name}: ${a.kind} (${a.reason})`);
    progress.note(`${ensemble.name}: ${rollout.counts.create} to create, ${rollout.counts.change} to change, ${rollout.counts.unchanged} unchanged`);
    if (rollout.refusal) throw new OperationalError(`refusing to apply ${ensemble.name}: ${rollout.refusal}; nothing was changed`);
    const report: EnsembleApplyReport = { ensemble: ensemble.name, dryRun: opts.dryRun, preflight, rollout, elapsedMs: 0, ok: true };
    if (opts.dryRun) return { ...report, elapsedMs: Date.now() - started };

    const changing = [...rollout.parallel, ...rollout.rolling];
    const members = verifyMembers(ensemble);
    const verify = (timeoutMs: number) => waitForEnsemble(members, dial, { timeoutMs, pollMs: 100, requestTimeoutMs: POLL_REQUEST_TIMEOUT_MS });
    const deadline = started + opts.timeoutMs;
    const remaining = () => Math.max(1000, deadline - Date.now());

    const push = (actions: readonly ServerAction[]) => pushRecords(ensemble, desired, actions, sessions, stateDirOf, opts.concurrency);
    await traced('push', () => push(rollout.parallel));
    await traced('run (parallel)', () => mapLimit(rollout.parallel, opts.concurrency, (a) => execute(a, desired, runOn, progress)));
    await traced('rolling steps', () => rollOneByOne({ ensemble, desired, sessions, runOn, dial, progress, verify, remaining, deadline, push }, rollout.rolling));

    for (const h of hosts) progress.step(h, 'verify', 'start', 'one leader, followers synced, znode read back');
    const health = await traced('verify', () => verify(remaining()));
    for (const s of ensemble.servers) {
      const seen = health.servers.find((x) => x.id === s.id);
      progress.step(s.host.name, 'verify', health.ok ? 'ok' : 'fail', `${s.name}: ${seen?.mode ?? 'not serving'}`);
    }
    report.health = health;
    if (changing.length > 0 || !health.ok) report.reachability = await traced('reachability', () => reachabilityMatrix(ensemble, sessions, health));
    report.ok = health.ok;
    report.elapsedMs = Date.now() - started;
    progress.note(
      health.ok
        ? `${ensemble.name}: verified in ${(health.elapsedMs / 1000).toFixed(1)} s: one leader, followers synced, znode ${health.znode?.path ?? ''} read back through every server`
        : `${ensemble.name}: NOT verified within the timeout\n${describeHealth(health)}`,
    );
    return report;
  } finally {
    await traced('unlock', async () => lock?.release());
  }
}

type RunOn = (host: string, argv: readonly string[]) => Promise<RunResult>;

interface RollContext {
  ensemble: EnsemblePlan;
  desired: readonly DesiredContainer[];
  sessions: Sessions;
  /** Runs through the exec that holds the lock (no shell start), see lockAndRun. */
  runOn: RunOn;
  dial: Dial;
  progress: Progress;
  verify: (timeoutMs: number) => Promise<EnsembleHealth>;
  remaining: () => number;
  deadline: number;
  push: (actions: readonly ServerAction[]) => Promise<void>;
}

// How long one verification round waits before the containers are looked at again.
const SETTLE_ROUND_MS = 10_000;

/**
 * Replaces running servers one at a time. What runs is looked at again before every step, so
 * the order (not serving first, the leader last) follows the ensemble as it is now: a leader
 * that crashed or was re-elected during the rollout is not mistaken for a follower. After each
 * step the ensemble must be whole again, except for pending servers that went down meanwhile:
 * those are replaced next, since taking them away costs the quorum nothing.
 */
async function rollOneByOne(ctx: RollContext, rolling: readonly ServerAction[]): Promise<void> {
  const { ensemble, desired, progress } = ctx;
  const voters = desired.filter((d) => d.role === 'participant');
  const majority = majorityOf(voters.length);
  const pending = [...rolling];
  const done = new Set<number>();
  while (pending.length > 0) {
    const now = await observe(ctx);
    const step = nextStep(pending, desired, now)!;
    const serving = voters.filter((v) => now.get(v.serverId)?.mode !== undefined);
    if (serving.some((v) => v.serverId === step.serverId) && serving.length - 1 < majority) {
      // A server went down since the last verification: replacing a serving one now would
      // break the quorum. Wait for the ensemble to be whole again, within the timeout.
      if (Date.now() >= ctx.deadline) throw await stopped(ctx, `replacing ${step.name} would leave ${serving.length - 1} of ${voters.length} voters serving`, done, pending);
      progress.note(`${ensemble.name}: only ${serving.length} of ${voters.length} voters serving; waiting before replacing ${step.name}`);
      const health = await ctx.verify(Math.min(SETTLE_ROUND_MS, ctx.remaining()));
      if (!health.ok && Date.now() >= ctx.deadline) throw await stopped(ctx, `the ensemble did not become whole before replacing ${step.name}`, done, pending, health);
      continue;
    }
    pending.splice(pending.indexOf(step), 1);
    await ctx.push([step]);
    await execute(step, desired, ctx.runOn, progress);
    done.add(step.serverId);
    progress.step(step.host, 'verify', 'start', `waiting for the ensemble to be whole again after replacing ${step.name}`);
    await settle(ctx, step, done, pending);
  }
}

/** Waits for the ensemble to be whole after a step; fails at once if the new container does not stay up. */
async function settle(ctx: RollContext, step: ServerAction, done: ReadonlySet<number>, pending: readonly ServerAction[]): Promise<void> {
  for (;;) {
    const health = await ctx.verify(Math.min(SETTLE_ROUND_MS, ctx.remaining()));
    if (health.ok) {
      ctx.progress.step(step.host, 'verify', 'ok', `ensemble whole again after replacing ${step.name}`);
      return;
    }
    const now = await observe(ctx);
    const mine = now.get(step.serverId);
    if (!mine?.running || (mine.restartCount ?? 0) > 0 || mine.status === 'restarting') {
      const logs = await ctx.runOn(step.host, containerLogsTail(step.name, 10)).catch(() => undefined);
      const tail = logs?.stdout || logs?.stderr ? `\n  last log lines of ${step.name}:\n${indent(`${logs.stdout}${logs.stderr}`)}` : '';
      ctx.progress.step(step.host, 'verify', 'fail', `${step.name} does not stay up: ${containerState(mine)}`);
      throw await stopped(ctx, `the new ${step.name} on ${step.host} does not stay up (${containerState(mine)})${tail}`, done, pending, health, now);
    }
    const down = pending.filter((p) => !now.get(p.serverId)?.running || now.get(p.serverId)?.status === 'restarting');
    if (down.length > 0) {
      ctx.progress.step(step.host, 'verify', 'info', `${down.map((d) => d.name).join(', ')} went down while ${step.name} was replaced; replacing ${down.length > 1 ? 'them' : 'it'} next`);
      return;
    }
    if (Date.now() >= ctx.deadline) {
      ctx.progress.step(step.host, 'verify', 'fail', health.problems.join('; '));
      throw await stopped(ctx, 'the ensemble is not whole', done, pending, health, now);
    }
  }
}

async function observe(ctx: RollContext): Promise<Map<number, ObservedContainer>> {
  const hosts = [...new Set(ctx.desired.map((d) => d.host))];
  const found = new Map(
    await Promise.all(hosts.map(async (h) => [h, await ctx.runOn(h, inspectCommand(ctx.desired.filter((d) => d.host === h)).argv)] as const)),
  );
  const now = observedFrom(ctx.desired, (h) => found.get(h));
  await probeModes(ctx.ensemble, now, ctx.dial, PROBE_TIMEOUT_MS);
  return now;
}

/** The error that stops a rollout: why, and the state of every server. */
async function stopped(
  ctx: RollContext,
  why: string,
  done: ReadonlySet<number>,
  pending: readonly ServerAction[],
  health?: EnsembleHealth,
  seen?: Map<number, ObservedContainer>,
): Promise<OperationalError> {
  const now = seen ?? (await observe(ctx).catch(() => new Map<number, ObservedContainer>()));
  const waiting = new Set(pending.map((p) => p.serverId));
  const lines = ctx.desired.map((d) => {
    const o = now.get(d.serverId);
    const probe = health?.servers.find((s) => s.id === d.serverId);
    const mode = o?.mode ?? probe?.mode ?? 'not serving';
    const where = done.has(d.serverId) ? 'replaced' : waiting.has(d.serverId) ? 'not replaced (stopped before it)' : 'unchanged';
    return `  server ${d.serverId} ${d.name} on ${d.host}: container ${containerState(o)}, ${mode}, ${where}`;
  });
  const problems = health ? health.problems.map((p) => `  problem: ${p}`) : [];
  return new OperationalError(`rollout of ${ctx.ensemble.name} stopped: ${why}\n${[...lines, ...problems].join('\n')}`);
}

function containerState(o: ObservedContainer | undefined): string {
  if (!o?.exists) return 'missing';
  const status = o.status ?? (o.running ? 'running' : 'stopped');
  const exit = !o.running || status === 'restarting' ? `, last exit code ${o.exitCode ?? '?'}` : '';
  const restarts = o.restartCount ? `, restarted ${o.restartCount} time${o.restartCount > 1 ? 's' : ''}` : '';
  return `${status}${exit}${restarts}`;
}

async function execute(a: ServerAction, desired: readonly DesiredContainer[], runOn: RunOn, progress: Progress): Promise<void> {
  const d = desired.find((x) => x.serverId === a.serverId)!;
  const run = async (argv: readonly string[]) => checkResult(a.host, argv, await runOn(a.host, argv));
  progress.step(a.host, a.kind, 'start', d.name);
  try {
    if (a.kind === 'start') {
      await run(startContainer(d.name));
    } else {
      // One command line (each exec would start the host's login shell again), the very one the
      // pushed run.sh runs (src/rollout/record.ts).
      await run(allOf(recreateContainer(d.spec, { envFile: d.envFile })));
    }
    progress.step(a.host, a.kind, 'ok', d.name);
  } catch (e) {
    const logs = await runOn(a.host, containerLogsTail(d.name, 10)).catch(() => undefined);
    progress.step(a.host, a.kind, 'fail', `${d.name}: ${(e as Error).message}`);
    throw new OperationalError(`${a.host}: ${a.kind} ${d.name} failed: ${(e as Error).message}${logs?.stdout || logs?.stderr ? `\n  last log lines:\n${indent(logs.stdout + logs.stderr)}` : ''}`);
  }
}

/**
 * Each host keeps a record of what is deployed on it: env files and the run script, both of every
 * server of the ensemble on that host as this apply wants them. Pushed just before servers of that
 * host are (re)created; a host the rollout did not reach keeps its record as it was.
 */
async function pushRecords(
  ensemble: EnsemblePlan,
  desired: readonly DesiredContainer[],
  changing: readonly ServerAction[],
  sessions: Sessions,
  stateDirOf: (host: string) => string,
  concurrency: number,
): Promise<void> {
  const hosts = [...new Set(changing.map((a) => a.host))];
  await mapLimit(hosts, concurrency, async (host) => {
    await sessions.get(host)!.putFiles(hostRecord(ensemble.name, host, stateDirOf(host), desired.filter((d) => d.host === host)));
  });
}

/**
 * From every host, can each peer's election port (and the leader's quorum port) be reached?
 * Asked through the host's own SSH connection (a direct-tcpip channel makes sshd on that host
 * connect to the peer), so the whole matrix costs no shell start. A host whose sshd refuses
 * forwarding to peers answers with one batched exec of `nc -z` probes instead.
 */
async function reachabilityMatrix(ensemble: EnsemblePlan, sessions: Sessions, health: EnsembleHealth): Promise<ReachabilityRow[]> {
  const leader = health.servers.find((s) => s.mode === 'leader')?.id;
  const rows: ReachabilityRow[] = [];
  await Promise.all(
    ensemble.servers.map(async (from) => {
      const session = sessions.get(from.host.name)!;
      const probes = ensemble.servers
        .filter((to) => to.id !== from.id)
        .flatMap((to) => [to.ports.election, ...(to.id === leader ? [to.ports.quorum] : [])].map((port) => ({ to, port })));
      const viaTunnel = await Promise.all(probes.map(({ to, port }) => tunnelReachable(session, to.host.address, port)));
      let answers: (boolean | undefined)[] = viaTunnel;
      if (viaTunnel.includes(undefined)) {
        const commands: BatchCommand[] = probes.map(({ to, port }, i) => ({ name: `p${i}`, argv: tcpReachable(to.host.address, port) }));
        const results = await runBatch(session, commands);
        answers = probes.map((_, i) => results.get(`p${i}`)?.code === 0);
      }
      probes.forEach(({ to, port }, i) => rows.push({ from: from.host.name, to: to.host.name, port, ok: answers[i] === true }));
    }),
  );
  return rows.sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to) || a.port - b.port);
}

// SSH_OPEN_CONNECT_FAILED: sshd tried and the peer did not accept. Any other refusal (forwarding
// prohibited, ...) says nothing about the network: undefined, ask the shell.
const SSH_OPEN_CONNECT_FAILED = 2;

function tunnelReachable(session: HostSession, address: string, port: number, timeoutMs = PROBE_TIMEOUT_MS): Promise<boolean | undefined> {
  return new Promise((resolve) => {
    // A peer that drops packets leaves sshd waiting for its TCP timeout: unreachable, like nc -w.
    const timer = setTimeout(() => resolve(false), timeoutMs);
    session.dial(address, port).then(
      (stream) => {
        clearTimeout(timer);
        stream.destroy();
        resolve(true);
      },
      (err: unknown) => {
        clearTimeout(timer);
        const cause = (err as { cause?: { reason?: unknown } }).cause;
        resolve(cause?.reason === SSH_OPEN_CONNECT_FAILED ? false : undefined);
      },
    );
  });
}

export function describeHealth(h: EnsembleHealth): string {
  const servers = h.servers.map(
    (s) => `  server ${s.id} ${s.address}:${s.port}: ${s.mode ?? 'not serving'}${s.zxid !== null ? ` zxid 0x${s.zxid.toString(16)}` : ''}${s.error ? ` (${s.error})` : ''}`,
  );
  return [...servers, ...h.problems.map((p) => `  problem: ${p}`)].join('\n');
}

export function indent(text: string): string {
  return text
    .trim()
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}
