// What `zkplan up --local` runs for a single-host ensemble, in the shape the local deploy code
// reads: each server's container spec (src/rollout/server-specs.ts, target local).
import type { DesiredServer } from '../../engine/driver.js';
import type { EnsemblePlan } from '../../plan/types.js';
import { publishedReachAddress } from '../../render/text.js';
import { desiredServers, type SpecSecrets } from '../../rollout/server-specs.js';
import { endpoint } from '../../verify/dial.js';
import type { Member } from '../../verify/types.js';

export { LABEL_LOCAL, ownerLabels } from '../../rollout/server-specs.js';

/** Each server's container on the local engine: named volumes `<container>-<state dir>`, the plan's network (and a secured one's secrets, read-only). */
export function localContainers(ensemble: EnsemblePlan, secrets?: SpecSecrets): DesiredServer[] {
  return desiredServers(ensemble, { kind: 'local', ...(secrets ? { secrets } : {}) });
}

/** Verify dials the published client ports; an unspecified publish address is reached on loopback. */
export function localMembers(ensemble: EnsemblePlan): Member[] {
  const address = publishedReachAddress(ensemble);
  return ensemble.servers.map((s) => {
    if (s.publishedClientPort === undefined) throw new Error(`internal error: server ${s.name} of ensemble ${ensemble.name} publishes no client port`);
    return { id: s.id, role: s.role, address, port: s.publishedClientPort };
  });
}

export function connectString(members: readonly Member[]): string {
  return members.map((m) => endpoint(m.address, m.port)).join(',');
}
