// Balance of spread placement over several ensembles: property tests of the guarantees the
// README states under "How the planner decides".
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { planInventory } from '../../src/plan/plan.js';
import type { Plan } from '../../src/plan/types.js';
import { inventoryFrom } from './helpers/inventory.js';

interface Data {
  failure_domains?: string[];
  hosts: { name: string; address: string; labels: Record<string, string | number> }[];
  ensembles: {
    name: string;
    servers: number;
    observers: number;
    image: string;
    network: string;
    placement: { pin_label?: string; spread_label?: string };
  }[];
}

/** Any mix: zones and racks (some hosts unlabelled), pinned, spread and single-host ensembles. */
const mixedArb: fc.Arbitrary<Data> = fc
  .record({
    hosts: fc.array(fc.record({ zone: fc.option(fc.constantFrom('a', 'b', 'c', 'd'), { nil: undefined, freq: 6 }), rack: fc.constantFrom('r1', 'r2') }), {
      minLength: 1,
      maxLength: 14,
    }),
    nested: fc.boolean(),
    ensembles: fc.array(
      fc.record({
        servers: fc.integer({ min: 1, max: 7 }),
        observers: fc.integer({ min: 0, max: 2 }),
        network: fc.constantFrom('host', 'host', 'overlay', 'bridge'),
        pinned: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
        spread: fc.constantFrom(undefined, 'zone', 'rack'),
      }),
      { minLength: 1, maxLength: 6 },
    ),
  })
  .map(({ hosts, nested, ensembles }) => ({
    ...(nested ? { failure_domains: ['zone', 'rack'] } : {}),
    hosts: hosts.map((h, i) => ({
      name: `h${i + 1}`,
      address: `192.0.2.${i + 1}`,
      // a declared failure domain must be carried by some host
      labels: { idx: i + 1, rack: h.rack, ...(h.zone || (nested && i === 0) ? { zone: h.zone ?? 'a' } : {}) },
    })),
    ensembles: ensembles.map((e, i) => {
      const servers = Math.min(e.servers, hosts.length);
      return {
        name: `e${i}`,
        servers,
        observers: Math.min(e.observers, hosts.length - servers),
        image: 'zookeeper:3.9',
        network: e.network,
        placement: e.pinned ? { pin_label: 'idx' } : e.spread ? { spread_label: e.spread } : {},
      };
    }),
  }));

/** z zones of s hosts each, listed grouped or interleaved, zone a failure domain; ensembles spread over zones or hosts. */
const equalZonesArb = fc
  .record({
    zones: fc.integer({ min: 1, max: 5 }),
    size: fc.integer({ min: 1, max: 6 }),
    interleaved: fc.boolean(),
    ensembles: fc.array(
      fc.record({ servers: fc.integer({ min: 1, max: 7 }), observers: fc.integer({ min: 0, max: 2 }), spread: fc.constantFrom('zone', undefined) }),
      { minLength: 1, maxLength: 8 },
    ),
  })
  .map(({ zones, size, interleaved, ensembles }) => {
    const n = zones * size;
    const data: Data = {
      failure_domains: ['zone'],
      hosts: Array.from({ length: n }, (_, i) => ({
        name: `h${i + 1}`,
        address: `192.0.2.${i + 1}`,
        labels: { zone: `z${interleaved ? i % zones : Math.floor(i / size)}` },
      })),
      ensembles: ensembles.map((e, i) => {
        const servers = Math.min(e.servers, n);
        return {
          name: `e${i}`,
          servers,
          observers: Math.min(e.observers, n - servers),
          image: 'zookeeper:3.9',
          network: 'host',
          placement: e.spread ? { spread_label: e.spread } : {},
        };
      }),
    };
    return data;
  });

/** The spread domain of a host: its label's value, named by its path when the label is nested in declared failure domains. */
function domainOf(labels: Record<string, string>, label: string | undefined, failureDomains: string[]): string {
  if (label === undefined) return '';
  const depth = failureDomains.indexOf(label);
  const path = depth < 0 ? [label] : failureDomains.slice(0, depth + 1);
  return path.map((l) => `${l}=${labels[l] ?? ''}`).join('/');
}

/** A generated host's labels as the plan carries them: strings. */
function labelsOf(h: Data['hosts'][number]): Record<string, string> {
  return Object.fromEntries(Object.entries(h.labels).map(([k, v]) => [k, String(v)]));
}

/** Per host, how many servers the ensembles before ensemble i put on it (inventory order is placement order). */
function loadsBefore(plan: Plan, i: number): Map<string, number> {
  const load = new Map<string, number>();
  for (const e of plan.ensembles.slice(0, i)) for (const s of e.servers) load.set(s.host.name, (load.get(s.host.name) ?? 0) + 1);
  return load;
}

function perHost(plan: Plan): Map<string, number> {
  return loadsBefore(plan, plan.ensembles.length);
}

