// Which host runs which server: pinned by a label, spread over a failure-domain label,
// or all on one host for the single-host network methods.
import { isSingleHost, type EnsembleSpec, type Host, type YamlPath } from '../inventory/types.js';
import { FULL, HostPool, lighterDomain } from './host-pool.js';
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

export type Report = (path: YamlPath, message: string, severity?: 'error' | 'warning', at?: 'key' | 'value') => void;

const MAX_SERVER_ID = 255;

export function placeEnsemble(spec: EnsembleSpec, pool: HostPool, report: Report): Placement | undefined {
  const placement = chooseHosts(spec, pool, report);
  // spread counts its servers as it places them, so that they spread over the failure domains
  if (placement?.mode !== 'spread') for (const a of placement?.assignments ?? []) pool.add(a.host);
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
  if (pin !== undefined) {
    if (pool.carries(pin)) return pinned(spec, hosts, pin, total, roleOf, report);
    report(
      ['ensembles', spec.index, 'placement', 'pin_label'],
      `no host carries pin label "${pin}": ensemble "${spec.name}" needs hosts labelled ${pin}=1..${total}`,
      'error',
      'key',
    );
    return undefined;
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
 * Water-filling over the domains of the spread label: each server goes to a domain that holds
 * the fewest voters of this ensemble so far (observers: fewest members) and still has a free
 * host. This makes the most voters any single domain holds, what losing one domain costs, as
 * small as the hosts allow, and so does every number of domains lost together. Among such
 * domains the one whose emptiest free host runs the fewest servers of the whole inventory wins,
 * then the one in the failure domains running fewest servers per host (outermost first), then
 * the one itself running fewest per host; within it, the emptiest host (HostPool.lessLoaded).
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
  // Spread over hosts: the outermost failure domains hold the candidates, in any number each.
  const label = spec.placement.spread_label;
  const domains = label !== undefined ? pool.grouping(label) : pool.outermost();
  const count = domains.groups.length;
  const voters = new Int32Array(count);
  const members = new Int32Array(count);
  const unbounded = new Int32Array(count);
  const used = pool.usedBy;
  // Per domain, the load of its emptiest free host: its emptiest host until the ensemble uses
  // one of its hosts (free hosts gain no load while this ensemble is placed).
  const emptiest = Int32Array.from(domains.minLoad);
  const lighterThan = (a: number, b: number) => {
    const outer = pool.lighterOuter(domains, a, b);
    return outer !== 0 ? outer < 0 : lighterDomain(domains, a, b) < 0;
  };
  const assignments: Assignment[] = [];
  for (const id of ids(total)) {
    const role = roleOf(id);
    const held = label === undefined ? unbounded : role === 'participant' ? voters : members;
    let best = -1;
    for (let d = 0; d < count; d++) {
      if (emptiest[d] === FULL) continue;
      if (best < 0 || held[d]! < held[best]!) best = d;
      else if (held[d] === held[best] && (emptiest[d]! < emptiest[best]! || (emptiest[d] === emptiest[best] && lighterThan(d, best)))) best = d;
    }
    // The emptiest free host of the domain, and the load of the next emptiest. When no failure
    // domain splits this domain, ties go by inventory order: the scan stops at the second free
    // host with the lowest load possible.
    const floor = emptiest[best]!;
    const split = pool.tieBreaksSplit(domains, best);
    let host = -1;
    let others = FULL;
    for (const h of domains.groups[best]!) {
      const i = h.index;
      if (used[i] === spec.index) continue;
      const load = pool.load[i]!;
      if (host < 0) host = i;
      else if (load < pool.load[host]! || (load === pool.load[host] && split && pool.lessLoaded(i, host))) {
        others = Math.min(others, pool.load[host]!);
        host = i;
      } else others = Math.min(others, load);
      if (!split && others === floor) break;
    }
    used[host] = spec.index;
    pool.add(hosts[host]!);
    emptiest[best] = others;
    members[best]!++;
    if (role === 'participant') voters[best]!++;
    assignments.push({ id, role, host: hosts[host]!, constraint: { kind: 'hostname', value: hosts[host]!.name } });
  }
  return { mode: 'spread', assignments };
}

