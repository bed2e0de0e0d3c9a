// What the Swarm runs now for an ensemble, seen from the manager: the Swarm itself, its nodes,
// the stack's services (with zkplan's labels) and where their tasks run. The four reads come
// through the manager's Engine API (manager-api.ts gives them the CLI's shape), or, where the
// session has no forwarded channels, as one batch in one exec on the manager.
import type { Inventory } from '../../inventory/types.js';
import type { EnsemblePlan } from '../../plan/types.js';
import { inspectNodes, inspectStackServices, stackTasks, swarmInfo } from '../../remote/commands/swarm.js';
import type { BatchCommand } from '../../remote/batch.js';
import type { RunResult } from '../../remote/session.js';
import { LABEL_ENSEMBLE, LABEL_HASH, LABEL_SERVER } from '../../rollout/desired.js';
import { LABEL_SECURITY_PHASE } from '../../rollout/spec.js';
import type { ObservedServer } from '../../rollout/rollout.js';
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

export interface ObservedService extends ObservedServer {
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

/** What one observation reads on the manager; run together, in one exec (src/remote/batch.ts). */
export function observeCommands(stack: string): BatchCommand[] {
  return [
    { name: 'swarm', argv: swarmInfo() },
    { name: 'nodes', argv: inspectNodes() },
    { name: 'services', argv: inspectStackServices(stack) },
    { name: 'tasks', argv: stackTasks(stack) },
  ];
}

export interface Observation {
  swarm: SwarmState;
  /** undefined when there is no Swarm to read a stack from */
  stack?: ObservedStack;
}

/** Reads observeCommands' results (absent ones count as failed). */
export function readObservation(results: ReadonlyMap<string, RunResult>, manager: string, inventory: Inventory, ensemble: EnsemblePlan, stack: DesiredStack): Observation {
  const result = (name: string): RunResult => results.get(name) ?? { code: 1, stdout: '', stderr: `${name}: not run` };
  const swarm = readSwarm(result('swarm'), result('nodes'), inventory);
  if (!swarm.active || !swarm.isManager || swarm.error !== undefined) return { swarm };
  return { swarm, stack: readStack(result('services'), result('tasks'), manager, ensemble, stack, swarm) };
}

function readSwarm(info: RunResult, listed: RunResult, inventory: Inventory): SwarmState {
  if (info.code !== 0) return { active: false, isManager: false, error: info.stderr.trim(), nodes: [], matched: new Map(), nodeProblems: [] };
  const swarm = JSON.parse(info.stdout) as { LocalNodeState?: string; ControlAvailable?: boolean };
  const active = swarm.LocalNodeState === 'active';
  const isManager = Boolean(swarm.ControlAvailable);
  if (!active || !isManager) return { active, isManager, nodes: [], matched: new Map(), nodeProblems: [] };
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

function readStack(services: RunResult, tasks: RunResult, manager: string, ensemble: EnsemblePlan, stack: DesiredStack, state: SwarmState): ObservedStack {
  if (services.code !== 0) throw new Error(`${manager}: docker service inspect failed: ${services.stderr.trim()}`);
  if (tasks.code !== 0) throw new Error(`${manager}: docker stack ps failed: ${tasks.stderr.trim()}`);
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
      ...(labels[LABEL_SECURITY_PHASE] !== undefined ? { securityPhase: labels[LABEL_SECURITY_PHASE] } : {}),
      ...(task ? { runningOn: hostOfNode(state, task.Node), taskState: task.CurrentState, ...(task.Error ? { taskError: task.Error } : {}) } : {}),
    });
  }
  const wanted = new Set(stack.services.map((s) => s.service));
  const stale = inspected.filter((x) => x.Spec.Labels?.[LABEL_ENSEMBLE] === ensemble.name && !wanted.has(x.Spec.Name)).map((x) => x.Spec.Name);
  return { byServer, stale };
}
