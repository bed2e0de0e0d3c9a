// What `zkplan up --local` runs for a single-host ensemble, in the shape the local deploy code
// reads: each server's container spec (src/rollout/server-specs.ts, target local).
import type { DesiredServer } from '../../engine/driver.js';
import type { EnsemblePlan } from '../../plan/types.js';
import { publishAddress } from '../../render/text.js';
import { desiredServers } from '../../rollout/server-specs.js';
import { endpoint } from '../../verify/dial.js';
import type { Member } from '../../verify/types.js';

export { LABEL_LOCAL, ownerLabels } from '../../rollout/server-specs.js';

/** Each server's container on the local engine: named volumes `<container>-<state dir>`, the plan's network. */
export function localContainers(ensemble: EnsemblePlan): DesiredServer[] {
  return desiredServers(ensemble, { kind: 'local' });
}

/** Where the published client ports are reached: an unspecified publish address on loopback. */
export function clientAddress(ensemble: EnsemblePlan): string {
  const published = publishAddress(ensemble);
  return published === '0.0.0.0' ? '127.0.0.1' : published === '::' ? '::1' : published;
}

/** Verify dials the published client ports. */
export function localMembers(ensemble: EnsemblePlan): Member[] {
  const address = clientAddress(ensemble);
  return ensemble.servers.map((s) => {
    if (s.publishedClientPort === undefined) throw new Error(`internal error: server ${s.name} of ensemble ${ensemble.name} publishes no client port`);
    return { id: s.id, role: s.role, address, port: s.publishedClientPort };
  });
}

export function connectString(members: readonly Member[]): string {
  return members.map((m) => endpoint(m.address, m.port)).join(',');
}
