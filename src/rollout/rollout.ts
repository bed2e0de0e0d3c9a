// The rollout plan: what apply will create, change or leave alone on each host, and in which
// order — computed from the desired containers and what inspection found, without side effects.
// Servers that are not running are (re)started together; running servers whose configuration
// changed are replaced one at a time, observers and followers first, the leader last, and only
// if no step would leave fewer than a majority of voters running.
import type { EnvPair } from '../render/profiles/types.js';
import { majorityOf } from '../plan/quorum.js';

/** What runs now for one server, as a driver observed it (src/engine/driver.ts). */
export interface ObservedServer {
  exists: boolean;
  running: boolean;
  configHash?: string;
  /** from `srvr`, when the server answered; filled by the engine, never by a driver */
  mode?: string;
  /** Docker's state (running, restarting, exited, ...) or the Swarm task's */
  status?: string;
  /** how often the target restarted it after it exited (restart policy) */
  restartCount?: number;
  exitCode?: number;
  /** ports the running container holds (its io.zkplan.ports label; absent on older containers) */
  ports?: number[];
  /**
   * the host port clients reach this container on, as it was created: it differs from the
   * plan's while a change of client port rolls out, and probes must go where the server listens
   */
  clientPort?: number;
  /** what runs now, to say what a change changes (names only, never values) */
  image?: string;
  env?: readonly string[];
  /** inventory host it runs on now, where the target can move a server (Swarm) */
  runningOn?: string;
  /** a container by that name that zkplan did not make for this server */
  foreign?: boolean;
  /** its io.zkplan.security-phase label: where a secured server is on the way to its security */
  securityPhase?: string;
  /** a server that reloads its certificates: the HMAC of the one it was last proven to present (host target) */
  certificate?: string;
}

/** Where a server takes clients now: the port its running container was created with, else the plan's. */
export function servingPort(o: ObservedServer | undefined, planned: number): number {
  return o?.running && o.clientPort !== undefined ? o.clientPort : planned;
}

export type ActionKind = 'create' | 'change' | 'start' | 'reload' | 'unchanged';

export interface ServerAction {
  serverId: number;
  host: string;
  name: string;
  kind: ActionKind;
  reason: string;
}

export interface RolloutPlan {
  /** servers not serving now: replaced or started together, in parallel */
  parallel: ServerAction[];
  /** running servers to replace one by one, in this order */
  rolling: ServerAction[];
  /** running servers that take a renewed certificate from its files, without a restart, one by one */
  reload: ServerAction[];
  unchanged: ServerAction[];
  counts: { create: number; change: number; unchanged: number };
  /** set when a step would break the quorum budget; apply then changes nothing */
  refusal?: string;
}

/** What the rollout needs to know of a desired server (see rolloutInput in src/engine). */
export interface RolloutInput {
  serverId: number;
  role: 'participant' | 'observer';
  host: string;
  name: string;
  configHash: string;
  image: string;
  env: EnvPair[];
  /** a server that reloads its certificates: the HMAC of the one it must present */
  certificate?: string;
}

/** Every server's action, in server id order. */
export function allActions(plan: RolloutPlan): ServerAction[] {
  return [...plan.parallel, ...plan.rolling, ...plan.reload, ...plan.unchanged].sort((a, b) => a.serverId - b.serverId);
}

export function planRollout(desired: readonly RolloutInput[], observed: ReadonlyMap<number, ObservedServer>): RolloutPlan {
  const parallel: ServerAction[] = [];
  const rolling: (ServerAction & { order: number })[] = [];
  const reload: ServerAction[] = [];
  const unchanged: ServerAction[] = [];
  for (const d of desired) {
    const o = observed.get(d.serverId) ?? { exists: false, running: false };
    const base = { serverId: d.serverId, host: d.host, name: d.name };
    const same = o.configHash === d.configHash;
    const moves = o.running && o.runningOn !== undefined && o.runningOn !== d.host;
    if (!o.exists) parallel.push({ ...base, kind: 'create', reason: 'no container' });
    else if (!same && !o.running) parallel.push({ ...base, kind: 'change', reason: `configuration ${o.configHash ?? 'unknown'} → ${d.configHash}${whatChanged(d, o)}, container stopped` });
    else if (!o.running) parallel.push({ ...base, kind: 'start', reason: 'container stopped' });
    else if (!same || moves) {
      const what = same ? `moves from ${o.runningOn}` : `configuration ${o.configHash ?? 'unknown'} → ${d.configHash}${whatChanged(d, o)}${moves ? `, moves from ${o.runningOn}` : ''}`;
      rolling.push({ ...base, kind: 'change', reason: `${what}${o.mode ? ` (${o.mode})` : ''}`, order: rollOrder(d, o) });
    } else if (d.certificate !== undefined && o.certificate !== d.certificate) {
      reload.push({ ...base, kind: 'reload', reason: `new certificate, taken from its files without a restart${o.mode ? ` (${o.mode})` : ''}` });
    } else unchanged.push({ ...base, kind: 'unchanged', reason: 'configuration matches' });
  }
  rolling.sort((a, b) => a.order - b.order || a.serverId - b.serverId);
  const plan: RolloutPlan = {
    parallel,
    rolling: rolling.map(({ order: _order, ...a }) => a),
    reload,
    unchanged,
    counts: {
      create: parallel.filter((a) => a.kind === 'create').length,
      change: parallel.filter((a) => a.kind !== 'create').length + rolling.length + reload.length,
      unchanged: unchanged.length,
    },
  };
  const refusal = quorumBudget(desired, observed, plan);
  return refusal ? { ...plan, refusal } : plan;
}

