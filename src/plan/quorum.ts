// Quorum size and failure-domain analysis: for every value of every failure-domain label and
// every host holding the ensemble's servers, does losing it alone lose the majority?
import { domainName } from './domains.js';
import type { DomainRisk, FailureDomains, PlannedHost, QuorumAnalysis } from './types.js';

export interface PlacedMember {
  role: 'participant' | 'observer';
  host: PlannedHost;
}

export function majorityOf(voters: number): number {
  return Math.floor(voters / 2) + 1;
}

/**
 * Rows go outermost domain first, hosts last. A row whose servers sit on the same hosts as an
 * earlier row (a zone with one host, and that host) is the same risk: it is folded into the
 * earlier row's `sameAs`.
 */
export function analyseQuorum(members: readonly PlacedMember[], failureDomains: FailureDomains): QuorumAnalysis {
  const voters = members.filter((m) => m.role === 'participant').length;
  const majority = majorityOf(voters);
  const dimensions: [string, (h: PlannedHost) => string | undefined][] = [
    ...failureDomains.labels.map((label): [string, (h: PlannedHost) => string | undefined] => [label, (h) => domainName(h.labels, label, failureDomains)]),
    ['host', (h) => `host=${h.name}`],
  ];
  const domains: DomainRisk[] = [];
  const byHosts = new Map<string, DomainRisk>();
  for (const [label, nameOf] of dimensions) {
    const names = [...new Set(members.map((m) => nameOf(m.host)).filter((v): v is string => v !== undefined))];
    for (const domain of names.sort(compareNames)) {
      const inDomain = members.filter((m) => nameOf(m.host) === domain);
      const hosts = [...new Set(inDomain.map((m) => m.host.name))];
      const key = [...hosts].sort().join('\0');
      const same = byHosts.get(key);
      if (same) {
        (same.sameAs ??= []).push(domain);
        continue;
      }
      const votersLost = inDomain.filter((m) => m.role === 'participant').length;
      const risk: DomainRisk = {
        domain,
        label,
        value: label === 'host' ? hosts[0]! : inDomain[0]!.host.labels[label]!,
        hosts,
        votersLost,
        votersLeft: voters - votersLost,
        quorumSurvives: voters - votersLost >= majority,
      };
      byHosts.set(key, risk);
      domains.push(risk);
    }
  }
  return {
    voters,
    observers: members.length - voters,
    majority,
    failuresTolerated: Math.max(0, voters - majority),
    domains,
    critical: domains.filter((d) => !d.quorumSurvives).map((d) => d.domain),
  };
}

/** zone=a/rack=r2 before zone=a/rack=r10: part by part, numbers by value. */
function compareNames(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const c = compareValues(pa[i]!.slice(pa[i]!.indexOf('=') + 1), pb[i]!.slice(pb[i]!.indexOf('=') + 1)) || compareValues(pa[i]!, pb[i]!);
    if (c !== 0) return c;
  }
  return pa.length - pb.length;
}

function compareValues(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (Number.isFinite(na) && Number.isFinite(nb) && na !== nb) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}
