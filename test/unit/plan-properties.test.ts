// Property-based tests of the planner over generated inventories.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { planInventory } from '../../src/plan/plan.js';
import type { EnsemblePlan } from '../../src/plan/types.js';
import { inventoryFrom } from './helpers/inventory.js';

const zoneNames = ['a', 'b', 'c', 'd'];

const inventoryArb = fc
  .record({
    zones: fc.array(fc.option(fc.constantFrom(...zoneNames), { nil: undefined, freq: 6 }), { minLength: 1, maxLength: 12 }),
    ensembles: fc.array(
      fc.record({
        servers: fc.integer({ min: 1, max: 7 }),
        observers: fc.integer({ min: 0, max: 2 }),
        network: fc.constantFrom('host', 'overlay'),
        pinned: fc.boolean(),
        spread: fc.boolean(),
      }),
      { minLength: 1, maxLength: 3 },
    ),
  })
  .map(({ zones, ensembles }) => ({
    hosts: zones.map((zone, i) => ({
      name: `h${i + 1}`,
      address: `192.0.2.${i + 1}`,
      labels: { idx: i + 1, ...(zone ? { zone } : {}) },
    })),
    ensembles: ensembles
      .map((e, i) => ({
        name: `e${i}`,
        servers: Math.min(e.servers, zones.length),
        observers: Math.min(e.observers, zones.length - Math.min(e.servers, zones.length)),
        image: 'zookeeper:3.9',
        network: e.network,
        placement: { ...(e.pinned ? { pin_label: 'idx' } : {}), ...(e.spread ? { spread_label: 'zone' } : {}) },
      })),
  }));

describe('planner properties', () => {
  it('places every server exactly once, never two of one host-network ensemble on one host', () => {
    fc.assert(
      fc.property(inventoryArb, (data) => {
        const plan = planInventory(inventoryFrom(data));
        for (const [i, e] of plan.ensembles.entries()) {
          const spec = data.ensembles[i]!;
          assert.deepEqual(e.servers.map((s) => s.id), Array.from({ length: spec.servers + spec.observers }, (_, k) => k + 1));
          assert.equal(new Set(e.servers.map((s) => s.host.name)).size, e.servers.length, 'one server per host');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never lets two ensembles share a host port', () => {
    fc.assert(
      fc.property(inventoryArb, (data) => {
        const plan = planInventory(inventoryFrom(data));
        const used = new Map<string, string>();
        for (const e of plan.ensembles) {
          for (const s of e.servers) {
            for (const port of hostPorts(e, s.ports)) {
              const key = `${s.host.name}:${port}`;
              const owner = used.get(key);
              assert.ok(owner === undefined || owner === e.name, `${key} used by ${owner} and ${e.name}`);
              used.set(key, e.name);
            }
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('is deterministic: the same inventory gives the same plan, byte for byte', () => {
    fc.assert(
      fc.property(inventoryArb, (data) => {
        const first = JSON.stringify(planInventory(inventoryFrom(data)));
        const second = JSON.stringify(planInventory(inventoryFrom(structuredClone(data))));
        assert.equal(first, second);
      }),
      { numRuns: 200 },
    );
  });

  it('says quorum survives a domain exactly when the voters left are a majority', () => {
    fc.assert(
      fc.property(inventoryArb, (data) => {
        for (const e of planInventory(inventoryFrom(data)).ensembles) {
          for (const d of e.quorum.domains) {
            assert.equal(d.quorumSurvives, d.votersLeft > e.quorum.voters / 2);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});

function hostPorts(e: EnsemblePlan, p: EnsemblePlan['servers'][number]['ports']): number[] {
  if (e.network === 'host') return [p.client, p.quorum, p.election, ...(p.admin ? [p.admin] : [])];
  return [p.client];
}