/**
 * Which server to replace first. A server that changes host goes before all others, even when it
 * leads: ZooKeeper peers open election channels only from the higher id to the lower one, so a
 * restarted peer whose configuration names the new address cannot reach a server still at its
 * old one, hears from the leader alone and never joins. Then one that is not serving (it costs
 * the quorum nothing); then observers, then followers; the leader last.
 */
export function rollOrder(d: Pick<RolloutInput, 'role' | 'host'>, o: ObservedServer | undefined): number {
  if (o?.running && o.runningOn !== undefined && o.runningOn !== d.host) return -1;
  if (!o?.running || o.mode === undefined) return 0;
  return d.role === 'observer' ? 1 : o.mode === 'leader' ? 3 : 2;
}

/**
 * The next of the pending servers to replace, by what runs now: the order is recomputed before
 * every step because the leader can change during a rollout (a crash, a re-election).
 */
export function nextStep<T extends { serverId: number }>(pending: readonly T[], desired: readonly RolloutInput[], observed: ReadonlyMap<number, ObservedServer>): T | undefined {
  const rank = (a: T) => rollOrder(desired.find((d) => d.serverId === a.serverId)!, observed.get(a.serverId));
  return [...pending].sort((a, b) => rank(a) - rank(b) || a.serverId - b.serverId)[0];
}

/**
 * Names what differs between the container and the plan: the image, and the environment
 * variables zkplan sets whose value differs (names only: values may be secrets). The image's
 * own variables are in the container's environment too, so one zkplan no longer sets cannot be
 * told apart from those and goes unnamed; the hash still says the configuration changed.
 */
export function whatChanged(d: RolloutInput, o: ObservedServer): string {
  const parts: string[] = [];
  if (o.image !== undefined && o.image !== d.image) parts.push(`image ${o.image} → ${d.image}`);
  if (o.env !== undefined) {
    const now = new Map(
      o.env.map((e) => {
        const i = e.indexOf('=');
        return i < 0 ? [e, ''] : [e.slice(0, i), e.slice(i + 1)];
      }),
    );
    const keys = d.env.filter(([k, v]) => now.get(k) !== v).map(([k]) => k);
    if (keys.length > 0) parts.push(`environment ${keys.join(', ')}`);
  }
  return parts.length > 0 ? `: ${parts.join('; ')}` : '';
}

/**
 * During each rolling step one running voter is down. Count voters that will be running
 * (running now and healthy, plus the ones the parallel phase starts) and refuse when a step
 * would leave fewer than a majority.
 */
function quorumBudget(desired: readonly RolloutInput[], observed: ReadonlyMap<number, ObservedServer>, plan: RolloutPlan): string | undefined {
  const voters = desired.filter((d) => d.role === 'participant');
  const majority = majorityOf(voters.length);
  const startedNow = new Set(plan.parallel.map((a) => a.serverId));
  const up = new Set(voters.filter((d) => startedNow.has(d.serverId) || (observed.get(d.serverId)?.running && observed.get(d.serverId)?.mode !== undefined)).map((d) => d.serverId));
  const down = voters.filter((d) => !up.has(d.serverId)).map((d) => d.name);
  for (const step of plan.rolling) {
    // Replacing a server that is not serving takes nothing away from the quorum.
    const during = up.size - (up.has(step.serverId) ? 1 : 0);
    if (during < majority) {
      return (
        `replacing ${step.name} would leave ${during} of ${voters.length} voters running (majority is ${majority})` +
        (down.length ? `; already not serving: ${down.join(', ')}` : '') +
        '; bring the missing servers back first'
      );
    }
    // apply waits for the ensemble to be whole after each step
    if (voters.some((v) => v.serverId === step.serverId)) up.add(step.serverId);
  }
  return undefined;
}
