// At apply: the JVM heaps placed on one host must fit in its memory, or the kernel's OOM killer
// picks a server (an OOM-killed server corrupted its data in langfuse/langfuse-k8s#311).
// Pure: the preflight reads MemTotal with memoryInfo() (src/remote/commands/host.ts) and asks here.
import { formatMiB, MIB } from '../plan/settings.js';
import type { EnsemblePlan } from '../plan/types.js';

/** Bytes of `MemTotal:` in /proc/meminfo text (the kernel writes kB = KiB), or undefined. */
export function memTotalBytes(meminfo: string): number | undefined {
  const m = /^MemTotal:\s+(\d+)\s+kB\s*$/m.exec(meminfo);
  return m ? Number(m[1]) * 1024 : undefined;
}

/**
 * The problem with `host`'s memory, or undefined when its servers' heaps fit. Counts the heaps
 * the inventory sets or derives, of every ensemble given (all those that will run on the host,
 * not only the one being applied); servers on the image's default heap are not counted.
 */
export function heapsOverHostMemory(ensembles: readonly EnsemblePlan[], host: string, memTotal: number): string | undefined {
  const heaps = ensembles.flatMap((e) =>
    e.settings.heapMiB === undefined ? [] : e.servers.filter((s) => s.host.name === host).map((s) => ({ server: s.name, heap: e.settings.heapMiB! })),
  );
  const total = heaps.reduce((sum, h) => sum + h.heap, 0);
  if (total * MIB <= memTotal) return undefined;
  const list = heaps.map((h) => `${h.server} ${formatMiB(h.heap)}`).join(', ');
  return `the heaps on host ${host} add up to ${formatMiB(total)} (${list}) but the host has ${formatMiB(Math.floor(memTotal / MIB))} of memory: lower heap or memory, or place fewer servers there`;
}
