// The Swarm's nodes as zkplan needs them: which node is which inventory host, and which node
// labels to write or remove so that each service's placement constraint matches exactly the
// node the plan chose, and which of those changes wait for a moving server's step. Pure: inputs
// are `docker node inspect` output, the plan and what runs.
import type { DesiredServer, ObservedServer } from '../../engine/driver.js';
import type { Host } from '../../inventory/types.js';
import type { EnsemblePlan } from '../../plan/types.js';

export interface SwarmNode {
  id: string;
  hostname: string;
  address: string;
  state: string;
  availability: string;
  role: string;
  labels: Record<string, string>;
}

interface NodeInspect {
  ID: string;
  Spec: { Labels?: Record<string, string> | null; Role?: string; Availability?: string };
  Description?: { Hostname?: string };
  Status?: { State?: string; Addr?: string };
}

export function parseNodes(json: string): SwarmNode[] {
  const raw = JSON.parse(json) as NodeInspect[];
  return raw.map((n) => ({
    id: n.ID,
    hostname: n.Description?.Hostname ?? '',
    address: n.Status?.Addr ?? '',
    state: n.Status?.State ?? 'unknown',
    availability: n.Spec.Availability ?? 'unknown',
    role: n.Spec.Role ?? 'unknown',
    labels: n.Spec.Labels ?? {},
  }));
}

/** Each inventory host's node, matched by address first (unambiguous), then by hostname. */
export function matchHosts(hosts: readonly Host[], nodes: readonly SwarmNode[]): { matched: Map<string, SwarmNode>; problems: string[] } {
  const matched = new Map<string, SwarmNode>();
  const problems: string[] = [];
  for (const h of hosts) {
    const byAddress = nodes.filter((n) => n.address === h.address);
    const candidates = byAddress.length > 0 ? byAddress : nodes.filter((n) => n.hostname === h.name);
    if (candidates.length === 0) problems.push(`host ${h.name} (${h.address}) is not a node of the Swarm (nodes: ${nodes.map((n) => `${n.hostname} ${n.address}`).join(', ')})`);
    else if (candidates.length > 1) problems.push(`host ${h.name} matches ${candidates.length} nodes (${candidates.map((n) => n.id).join(', ')}); remove the stale ones (docker node rm)`);
    else {
      const n = candidates[0]!;
      if (n.state !== 'ready') problems.push(`host ${h.name}: node ${n.hostname} is ${n.state}, not ready`);
      else if (n.availability !== 'active') problems.push(`host ${h.name}: node ${n.hostname} is ${n.availability}, not active`);
      matched.set(h.name, n);
    }
  }
  return { matched, problems };
}

/** Marks the nodes whose pin label zkplan wrote for an ensemble (value: the label key). */
export function markerLabel(ensemble: string): string {
  return `io.zkplan.pin.${ensemble}`;
}

export interface LabelChange {
  node: SwarmNode;
  add: Record<string, string>;
  remove: string[];
  /** pin values this change moves (old and new); a running server with such an id must be stopped first */
  values: string[];
}

/**
 * Under pinned placement every inventory host carrying the pin label gets it on its node
 * (with zkplan's marker), and every other node zkplan marked, or that is an inventory host,
 * loses it. A node outside the inventory carrying a value of this ensemble is a problem:
 * a service could land there, and it is not zkplan's to change.
 */
export function planLabels(ensemble: EnsemblePlan, hosts: readonly Host[], nodes: readonly SwarmNode[], matched: ReadonlyMap<string, SwarmNode>): { changes: LabelChange[]; problems: string[] } {
  const pin = ensemble.placement.mode === 'pinned' ? ensemble.placement.pinLabel : undefined;
  const changes: LabelChange[] = [];
  const problems: string[] = [];
  if (pin === undefined) {
    for (const s of ensemble.servers) {
      const node = matched.get(s.host.name);
      if (node && s.constraint.kind === 'hostname' && node.hostname !== s.constraint.value) {
        problems.push(`server ${s.id} is placed by node.hostname == ${s.constraint.value}, but host ${s.host.name}'s node is called ${node.hostname}; name the host like its node`);
      }
    }
    return { changes, problems };
  }
  const marker = markerLabel(ensemble.name);
  const desired = new Map<string, string>();
  for (const h of hosts) {
    const node = matched.get(h.name);
    const value = h.labels[pin];
    if (node && value !== undefined) desired.set(node.id, value);
  }
  const inventoryNodes = new Set([...matched.values()].map((n) => n.id));
  const ids = new Set(ensemble.servers.map((s) => String(s.id)));
  for (const node of nodes) {
    const want = desired.get(node.id);
    const have = node.labels[pin];
    const marked = node.labels[marker] === pin;
    if (want !== undefined) {
      if (have !== want || !marked) changes.push({ node, add: { [pin]: want, [marker]: pin }, remove: [], values: [...new Set([want, ...(have !== undefined && have !== want ? [have] : [])])] });
    } else if (have !== undefined && (marked || inventoryNodes.has(node.id))) {
      changes.push({ node, add: {}, remove: [pin, ...(node.labels[marker] !== undefined ? [marker] : [])], values: [have] });
    } else if (have !== undefined && ids.has(have)) {
      problems.push(`node ${node.hostname} (${node.address}) is not in the inventory but carries ${pin}=${have}: server ${have} could be placed there; remove the label (docker node update --label-rm ${pin} ${node.hostname}) or add the host to the inventory`);
    } else if (node.labels[marker] !== undefined) {
      changes.push({ node, add: {}, remove: [marker], values: [] });
    }
  }
  return { changes, problems };
}

/**
 * The label changes to make before any server step: those that move no running server. A change
 * whose pin value names a server that runs now on another node than planned waits for that
 * server's step: relabelling first would make Swarm reschedule the old task, with the old
 * configuration, onto the new node.
 */
export function labelsUpfront(changes: readonly LabelChange[], moving: ReadonlySet<number>): LabelChange[] {
  return changes.filter((c) => !c.values.some((v) => moving.has(Number(v))));
}

/** The label changes that belong to one server's step (see labelsUpfront). */
export function labelsOfStep(changes: readonly LabelChange[], serverId: number): LabelChange[] {
  return changes.filter((c) => c.values.includes(String(serverId)));
}

/** The servers whose task runs now on another node than the plan's. */
export function movingServers(desired: readonly DesiredServer[], observed: ReadonlyMap<number, ObservedServer>): Set<number> {
  return new Set(
    desired
      .filter((d) => {
        const o = observed.get(d.serverId);
        return o?.running === true && o.runningOn !== undefined && o.runningOn !== d.host;
      })
      .map((d) => d.serverId),
  );
}

export function describeLabels(c: LabelChange): string {
  return `${c.node.hostname}: ${[...Object.entries(c.add).map(([k, v]) => `+${k}=${v}`), ...c.remove.map((k) => `-${k}`)].join(' ')}`;
}
