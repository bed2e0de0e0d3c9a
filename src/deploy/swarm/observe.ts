// What the Swarm runs now for an ensemble, seen from the manager: the Swarm itself, its nodes,
// the stack's services (with zkplan's labels) and where their tasks run; plus each running
// server's mode, asked where its task actually runs (a server being moved is still on its old node).
import type { Inventory } from '../../inventory/types.js';
import type { EnsemblePlan } from '../../plan/types.js';
import { inspectNodes, inspectStackServices, stackTasks, swarmInfo } from '../../remote/commands/swarm.js';
import type { HostSession } from '../../remote/session.js';
import { LABEL_ENSEMBLE, LABEL_HASH, LABEL_SERVER } from '../../rollout/desired.js';
import type { ObservedContainer } from '../../rollout/rollout.js';
import { probeServer } from '../../verify/ensemble.js';
import type { Member } from '../../verify/types.js';
import { tunnelDial, type Sessions } from '../../drivers/sessions.js';
import { matchHosts, parseNodes, type SwarmNode } from './nodes.js';
import type { DesiredStack } from './stack.js';

export interface SwarmState {
  active: boolean;
  isManager: boolean;
  /** why the Swarm could not be inspected, when it could not */
  error?: string;
  nodes: SwarmNode[];
  matched: Map<string, SwarmNode>;
  nodeProblems: string[];
}

export interface ObservedService extends ObservedContainer {
  service: string;
  /** inventory host (or, outside the inventory, node hostname) running its task */
  runningOn?: string;
  taskState?: string;
  taskError?: string;
}

export interface ObservedStack {
  byServer: Map<number, ObservedService>;
  /** services of the stack zkplan labelled for this ensemble that the plan no longer has */
  stale: string[];
}

interface ServiceInspect {
  Spec: { Name: string; Labels?: Record<string, string> | null };
}

interface TaskLine {
  Name: string;
  Node: string;
  CurrentState: string;
  DesiredState: string;
  Error: string;
}

export async function observeSwarm(manager: HostSession, inventory: Inventory): Promise<SwarmState> {
  const info = await manager.run(swarmInfo());
  if (info.code !== 0) return { active: false, isManager: false, error: info.stderr.trim(), nodes: [], matched: new Map(), nodeProblems: [] };
  const swarm = JSON.parse(info.stdout) as { LocalNodeState?: string; ControlAvailable?: boolean };
  const active = swarm.LocalNodeState === 'active';
  const isManager = Boolean(swarm.ControlAvailable);
  if (!active || !isManager) return { active, isManager, nodes: [], matched: new Map(), nodeProblems: [] };
  const listed = await manager.run(inspectNodes());
  if (listed.code !== 0) return { active, isManager, error: `docker node inspect: ${listed.stderr.trim()}`, nodes: [], matched: new Map(), nodeProblems: [] };
  const nodes = parseNodes(listed.stdout);
  const { matched, problems } = matchHosts(inventory.hosts, nodes);
  return { active, isManager, nodes, matched, nodeProblems: problems };
}

/** Inventory host of a node hostname from `docker stack ps`; the hostname itself outside the inventory. */
function hostOfNode(state: SwarmState, nodeName: string): string {
  for (const [host, node] of state.matched) if (node.hostname === nodeName || node.id === nodeName) return host;
  return nodeName;
}

export async function observeStack(manager: HostSession, ensemble: EnsemblePlan, stack: DesiredStack, state: SwarmState): Promise<ObservedStack> {
  const [services, tasks] = await Promise.all([manager.run(inspectStackServices(stack.stack)), manager.run(stackTasks(stack.stack))]);
  if (services.code !== 0) throw new Error(`${manager.host.name}: docker service inspect failed: ${services.stderr.trim()}`);
  if (tasks.code !== 0) throw new Error(`${manager.host.name}: docker stack ps failed: ${tasks.stderr.trim()}`);
  const inspected = JSON.parse(services.stdout) as ServiceInspect[];
  const taskLines = tasks.stdout
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l) as TaskLine);
  const byServer = new Map<number, ObservedService>();
  for (const s of stack.services) {
    const found = inspected.find((x) => x.Spec.Name === s.service);
    // Task names are <service>.<slot>; replicas: 1 means slot 1.
    const task = taskLines.find((t) => t.Name.startsWith(`${s.service}.`));
    const labels = found?.Spec.Labels ?? {};
    const running = task !== undefined && /^running\b/i.test(task.CurrentState);
    byServer.set(s.serverId, {
      service: s.service,
      exists: found !== undefined,
      running,
      ...(labels[LABEL_HASH] ? { configHash: labels[LABEL_HASH] } : {}),
      ...(labels[LABEL_SERVER] && labels[LABEL_SERVER] !== String(s.serverId) ? { configHash: 'foreign' } : {}),
      ...(task ? { runningOn: hostOfNode(state, task.Node), taskState: task.CurrentState, ...(task.Error ? { taskError: task.Error } : {}) } : {}),
    });
  }
  const wanted = new Set(stack.services.map((s) => s.service));
  const stale = inspected.filter((x) => x.Spec.Labels?.[LABEL_ENSEMBLE] === ensemble.name && !wanted.has(x.Spec.Name)).map((x) => x.Spec.Name);
  return { byServer, stale };
}

/** Verify members where each server runs now (`at`: server id → inventory host), else where the plan puts it. */
export function membersAt(ensemble: EnsemblePlan, sessions: Sessions, at: ReadonlyMap<number, string> = new Map()): Member[] {
  return ensemble.servers.map((s) => {
    const host = at.get(s.id);
    const address = (host !== undefined ? sessions.get(host)?.host.address : undefined) ?? s.host.address;
    return { id: s.id, role: s.role, address, port: s.ports.client };
  });
}

/** Adds the mode of every server whose task runs on an inventory host. */
export async function probeRunning(ensemble: EnsemblePlan, observed: ObservedStack, sessions: Sessions, timeoutMs: number): Promise<void> {
  const at = new Map([...observed.byServer].filter(([, o]) => o.running && o.runningOn !== undefined && sessions.has(o.runningOn)).map(([id, o]) => [id, o.runningOn!]));
  const dial = tunnelDial(sessions);
  await Promise.all(
    membersAt(ensemble, sessions, at)
      .filter((m) => at.has(m.id))
      .map(async (m) => {
        const probe = await probeServer(m, dial, timeoutMs);
        if (probe.mode) observed.byServer.get(m.id)!.mode = probe.mode;
      }),
  );
}
