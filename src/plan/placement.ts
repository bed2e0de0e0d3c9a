// Which host runs which server: pinned by a label, spread over a failure-domain label,
// or all on one host for the single-host network methods.
import { isSingleHost, type EnsembleSpec, type Host, type YamlPath } from '../inventory/types.js';
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

/** `which`: the problem is about a mapping key (its position), not its value. */
export type Report = (path: YamlPath, message: string, severity?: 'error' | 'warning', which?: 'key' | 'value') => void;

const MAX_SERVER_ID = 255;

/**
 * Shared state across the ensembles of one inventory: hosts grouped by label value (built
 * once per label, not once per ensemble) and how many servers each host already runs, so
 * that spread placement fills the emptiest hosts first.
 */
export class HostPool {
  readonly load: Int32Array;
  private readonly groups = new Map<string, Host[][]>();

  constructor(readonly hosts: readonly Host[]) {
    this.load = new Int32Array(hosts.length);
  }

  /** Hosts grouped by the label's value, in order of first appearance; without a label, one group per host. */
  domains(label: string | undefined): Host[][] {
    const key = label ?? '\0host';
    let groups = this.groups.get(key);
    if (!groups) {
      const byValue = new Map<string, Host[]>();
      for (const h of this.hosts) {
        const value = label === undefined ? h.name : (h.labels[label] ?? '');
        const group = byValue.get(value);
        if (group) group.push(h);
        else byValue.set(value, [h]);
      }
      groups = [...byValue.values()];
      this.groups.set(key, groups);
    }
    return groups;
  }

  carries(label: string): boolean {
    return this.domains(label).some((g) => g[0]!.labels[label] !== undefined);
  }
}

export function placeEnsemble(spec: EnsembleSpec, pool: HostPool, report: Report): Placement | undefined {
  const placement = chooseHosts(spec, pool, report);
  for (const a of placement?.assignments ?? []) pool.load[a.host.index]!++;
  return placement;
}

function chooseHosts(spec: EnsembleSpec, pool: HostPool, report: Report): Placement | undefined {
  const hosts = pool.hosts;
  const total = spec.servers + spec.observers;
  const roleOf = (id: number) => (id <= spec.servers ? 'participant' : 'observer') as Assignment['role'];
  if (total > MAX_SERVER_ID) {
    report(['ensembles', spec.index, 'observers'], `ensemble "${spec.name}" has ${total} members; ZooKeeper server ids stop at ${MAX_SERVER_ID}`);
    return undefined;
  }

  if (isSingleHost(spec.network)) {
    const host = hosts.find((h) => h.name === spec.host) ?? hosts[0]!;
    const constraint: PlacementConstraint = { kind: 'hostname', value: host.name };
    return { mode: 'single-host', assignments: ids(total).map((id) => ({ id, role: roleOf(id), host, constraint })) };
  }

  const pin = spec.placement.pin_label;
  if (pin !== undefined && pool.carries(pin)) {
    return pinned(spec, hosts, pin, total, roleOf, report);
  }
  return spread(spec, pool, total, roleOf, report);
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
 * Within a domain the host with the fewest servers of earlier ensembles wins.
 */
function spread(
  spec: EnsembleSpec,
  pool: HostPool,
  total: number,
  roleOf: (id: number) => Assignment['role'],
  report: Report,
): Placement | undefined {
  const hosts = pool.hosts;
  if (total > hosts.length) {
    report(
      ['ensembles', spec.index, 'servers'],
      `ensemble "${spec.name}" needs ${total} hosts (one server per host under ${spec.network} networking) but the inventory has ${hosts.length} eligible host${hosts.length === 1 ? '' : 's'}`,
    );
    return undefined;
  }
  const domains = pool.domains(spec.placement.spread_label).map((group) => ({ group, used: new Set<number>(), voters: 0, members: 0 }));
  const assignments: Assignment[] = [];
  for (const id of ids(total)) {
    const role = roleOf(id);
    const weight = (d: (typeof domains)[number]) => (role === 'participant' ? d.voters : d.members);
    let best: (typeof domains)[number] | undefined;
    for (const d of domains) {
      const free = d.group.length - d.used.size;
      if (free === 0) continue;
      if (!best || weight(d) < weight(best) || (weight(d) === weight(best) && free > best.group.length - best.used.size)) best = d;
    }
    let host: Host | undefined;
    for (const h of best!.group) {
      if (!best!.used.has(h.index) && (host === undefined || pool.load[h.index]! < pool.load[host.index]!)) host = h;
    }
    best!.used.add(host!.index);
    best!.members++;
    if (role === 'participant') best!.voters++;
    assignments.push({ id, role, host: host!, constraint: { kind: 'hostname', value: host!.name } });
  }
  return { mode: 'spread', assignments };
}
