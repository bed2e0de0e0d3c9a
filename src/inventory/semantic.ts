// Checks across entries that JSON Schema cannot express: uniqueness and references.
import type { Problem } from '../common/problems.js';
import type { Inventory, YamlPath } from './types.js';

export interface SemanticCheck {
  problems: Problem[];
  /** Indexes of hosts and ensembles that cannot be planned as written (a repeated name, an unknown host). */
  brokenHosts: number[];
  brokenEnsembles: number[];
}

/** `hostNames`: every host name the inventory writes, also of hosts the schema rejected. */
export function semanticCheck(inv: Inventory, hostNames: ReadonlySet<string>): SemanticCheck {
  const problems: Problem[] = [];
  const brokenHosts: number[] = [];
  const brokenEnsembles: number[] = [];
  const error = (path: YamlPath, message: string) => problems.push({ ...inv.at(path), message, severity: 'error' });

  const firstHostByName = new Map<string, number>();
  const firstHostByAddress = new Map<string, number>();
  for (const host of inv.hosts) {
    const sameName = firstHostByName.get(host.name);
    if (sameName !== undefined) {
      error(['hosts', host.index, 'name'], `duplicate host name "${host.name}" (first used by hosts[${sameName}])`);
      brokenHosts.push(host.index);
    } else firstHostByName.set(host.name, host.index);
    const address = host.address.toLowerCase();
    const sameAddress = firstHostByAddress.get(address);
    if (sameAddress !== undefined) {
      error(['hosts', host.index, 'address'], `duplicate host address "${host.address}" (also host "${inv.hosts.find((h) => h.index === sameAddress)!.name}")`);
    } else firstHostByAddress.set(address, host.index);
  }

  const firstEnsemble = new Map<string, number>();
  for (const e of inv.ensembles) {
    const same = firstEnsemble.get(e.name);
    if (same !== undefined) {
      error(['ensembles', e.index, 'name'], `duplicate ensemble name "${e.name}" (first used by ensembles[${same}])`);
      brokenEnsembles.push(e.index);
    } else firstEnsemble.set(e.name, e.index);
    if (e.host !== undefined && !hostNames.has(e.host)) {
      error(['ensembles', e.index, 'host'], `unknown host "${e.host}"; the inventory's hosts are ${[...hostNames].join(', ')}`);
      brokenEnsembles.push(e.index);
    }
  }
  for (const [i, label] of (inv.failureDomains ?? []).entries()) {
    if (!inv.hosts.some((h) => h.labels[label] !== undefined)) {
      error(['failure_domains', i], `no host carries label "${label}" named as a failure domain (hosts are failure domains without being named)`);
    }
  }
  if (inv.swarmManager !== undefined && !hostNames.has(inv.swarmManager)) {
    error(['swarm', 'manager'], `unknown host "${inv.swarmManager}" named as Swarm manager`);
  }
  const managers = inv.hosts.filter((h) => h.swarm === 'manager');
  if (managers.length > 1) error(['hosts', managers[1]!.index, 'swarm'], `more than one host is flagged "swarm: manager" (${managers.map((h) => h.name).join(', ')}); name one in swarm.manager`);
  return { problems, brokenHosts, brokenEnsembles };
}
