// Small text rules shared by the targets.
import { endpoint } from '../common/address.js';
import { formatMiB, MIB } from '../plan/settings.js';
import type { EnsemblePlan } from '../plan/types.js';
import { dataMounts, imageProfile } from './profiles/index.js';

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

/** The address a client on the Docker host reaches the published ports by: an unspecified publish address on loopback. */
export function publishedReachAddress(ensemble: EnsemblePlan): string {
  const published = publishAddress(ensemble);
  return published === '0.0.0.0' ? '127.0.0.1' : published === '::' ? '::1' : published;
}

/** `[host:]published:target`, IPv6 host addresses in brackets as Docker expects; no address: every address. */
export function portMapping(address: string | undefined, published: number, target: number): string {
  if (address === undefined) return `${published}:${target}`;
  return `${endpoint(address, published)}:${target}`;
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

/**
 * Header lines for targets that bind-mount host directories: Docker creates a missing one
 * owned by root, which an image with a fixed non-root user cannot write.
 */
export function dataOwnerNotes(e: EnsemblePlan): string[] {
  const profile = imageProfile(e.profile);
  if (profile.runAsUid === undefined) return [];
  const byHost = new Map<string, string[]>();
  for (const s of e.servers) byHost.set(s.host.name, [...(byHost.get(s.host.name) ?? []), ...dataMounts(profile, s).map((m) => m.source)]);
  const where = [...byHost].map(([host, dirs]) => `on ${host}: ${dirs.join(' ')}`).join('; ');
  return [`The image runs as uid ${profile.runAsUid}: before starting, create its data directories owned by it (mkdir -p DIR && chown ${profile.runAsUid} DIR), ${where}.`];
}
