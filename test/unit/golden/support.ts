// Test support for the renderers: plans from inline inventories through the real loader and
// planner, and running rendered scripts without Docker.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadInventory } from '../../../src/inventory/load.js';
import { planInventory } from '../../../src/plan/plan.js';
import type { EnsemblePlan } from '../../../src/plan/types.js';
import { inventoryFrom } from '../helpers/inventory.js';

/** The one ensemble of an inventory given as data. */
export function planOf(data: object): EnsemblePlan {
  const plan = planInventory(inventoryFrom(data));
  if (plan.ensembles.length !== 1) throw new Error(`expected one ensemble, got ${plan.ensembles.length}`);
  return plan.ensembles[0]!;
}

/** The one ensemble of an inventory file (paths relative to the repository root). */
export function planOfFile(path: string): EnsemblePlan {
  const plan = planInventory(loadInventory(readFileSync(path, 'utf8'), path));
  return plan.ensembles[0]!;
}

/** A deep copy to mutate into plans no inventory can produce (hostile values, broken invariants). */
export function clonePlan(e: EnsemblePlan): EnsemblePlan {
  return structuredClone(e);
}

const CALL = '\u0001CALL';

/**
 * Every `docker` invocation a run script makes, as argv arrays (mkdir and chown do nothing). docker is a shell function that
 * prints its argv and succeeds, except `docker network inspect`: the network does not exist yet.
 */
export function dockerCalls(script: string): string[][] {
  const prelude =
    `docker() { printf '%s\\0' '${CALL}'; for a in "$@"; do printf '%s\\0' "$a"; done; ` +
    `[ "$1 \${2-}" != 'network inspect' ]; }\nmkdir() { :; }\nchown() { :; }\n`;
  const out = execFileSync('sh', ['-c', prelude + script], { encoding: 'utf8' });
  const calls: string[][] = [];
  for (const word of out.split('\0').slice(0, -1)) {
    if (word === CALL) calls.push([]);
    else calls[calls.length - 1]!.push(word);
  }
  return calls;
}

/** `sh -n`: the script parses. Throws with the shell's message otherwise. */
export function shellSyntaxCheck(script: string): void {
  execFileSync('sh', ['-n'], { input: script, stdio: ['pipe', 'pipe', 'pipe'] });
}

export interface CaseSpec {
  profile: 'aliyun' | 'official' | 'bitnami';
  network: 'host' | 'overlay' | 'bridge' | 'links' | 'static-ip';
  image?: string;
  version?: string;
  servers?: number;
  observers?: number;
  ports?: { client?: number; quorum?: number; election?: number; admin?: number };
  adminServer?: boolean;
  hostCount?: number;
  /** production settings, as inventory keys (heap, memory, autopurge, data_log_dir, ...) */
  settings?: Record<string, unknown>;
}

export const PROFILE_IMAGES = {
  aliyun: { image: 'registry.aliyuncs.com/acs-sample/zookeeper:3.4.8', version: '3.4.8' },
  official: { image: 'zookeeper:3.9.4', version: '3.9.4' },
  bitnami: { image: 'bitnamilegacy/zookeeper:3.8.4', version: '3.8.4' },
} as const;

/** An inventory with hosts h1..hN in zones a/b/c, pinned by aliyun.node_index. */
export function caseInventory(c: CaseSpec): object {
  const servers = c.servers ?? 3;
  const observers = c.observers ?? 0;
  const hostCount = c.hostCount ?? servers + observers;
  const defaults = PROFILE_IMAGES[c.profile];
  return {
    hosts: Array.from({ length: hostCount }, (_, k) => ({
      name: `h${k + 1}`,
      address: `192.0.2.${k + 11}`,
      labels: { 'aliyun.node_index': k + 1, zone: `zone-${'abc'[k % 3]}` },
    })),
    ensembles: [
      {
        name: 'zk',
        servers,
        observers,
        image: c.image ?? defaults.image,
        profile: c.profile,
        zookeeper_version: c.version ?? defaults.version,
        network: c.network,
        ...(c.ports ? { ports: c.ports } : {}),
        ...(c.adminServer === undefined ? {} : { admin_server: c.adminServer }),
        data_dir: '/var/lib/zkplan',
        placement: { pin_label: 'aliyun.node_index' },
        ...(c.settings ?? {}),
        ...(c.network === 'host' ? {} : { docker_network: { name: c.network === 'static-ip' ? 'bar' : 'zknet' } }),
      },
    ],
  };
}