/**
 * The hosts a server of a spread ensemble could move to without making its ensemble any less
 * spread: free of the ensemble, and in the same domain or in one holding one voter fewer
 * (observers: one member fewer), which leaves the ensemble's counts per domain the same numbers.
 */
function eligibleHosts(data: Data, plan: Plan, i: number, serverIndex: number): string[] {
  const e = plan.ensembles[i]!;
  const label = data.ensembles[i]!.placement.spread_label;
  const fd = data.failure_domains ?? [];
  const domain = (labels: Record<string, string>) => domainOf(labels, label, fd);
  const s = e.servers[serverIndex]!;
  const counted = e.servers.filter((x) => s.role === 'observer' || x.role === 'participant');
  const count = (d: string) => counted.filter((x) => domain(x.host.labels) === d).length;
  const used = new Set(e.servers.map((x) => x.host.name));
  const here = domain(s.host.labels);
  return data.hosts
    .filter((h) => !used.has(h.name))
    .filter((h) => {
      const there = domain(labelsOf(h));
      return there === here || count(there) === count(here) - 1;
    })
    .map((h) => h.name);
}

describe('spread placement over several ensembles', () => {
  it('puts every server of a spread ensemble on a host no more loaded than any host it could have used instead', () => {
    fc.assert(
      fc.property(mixedArb, (data) => {
        const plan = planInventory(inventoryFrom(data));
        for (const [i, e] of plan.ensembles.entries()) {
          if (e.placement.mode !== 'spread') continue;
          const before = loadsBefore(plan, i);
          for (const [k, s] of e.servers.entries()) {
            for (const other of eligibleHosts(data, plan, i, k)) {
              assert.ok(
                (before.get(s.host.name) ?? 0) <= (before.get(other) ?? 0),
                `${e.name}/${s.id} went to ${s.host.name} (${before.get(s.host.name) ?? 0} servers) though ${other} ran ${before.get(other) ?? 0}`,
              );
            }
          }
        }
      }),
      { numRuns: 400 },
    );
  });

  it('never leaves a host empty while one holds two and could have given one of them to it', () => {
    fc.assert(
      fc.property(mixedArb, (data) => {
        const plan = planInventory(inventoryFrom(data));
        const load = perHost(plan);
        for (const [name, n] of load) {
          if (n < 2) continue;
          // the last ensemble that put a server on this host
          const i = plan.ensembles.findLastIndex((e) => e.servers.some((s) => s.host.name === name));
          const e = plan.ensembles[i]!;
          if (e.placement.mode !== 'spread') continue;
          const k = e.servers.findIndex((s) => s.host.name === name);
          for (const other of eligibleHosts(data, plan, i, k)) assert.notEqual(load.get(other) ?? 0, 0, `${name} holds ${n} while ${other} holds none`);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('keeps each ensemble as spread as the hosts allow: the most voters in one domain is the least possible', () => {
    fc.assert(
      fc.property(mixedArb, (data) => {
        const plan = planInventory(inventoryFrom(data));
        for (const [i, e] of plan.ensembles.entries()) {
          const label = data.ensembles[i]!.placement.spread_label;
          if (e.placement.mode !== 'spread' || !label) continue;
          const fd = data.failure_domains ?? [];
          const name = (labels: Record<string, string>) => domainOf(labels, label, fd);
          const capacity = new Map<string, number>();
          for (const h of data.hosts) {
            const d = name(labelsOf(h));
            capacity.set(d, (capacity.get(d) ?? 0) + 1);
          }
          const voters = new Map<string, number>();
          for (const s of e.servers.filter((x) => x.role === 'participant')) voters.set(name(s.host.labels), (voters.get(name(s.host.labels)) ?? 0) + 1);
          let optimal = 0;
          while ([...capacity.values()].reduce((sum, c) => sum + Math.min(c, optimal), 0) < e.quorum.voters) optimal++;
          assert.equal(Math.max(...voters.values()), optimal);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('with zones of equal size, zones and hosts differ by at most one server', () => {
    fc.assert(
      fc.property(equalZonesArb, (data) => {
        const plan = planInventory(inventoryFrom(data));
        const hostLoad = perHost(plan);
        const hosts = data.hosts.map((h) => hostLoad.get(h.name) ?? 0);
        assert.ok(Math.max(...hosts) - Math.min(...hosts) <= 1, `host loads ${hosts.join(' ')}`);
        const zoneLoad = new Map<string, number>();
        for (const h of data.hosts) zoneLoad.set(String(h.labels.zone), (zoneLoad.get(String(h.labels.zone)) ?? 0) + (hostLoad.get(h.name) ?? 0));
        const zones = [...zoneLoad.values()];
        assert.ok(Math.max(...zones) - Math.min(...zones) <= 1, `zone loads ${zones.join(' ')}`);
      }),
      { numRuns: 400 },
    );
  });
});
