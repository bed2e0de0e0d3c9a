// Which host labels are failure domains, and how one value of such a label is named. A label
// listed after another is nested in it, so rack r1 of zone a and rack r1 of zone b are two
// racks: zone=a/rack=r1 and zone=b/rack=r1.
import type { Inventory } from '../inventory/types.js';
import type { FailureDomains } from './types.js';

/**
 * The inventory's `failure_domains`, else the labels its ensembles spread over: those are the
 * labels the operator already treats as failure domains, whereas other labels may say anything
 * (disk type, owner, `env: prod`). A label every host carries with one value is left out:
 * losing it is losing every host, which tells nothing.
 */
export function failureDomainsOf(inv: Pick<Inventory, 'failureDomains' | 'hosts' | 'ensembles'>): FailureDomains {
  if (inv.failureDomains) return { labels: inv.failureDomains, source: 'inventory' };
  const spreadLabels = new Set(inv.ensembles.flatMap((e) => (e.placement.spread_label ? [e.placement.spread_label] : [])));
  const splitsHosts = (label: string) => new Set(inv.hosts.map((h) => h.labels[label])).size > 1;
  return { labels: [...spreadLabels].filter(splitsHosts), source: 'spread-labels' };
}

/**
 * The name of the failure domain of `label` that holds a host: `zone=a`, or, with `label` nested
 * in labels listed before it in `failure_domains`, `zone=a/rack=r1`. Undefined when the host
 * lacks the label. Only the inventory's own list nests: that is a claim about the physical
 * layout which the spread labels in use do not make, and naming r1 once where it is three racks
 * overstates a risk, never hides one.
 */
export function domainName(labels: Readonly<Record<string, string>>, label: string, failureDomains: FailureDomains): string | undefined {
  const value = labels[label];
  if (value === undefined) return undefined;
  const depth = failureDomains.source === 'inventory' ? failureDomains.labels.indexOf(label) : -1;
  if (depth <= 0) return `${label}=${value}`;
  const outer = failureDomains.labels.slice(0, depth).flatMap((l) => (labels[l] === undefined ? [] : [`${l}=${labels[l]}`]));
  return [...outer, `${label}=${value}`].join('/');
}
