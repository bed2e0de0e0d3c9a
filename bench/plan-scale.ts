// Planning time for a generated 10,000-host / 2,000-ensemble inventory (median of runs).
import { stringify } from 'yaml';
import { loadInventory } from '../src/inventory/load.js';
import { planInventory } from '../src/plan/plan.js';
import type { Plan } from '../src/plan/types.js';

const HOSTS = Number(process.env.HOSTS ?? 10_000);
const ENSEMBLES = Number(process.env.ENSEMBLES ?? 2_000);
const RUNS = Number(process.env.RUNS ?? 5);

export function generatedInventory(hostCount: number, ensembleCount: number): string {
  const hosts = Array.from({ length: hostCount }, (_, i) => ({
    name: `host${i + 1}`,
    address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    labels: { zone: `zone-${i % 20}`, rack: `rack-${i % 200}` },
  }));
  const ensembles = Array.from({ length: ensembleCount }, (_, i) => ({
    name: `zk${i + 1}`,
    servers: [3, 5, 7][i % 3],
    observers: i % 10 === 0 ? 1 : 0,
    image: 'zookeeper:3.9',
    profile: 'official',
    network: 'host',
    placement: { spread_label: 'zone' },
  }));
  return stringify({ hosts, ensembles });
}

/** How evenly the servers sit on the hosts and zones: the figures of issue 11's placement finding. */
function balance(plan: Plan, hostCount: number) {
  const perHost = new Map<string, number>();
  const perZone = new Map<string, number>();
  for (const s of plan.ensembles.flatMap((e) => e.servers)) {
    perHost.set(s.host.name, (perHost.get(s.host.name) ?? 0) + 1);
    perZone.set(s.host.labels.zone ?? '', (perZone.get(s.host.labels.zone ?? '') ?? 0) + 1);
  }
  const loads = [...perHost.values()];
  return {
    emptyHosts: hostCount - perHost.size,
    hostsWithTwoOrMore: loads.filter((n) => n >= 2).length,
    mostOnOneHost: Math.max(...loads),
    zoneServersMin: Math.min(...perZone.values()),
    zoneServersMax: Math.max(...perZone.values()),
  };
}

const text = generatedInventory(HOSTS, ENSEMBLES);
const times: { load: number; plan: number }[] = [];
let servers = 0;
let last: Plan | undefined;
for (let r = 0; r < RUNS; r++) {
  const t0 = performance.now();
  const inv = loadInventory(text, 'generated.yml');
  const t1 = performance.now();
  const plan = planInventory(inv);
  const t2 = performance.now();
  servers = plan.ensembles.reduce((n, e) => n + e.servers.length, 0);
  last = plan;
  times.push({ load: t1 - t0, plan: t2 - t1 });
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const result = {
  hosts: HOSTS,
  ensembles: ENSEMBLES,
  servers,
  inventoryBytes: text.length,
  runs: RUNS,
  medianLoadMs: Math.round(median(times.map((t) => t.load))),
  medianPlanMs: Math.round(median(times.map((t) => t.plan))),
  medianTotalMs: Math.round(median(times.map((t) => t.load + t.plan))),
  ...balance(last!, HOSTS),
};
console.log(JSON.stringify(result));
