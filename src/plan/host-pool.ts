// The hosts of an inventory as spread placement sees them: grouped into the domains of a label,
// with how many servers each host and each domain runs so far.
import type { Host } from '../inventory/types.js';
import { domainName } from './domains.js';
import type { FailureDomains } from './types.js';

/** A load no host reaches: the emptiest free host of a domain that has none. */
export const FULL = 0x7fffffff;

/** The hosts grouped into the domains of one label, and how many servers each domain runs. */
export interface Grouping {
  /** per domain, its hosts in inventory order; domains in order of first appearance */
  groups: Host[][];
  /** per domain, its name (undefined: the hosts that lack the label) */
  names: (string | undefined)[];
  /** per host index, its domain */
  domainOf: Int32Array;
  /** per domain, the servers its hosts run so far */
  load: Int32Array;
  /** per domain, the fewest servers one of its hosts runs, and how many hosts run that few */
  minLoad: Int32Array;
  atMin: Int32Array;
  /** per failure domain label, per domain: the failure domain holding all of it, or -1 when none does */
  within?: Int32Array[];
}

/**
 * Shared state across the ensembles of one inventory: hosts grouped by label (built once per
 * label, not once per ensemble) and how many servers each host and each domain already runs,
 * so that spread placement fills the emptiest hosts of the emptiest failure domains first.
 */
export class HostPool {
  readonly load: Int32Array;
  /** per host, the index of the last ensemble spread onto it: the hosts an ensemble already uses */
  readonly usedBy: Int32Array;
  private readonly slots: number;
  private readonly groupings = new Map<string, Grouping>();
  /** the failure domains, outermost first: they break ties between equally loaded hosts */
  private readonly tieBreaks: Grouping[];

  constructor(
    readonly hosts: readonly Host[],
    readonly failureDomains: FailureDomains = { labels: [], source: 'spread-labels' },
  ) {
    // indexes are positions in the inventory as written, which hosts left out for errors keep
    this.slots = hosts.reduce((n, h) => Math.max(n, h.index + 1), 0);
    this.load = new Int32Array(this.slots);
    this.usedBy = new Int32Array(this.slots).fill(-1);
    this.tieBreaks = failureDomains.labels.map((label) => this.grouping(label));
  }

  /** Hosts grouped by the label's domain (nested failure domains by their path); without a label, one group of every host. */
  grouping(label: string | undefined): Grouping {
    const key = label ?? '';
    let grouping = this.groupings.get(key);
    if (!grouping) {
      const byName = new Map<string | undefined, number>();
      const groups: Host[][] = [];
      const domainOf = new Int32Array(this.slots);
      for (const h of this.hosts) {
        const name = label === undefined ? '' : domainName(h.labels, label, this.failureDomains);
        let d = byName.get(name);
        if (d === undefined) {
          d = groups.length;
          byName.set(name, d);
          groups.push([]);
        }
        groups[d]!.push(h);
        domainOf[h.index] = d;
      }
      const load = new Int32Array(groups.length);
      for (const h of this.hosts) load[domainOf[h.index]!]! += this.load[h.index]!;
      grouping = { groups, names: [...byName.keys()], domainOf, load, minLoad: new Int32Array(groups.length), atMin: new Int32Array(groups.length) };
      for (let d = 0; d < groups.length; d++) this.findMin(grouping, d);
      this.groupings.set(key, grouping);
    }
    return grouping;
  }

  /** The outermost failure domains, or one group of every host. */
  outermost(): Grouping {
    return this.tieBreaks[0] ?? this.grouping(undefined);
  }

  carries(label: string): boolean {
    return this.hosts.some((h) => h.labels[label] !== undefined);
  }

  /** Counts one more server on the host. */
  add(host: Host): void {
    const before = this.load[host.index]!++;
    for (const g of this.groupings.values()) {
      const d = g.domainOf[host.index]!;
      g.load[d]!++;
      if (before === g.minLoad[d] && --g.atMin[d]! === 0) this.findMin(g, d);
    }
  }

  private findMin(g: Grouping, d: number): void {
    let min = FULL;
    let at = 0;
    for (const h of g.groups[d]!) {
      const load = this.load[h.index]!;
      if (load < min) [min, at] = [load, 1];
      else if (load === min) at++;
    }
    g.minLoad[d] = min;
    g.atMin[d] = at;
  }

  /** Whether some failure domain holds only part of domain d of the grouping (its hosts' ties are then broken by load). */
  tieBreaksSplit(g: Grouping, d: number): boolean {
    return this.within(g).some((w) => w[d] === -1);
  }

  /**
   * Negative when domain a of the grouping lies in a failure domain running fewer servers per
   * host than the one domain b lies in (outermost first), positive when more, else 0.
   */
  lighterOuter(g: Grouping, a: number, b: number): number {
    const within = this.within(g);
    for (const [t, w] of this.tieBreaks.entries()) {
      const [wa, wb] = [within[t]![a]!, within[t]![b]!];
      if (wa < 0 || wb < 0 || wa === wb) continue;
      const lighter = lighterDomain(w, wa, wb);
      if (lighter !== 0) return lighter;
    }
    return 0;
  }

  private within(g: Grouping): Int32Array[] {
    g.within ??= this.tieBreaks.map((t) =>
      Int32Array.from(g.groups, (group) => {
        const first = t.domainOf[group[0]!.index]!;
        return group.every((h) => t.domainOf[h.index] === first) ? first : -1;
      }),
    );
    return g.within;
  }

  /**
   * Whether host a is the better place for one more server than host b: it runs fewer servers;
   * on a tie its failure domains, outermost first, run fewer servers per host; then inventory order.
   */
  lessLoaded(a: number, b: number): boolean {
    if (this.load[a] !== this.load[b]) return this.load[a]! < this.load[b]!;
    for (const g of this.tieBreaks) {
      const lighter = lighterDomain(g, g.domainOf[a]!, g.domainOf[b]!);
      if (lighter !== 0) return lighter < 0;
    }
    return a < b;
  }
}

/** Negative when domain a runs fewer servers per host than domain b, positive when more. */
export function lighterDomain(g: Grouping, a: number, b: number): number {
  return g.load[a]! * g.groups[b]!.length - g.load[b]! * g.groups[a]!.length;
}

