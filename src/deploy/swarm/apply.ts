// zkplan apply --target swarm: preflight against the manager (Swarm active, every inventory host
// a ready node, the image on every node that will run a server), write the plan's node labels,
// and deploy the stack. Swarm would update changed services all at once; zkplan instead deploys
// one service at a time (followers first, the leader last, the quorum budget of src/rollout)
// and proves the ensemble whole between steps.
import { OperationalError } from '../../common/problems.js';
import type { Inventory } from '../../inventory/types.js';
import type { EnsemblePlan } from '../../plan/types.js';
import type { Templates } from '../../render/types.js';
import { imageId } from '../../remote/commands/docker.js';
import { deployStack, runningServiceContainers, scaleService, updateNodeLabels } from '../../remote/commands/swarm.js';
import { runChecked, type HostSession } from '../../remote/session.js';
import { ensembleStateDir, LABEL_HASH } from '../../rollout/desired.js';
import { desiredServers } from '../../rollout/server-specs.js';
import { planRollout, type RolloutPlan, type ServerAction } from '../../rollout/rollout.js';
import { waitForEnsemble, type EnsembleHealth } from '../../verify/ensemble.js';
import { describeHealth } from '../apply.js';
import { lockEnsemble } from '../lock.js';
import type { Check } from '../preflight.js';
import type { Progress } from '../progress.js';
import { tunnelDial, type Sessions } from '../sessions.js';
import { planLabels, type LabelChange } from './nodes.js';
import { membersAt, observeStack, observeSwarm, probeRunning, type ObservedStack } from './observe.js';
import { desiredStack, type DesiredStack, type StackService } from './stack.js';

export interface SwarmApplyOptions {
  dryRun: boolean;
  timeoutMs: number;
  forceUnlock: boolean;
  command: string;
}

export interface SwarmApplyReport {
  ensemble: string;
  target: 'swarm';
  manager: string;
  dryRun: boolean;
  preflight: Check[];
  rollout: RolloutPlan;
  /** node label changes, `node: +key=value -key` */
  labels: string[];
  /** services of the stack removed because the plan no longer has them */
  pruned: string[];
  health?: EnsembleHealth;
  elapsedMs: number;
  ok: boolean;
}

const PROBE_TIMEOUT_MS = 2000;

/** The manager's session: the host flagged as Swarm manager in the inventory. */
export function managerSession(inventory: Inventory, sessions: Sessions): HostSession {
  const name = inventory.swarmManager;
  const session = name === undefined ? undefined : sessions.get(name);
  if (!session) throw new OperationalError('no Swarm manager: flag one host `swarm: manager` (or set swarm.manager) in the inventory');
  return session;
}

/** Where zkplan keeps the stack files it deployed, on the manager. */
export function stackDir(manager: HostSession, ensemble: string): string {
  return `${ensembleStateDir(manager.host.stateDir, ensemble)}/swarm`;
}

