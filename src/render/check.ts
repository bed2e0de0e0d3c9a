// Refuse what cannot work before rendering anything: a wrong target/network pairing or a
// --set for a variable the ensemble does not have would otherwise surface only at deploy time.
import { closest, UsageError } from '../common/problems.js';
import { isSingleHost, type NetworkMode } from '../inventory/types.js';
import type { EnsemblePlan } from '../plan/types.js';

export interface TargetRules {
  name: string;
  networks: readonly NetworkMode[];
  /** why an ensemble on another network cannot use the target */
  refusal: Partial<Record<NetworkMode, string>>;
}

export function checkCompatibility(rules: TargetRules, ensemble: EnsemblePlan): void {
  if (!rules.networks.includes(ensemble.network)) {
    const why = rules.refusal[ensemble.network];
    throw new UsageError(
      `target ${rules.name} needs an ensemble with network: ${rules.networks.join(' or ')}; ` +
        `ensemble ${ensemble.name} has network: ${ensemble.network}${why === undefined ? '' : ` (${why})`}`,
    );
  }
  if (isSingleHost(ensemble.network)) {
    const hosts = [...new Set(ensemble.servers.map((s) => s.host.name))];
    if (hosts.length > 1) {
      throw new UsageError(
        `network ${ensemble.network} is local to one Docker host; ensemble ${ensemble.name} is placed on ` +
          `${hosts.join(', ')} (use network host or overlay to span hosts)`,
      );
    }
  }
}

// The inventory's address syntax: an IP or DNS name. Anything else would need quoting in
// .env files and compose interpolation, and is not an address.
export const ADDRESS = /^[A-Za-z0-9]([A-Za-z0-9.:-]{0,252}[A-Za-z0-9])?$/;

export function checkOverrides(ensemble: EnsemblePlan, set: Record<string, string>): void {
  const known = ensemble.servers.map((s) => s.variable);
  for (const [key, value] of Object.entries(set).sort(([a], [b]) => a.localeCompare(b))) {
    if (!known.includes(key)) {
      const near = closest(key, known);
      throw new UsageError(
        `--set ${key}: ensemble ${ensemble.name} has no variable ${key}` +
          `${near === undefined ? '' : ` (did you mean ${near}?)`}; known: ${known.join(', ')}`,
      );
    }
    if (!ADDRESS.test(value)) {
      throw new UsageError(`--set ${key}=${JSON.stringify(value)}: not an IP address or DNS name`);
    }
  }
}
