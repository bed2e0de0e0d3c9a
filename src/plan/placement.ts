// Which host runs which server: pinned by a label, spread over a failure-domain label,
// or all on one host for the single-host network methods.
import type { EnsembleSpec, Host, YamlPath } from '../inventory/types.js';
import type { PlacementConstraint } from './types.js';

export interface Assignment {
  id: number;
  role: 'participant' | 'observer';
  host: Host;
  constraint: PlacementConstraint;
}

export interface Placement {
  mode: 'pinned' | 'spread' | 'single-host';
  assignments: Assignment[];
}

export type Report = (path: YamlPath, message: string, severity?: 'error' | 'warning') => void;

export const SINGLE_HOST_NETWORKS = new Set(['bridge', 'links', 'static-ip']);
const MAX_SERVER_ID = 255;

export function placeEnsemble(spec: EnsembleSpec, hosts: readonly Host[], report: Report): Placement | undefined {
  const total = spec.servers + spec.observers;
  const roleOf = (id: number) => (id <= spec.servers ? 'participant' : 'observer') as Assignment['role'];
  if (total > MAX_SERVER_ID) {
    report(['ensembles', spec.index, 'observers'], `ensemble "${spec.name}" has ${total} members; ZooKeeper server ids stop at ${MAX_SERVER_ID}`);
    return undefined;
  }

  if (SINGLE_HOST_NETWORKS.has(spec.network)) {
    const host = hosts.find((h) => h.name === spec.host) ?? hosts[0]!;
    const constraint: PlacementConstraint = { kind: 'hostname', value: host.name };
    return { mode: 'single-host', assignments: ids(total).map((id) => ({ id, role: roleOf(id), host, constraint })) };
  }

  const pin = spec.placement.pin_label;
  if (pin !== undefined && hosts.some((h) => h.labels[pin] !== undefined)) {
    return pinned(spec, hosts, pin, total, roleOf, report);
  }
  return spread(spec, hosts, total, roleOf, report);
}

function ids(total: number): number[] {
  return Array.from({ length: total }, (_, i) => i + 1);
}

function pinned(
  spec: EnsembleSpec,
  hosts: readonly Host[],
  pin: string,
  total: number,
  roleOf: (id: number) => Assignment['role'],
  report: Report,
): Placement | undefined {
  const byValue = new Map<number, Host>();
  let ok = true;
  for (const host of hosts) {
    const raw = host.labels[pin];
    if (raw === undefined) continue;
    const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
    const path = ['hosts', host.index, 'labels', pin];
    if (!(value >= 1 && value <= MAX_SERVER_ID)) {
      report(path, `pin label ${pin}=${raw} on host "${host.name}" is out of range: it must be a server id from 1 to ${MAX_SERVER_ID}`);
      ok = false;
      continue;
    }
    const other = byValue.get(value);
    if (other) {
      report(path, `duplicate pin label ${pin}=${raw}: hosts "${other.name}" and "${host.name}" both carry it`);
      ok = false;
      continue;
    }
    byValue.set(value, host);
  }
  const missing = ids(total).filter((id) => !byValue.has(id));
  if (missing.length > 0) {
    const carried = [...byValue.keys()].sort((a, b) => a - b);
    report(
      ['ensembles', spec.index, 'servers'],
      `ensemble "${spec.name}" needs ${total} hosts pinned by ${pin}=1..${total}, but no host has ${pin}=${missing.join(', ')}` +
        ` (hosts carry ${carried.length ? carried.join(', ') : 'no valid value'})`,
    );
    ok = false;
  }
  if (!ok) return undefined;
  return {
    mode: 'pinned',
    assignments: ids(total).map((id) => {
      const host = byValue.get(id)!;
      return { id, role: roleOf(id), host, constraint: { kind: 'label', label: pin, value: host.labels[pin]! } };
    }),
  };
}

/**
 * Water-filling over failure domains: each server goes to the domain that holds the fewest
 * voters so far (observers: fewest members) and still has a free host. This minimises the
 * largest number of voters any single domain holds, i.e. what losing one domain costs.
 */
function spread(
  spec: EnsembleSpec,
  hosts: readonly Host[],
  total: number,
  roleOf: (id: number) => Assignment['role'],
  report: Report,
): Placement | undefined {
  if (total > hosts.length) {
    report(
      ['ensembles', spec.index, 'servers'],
      `ensemble "${spec.name}" needs ${total} hosts (one server per host under ${spec.network} networking) but the inventory has ${hosts.length} eligible host${hosts.length === 1 ? '' : 's'}`,
    );
    return undefined;
  }
  const label = spec.placement.spread_label;
  const domains = new Map<string, { free: Host[]; voters: number; members: number }>();
  for (const host of hosts) {
    const key = label === undefined ? host.name : (host.labels[label] ?? '');
    const domain = domains.get(key) ?? { free: [], voters: 0, members: 0 };
    domain.free.push(host);
    domains.set(key, domain);
  }
  const assignments: Assignment[] = [];
  for (const id of ids(total)) {
    const role = roleOf(id);
    let best: { voters: number; members: number; free: Host[] } | undefined;
    for (const d of domains.values()) {
      if (d.free.length === 0) continue;
      const load = role === 'participant' ? d.voters : d.members;
      const bestLoad = best ? (role === 'participant' ? best.voters : best.members) : Infinity;
      if (load < bestLoad || (load === bestLoad && best && d.free.length > best.free.length)) best = d;
    }
    const host = best!.free.shift()!;
    best!.members++;
    if (role === 'participant') best!.voters++;
    assignments.push({ id, role, host, constraint: { kind: 'hostname', value: host.name } });
  }
  return { mode: 'spread', assignments };
}
