// Small text rules shared by the targets.
import { formatMiB, MIB } from '../plan/settings.js';
import type { EnsemblePlan } from '../plan/types.js';

/** Comment text stays one line whatever a value contains. */
export function oneLine(s: string): string {
  return s.replace(/[\p{Cc}\u2028\u2029]/gu, '?');
}

/**
 * Compose and the Aliyun console interpolate `$` in every value; literals are written `$$`.
 * Only values zkplan writes as variables on purpose (`${ZOOKEEPER_k}`) keep a single `$`.
 */
export function composeLiteral(s: string): string {
  return s.replace(/\$/g, '$$$$');
}

/** Host address client ports are published on (single-host networks). */
export function publishAddress(ensemble: EnsemblePlan): string {
  return ensemble.publishAddress ?? '127.0.0.1';
}

/** `[host:]published:target`, IPv6 host addresses in brackets as Docker expects; no address: every address. */
export function portMapping(address: string | undefined, published: number, target: number): string {
  if (address === undefined) return `${published}:${target}`;
  const host = address.includes(':') ? `[${address}]` : address;
  return `${host}:${published}:${target}`;
}

/** A container's memory limit as compose files write it (`2g`, `1536m`), or null for none. */
export function memoryLimit(limited: { memoryBytes?: number }): string | null {
  const bytes = limited.memoryBytes;
  return bytes === undefined ? null : formatMiB(Math.floor(bytes / MIB));
}

export function serverRange(ensemble: EnsemblePlan): string {
  const vars = ensemble.servers.map((s) => s.variable);
  return vars.length <= 3 ? vars.join(', ') : `${vars[0]} .. ${vars[vars.length - 1]}`;
}
