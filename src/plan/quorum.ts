// Quorum size and failure-domain analysis: for every host and every value of every label
// carried by the ensemble's hosts, does losing it alone lose the majority?
import type { DomainRisk, PlannedHost, QuorumAnalysis } from './types.js';

export interface PlacedMember {
  role: 'participant' | 'observer';
  host: PlannedHost;
}

export function majorityOf(voters: number): number {
  return Math.floor(voters / 2) + 1;
}

export function analyseQuorum(members: readonly PlacedMember[]): QuorumAnalysis {
  const voters = members.filter((m) => m.role === 'participant').length;
  const majority = majorityOf(voters);
  const domains: DomainRisk[] = [];
  const labelKeys = [...new Set(members.flatMap((m) => Object.keys(m.host.labels)))].sort();
  const dimensions: [string, (h: PlannedHost) => string | undefined][] = [
    ['host', (h) => h.name],
    ...labelKeys.map((k): [string, (h: PlannedHost) => string | undefined] => [k, (h) => h.labels[k]]),
  ];
  for (const [label, valueOf] of dimensions) {
    const values = [...new Set(members.map((m) => valueOf(m.host)).filter((v): v is string => v !== undefined))];
    for (const value of values.sort(compareValues)) {
      const inDomain = members.filter((m) => valueOf(m.host) === value);
      const votersLost = inDomain.filter((m) => m.role === 'participant').length;
      domains.push({
        label,
        value,
        hosts: [...new Set(inDomain.map((m) => m.host.name))],
        votersLost,
        votersLeft: voters - votersLost,
        quorumSurvives: voters - votersLost >= majority,
      });
    }
  }
  return {
    voters,
    observers: members.length - voters,
    majority,
    failuresTolerated: Math.max(0, voters - majority),
    domains,
    critical: domains.filter((d) => !d.quorumSurvives).map((d) => `${d.label}=${d.value}`),
  };
}

function compareValues(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}
