// Planning time for a generated 10,000-host / 2,000-ensemble inventory (median of runs).
import { stringify } from 'yaml';
import { loadInventory } from '../src/inventory/load.js';
import { planInventory } from '../src/plan/plan.js';

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

const text = generatedInventory(HOSTS, ENSEMBLES);
const times: { load: number; plan: number }[] = [];
let servers = 0;
for (let r = 0; r < RUNS; r++) {
  const t0 = performance.now();
  const inv = loadInventory(text, 'generated.yml');
  const t1 = performance.now();
  const plan = planInventory(inv);
  const t2 = performance.now();
  servers = plan.ensembles.reduce((n, e) => n + e.servers.length, 0);
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
};
console.log(JSON.stringify(result));