export async function applySwarmEnsemble(
  inventory: Inventory,
  ensemble: EnsemblePlan,
  sessions: Sessions,
  templates: Templates,
  progress: Progress,
  opts: SwarmApplyOptions,
): Promise<SwarmApplyReport> {
  const started = Date.now();
  const deadline = started + opts.timeoutMs;
  const remaining = () => Math.max(1000, deadline - Date.now());
  const manager = managerSession(inventory, sessions);
  const stack = desiredStack(ensemble, templates);
  const lock = opts.dryRun ? undefined : await lockEnsemble(new Map([[manager.host.name, manager]]), ensemble.name, opts.command, opts.forceUnlock);
  try {
    const swarm = await observeSwarm(manager, inventory);
    const checks: Check[] = [];
    const check = (name: string, ok: boolean, detail: string, host = manager.host.name) => {
      checks.push({ name, ok, detail });
      progress.step(host, 'preflight', ok ? 'ok' : 'fail', `${name}: ${detail}`);
    };
    check('swarm', swarm.active && swarm.isManager && swarm.error === undefined, swarm.error ?? (!swarm.active ? 'this engine is not part of an active Swarm' : !swarm.isManager ? 'this engine is a Swarm worker, not a manager' : `active, ${swarm.nodes.length} nodes`));
    if (swarm.active && swarm.isManager) {
      check('nodes', swarm.nodeProblems.length === 0, swarm.nodeProblems.length ? swarm.nodeProblems.join('; ') : `every inventory host is a ready node (${[...swarm.matched].map(([h, n]) => `${h}=${n.hostname}`).join(', ')})`);
    }
    const labels = planLabels(ensemble, inventory.hosts, swarm.nodes, swarm.matched);
    if (labels.problems.length) check('labels', false, labels.problems.join('; '));
    const serverHosts = [...new Set(stack.services.map((s) => s.host))];
    const images = await Promise.all(serverHosts.map(async (h) => ({ h, r: await sessions.get(h)!.run(imageId(ensemble.image)) })));
    for (const { h, r } of images) check('image', r.code === 0, r.code === 0 ? `${h} has ${ensemble.image}` : `${h} does not have ${ensemble.image} (nodes run only images they have: zkplan deploys with --resolve-image never)`, h);
    if (checks.some((c) => !c.ok)) {
      throw new OperationalError(`preflight failed; nothing was changed\n  ${checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`).join('\n  ')}`);
    }

    const observed = await observeStack(manager, ensemble, stack, swarm);
    await probeRunning(ensemble, observed, sessions, PROBE_TIMEOUT_MS);
    // The same specs desiredStack hashed: names `<stack>_<key>`, the services' config hashes.
    const desired = desiredServers(ensemble, { kind: 'swarm' }).map((d) => ({ ...d, image: d.spec.image, env: d.spec.env }));
    // A service whose definition is unchanged but whose task runs on another node than planned
    // (overlay: addresses are service names, only the pin label moves) must still be moved
    // in its own step, not left to Swarm's rescheduling when the label moves.
    const forRollout = new Map(
      [...observed.byServer].map(([id, o]) => {
        const planned = stack.services.find((x) => x.serverId === id)!.host;
        return [id, o.running && o.runningOn !== undefined && o.runningOn !== planned ? { ...o, configHash: `${o.configHash ?? 'unknown'} on ${o.runningOn}` } : o];
      }),
    );
    const rollout = movingFirst(planRollout(desired, forRollout), observed);
    const rollingIds = new Set(rollout.rolling.map((a) => String(a.serverId)));
    const labelsAt = (c: LabelChange) => c.values.find((v) => rollingIds.has(v));
    const upfront = labels.changes.filter((c) => labelsAt(c) === undefined);
    const labelLines = labels.changes.map(describeLabels);
    for (const a of [...rollout.parallel, ...rollout.rolling, ...rollout.unchanged]) progress.step(a.host, 'plan', 'info', `${a.name}: ${a.kind} (${a.reason})`);
    for (const l of labelLines) progress.step(manager.host.name, 'plan', 'info', `node labels ${l}`);
    for (const s of observed.stale) progress.step(manager.host.name, 'plan', 'info', `${s}: remove (no longer in the plan)`);
    progress.note(`${ensemble.name}: ${rollout.counts.create} to create, ${rollout.counts.change} to change, ${rollout.counts.unchanged} unchanged${observed.stale.length ? `, ${observed.stale.length} to remove` : ''}`);
    if (rollout.refusal) throw new OperationalError(`refusing to apply ${ensemble.name}: ${rollout.refusal}; nothing was changed`);
    const report: SwarmApplyReport = { ensemble: ensemble.name, target: 'swarm', manager: manager.host.name, dryRun: opts.dryRun, preflight: checks, rollout, labels: labelLines, pruned: [], elapsedMs: 0, ok: true };
    if (opts.dryRun) return { ...report, elapsedMs: Date.now() - started };

    const dir = stackDir(manager, ensemble.name);
    const changed = rollout.parallel.length + rollout.rolling.length + observed.stale.length + labels.changes.length > 0;
    if (changed) await manager.putFiles([{ path: `${dir}/docker-stack.yml`, content: stack.content, mode: 0o600 }]);
    for (const c of upfront) await relabel(manager, c, progress);

    const serviceOf = (a: ServerAction) => stack.services.find((s) => s.serverId === a.serverId)!;
    if (rollout.parallel.length > 0) {
      const keys = rollout.parallel.map((a) => serviceOf(a).key);
      await deploy(manager, stack, keys, `${dir}/parallel.yml`, false, progress);
      await Promise.all(rollout.parallel.map((a) => waitForTask(sessions, manager, serviceOf(a), remaining(), progress)));
    }

    // Until its step, a server runs where it ran before; verify it there.
    const at = new Map([...observed.byServer].filter(([, o]) => o.running && o.runningOn !== undefined).map(([id, o]) => [id, o.runningOn!]));
    for (const a of rollout.parallel) at.delete(a.serverId);
    const dial = tunnelDial(sessions);
    const verify = (timeoutMs: number) => waitForEnsemble(membersAt(ensemble, sessions, at), dial, { timeoutMs, pollMs: 200, requestTimeoutMs: PROBE_TIMEOUT_MS });
    for (const step of rollout.rolling) {
      const s = serviceOf(step);
      const moves = labels.changes.filter((c) => labelsAt(c) === String(step.serverId));
      if (moves.length > 0) {
        // A relabelled node would make Swarm reschedule the old task with the old
        // configuration; stop it first, move the labels, then start the new one.
        await runChecked(manager, scaleService(s.service, 0));
        const was = observed.byServer.get(step.serverId)?.runningOn;
        await waitForNoTask(was === undefined ? undefined : sessions.get(was), s, remaining());
        for (const c of moves) await relabel(manager, c, progress);
      }
      await deploy(manager, stack, [s.key], `${dir}/step-${s.key}.yml`, false, progress);
      await waitForTask(sessions, manager, s, remaining(), progress);
      at.delete(step.serverId);
      const health = await verify(remaining());
      progress.step(s.host, 'verify', health.ok ? 'ok' : 'fail', health.ok ? `ensemble whole again after updating ${s.service}` : health.problems.join('; '));
      if (!health.ok) throw new OperationalError(`rollout of ${ensemble.name} stopped after ${s.service}: the ensemble is not whole\n${describeHealth(health)}`);
    }
    if (observed.stale.length > 0) {
      await deploy(manager, stack, stack.services.map((x) => x.key), `${dir}/docker-stack.yml`, true, progress);
      report.pruned = observed.stale;
    }

    const health = await verify(remaining());
    report.health = health;
    report.ok = health.ok;
    report.elapsedMs = Date.now() - started;
    progress.note(
      health.ok
        ? `${ensemble.name}: ${changed ? '' : 'nothing changed; '}verified in ${(health.elapsedMs / 1000).toFixed(1)} s: one leader, followers synced, znode ${health.znode?.path ?? ''} read back through every server`
        : `${ensemble.name}: NOT verified within the timeout\n${describeHealth(health)}`,
    );
    return report;
  } finally {
    await lock?.release();
  }
}

/**
 * A server that changes node goes before the others, even when it leads. ZooKeeper peers open
 * election channels only from the higher id to the lower one, so a restarted peer whose
 * configuration already names the new address cannot reach the server still on its old node,
 * hears from the leader alone and never joins ("Oracle indicates not to follow"). Once the
 * moved server runs where every new configuration expects it, the rest roll followers first,
 * leader last, as src/rollout ordered them. The quorum budget is the same in any order: each
 * step takes one voter down.
 */
export function movingFirst(plan: RolloutPlan, observed: ObservedStack): RolloutPlan {
  const moves = (a: ServerAction) => {
    const on = observed.byServer.get(a.serverId)?.runningOn;
    return on !== undefined && on !== a.host;
  };
  return { ...plan, rolling: [...plan.rolling.filter(moves), ...plan.rolling.filter((a) => !moves(a))] };
}

function describeLabels(c: LabelChange): string {
  return `${c.node.hostname}: ${[...Object.entries(c.add).map(([k, v]) => `+${k}=${v}`), ...c.remove.map((k) => `-${k}`)].join(' ')}`;
}

async function relabel(manager: HostSession, c: LabelChange, progress: Progress): Promise<void> {
  await runChecked(manager, updateNodeLabels(c.node.id, c.add, c.remove));
  progress.step(manager.host.name, 'label', 'ok', describeLabels(c));
}

async function deploy(manager: HostSession, stack: DesiredStack, keys: readonly string[], file: string, prune: boolean, progress: Progress): Promise<void> {
  const content = keys.length === stack.services.length ? stack.content : stack.subset(keys);
  await manager.putFiles([{ path: file, content, mode: 0o600 }]);
  await runChecked(manager, deployStack(file, stack.stack, prune));
  for (const k of keys) progress.step(manager.host.name, 'update', 'ok', `${stack.stack}_${k}`);
}

const POLL_MS = 250;

/** Until the service's task with the new configuration runs on the node the plan chose. */
async function waitForTask(sessions: Sessions, manager: HostSession, s: StackService, timeoutMs: number, progress: Progress): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const node = sessions.get(s.host)!;
  for (;;) {
    const r = await node.run(runningServiceContainers(s.service, { key: LABEL_HASH, value: s.configHash }));
    if (r.code === 0 && r.stdout.trim() !== '') {
      progress.step(s.host, 'running', 'ok', s.service);
      return;
    }
    if (Date.now() > deadline) {
      const ps = await manager.run(['docker', 'service', 'ps', '--no-trunc', '--format', '{{.Node}} {{.CurrentState}} {{.Error}}', s.service]);
      throw new OperationalError(`${s.service}: no task with configuration ${s.configHash} running on ${s.host} after ${Math.round(timeoutMs / 1000)} s\n  ${ps.stdout.trim().split('\n').slice(0, 5).join('\n  ')}`);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Until no container of the service runs on the host that ran it. */
async function waitForNoTask(node: HostSession | undefined, s: StackService, timeoutMs: number): Promise<void> {
  if (!node) return;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await runChecked(node, runningServiceContainers(s.service));
    if (r.stdout.trim() === '') return;
    if (Date.now() > deadline) throw new OperationalError(`${s.service}: still running on ${node.host.name} ${Math.round(timeoutMs / 1000)} s after scaling it to 0`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
