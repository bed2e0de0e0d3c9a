// What `zkplan up --local` runs for a single-host ensemble, as data: one container per server on
// the plan's Docker network, with a hash of everything that, when changed, needs a new container.
import { createHash } from 'node:crypto';
import type { EnsemblePlan } from '../../plan/types.js';
import { containerEnvironment, imageProfile, stateDirs } from '../../render/profiles/index.js';
import { portMapping, publishAddress } from '../../render/text.js';
import type { LocalContainerSpec } from '../../remote/commands/docker-local.js';
import type { RolloutInput } from '../../rollout/rollout.js';
import { LABEL_ENSEMBLE, LABEL_HASH, LABEL_SERVER } from '../../rollout/desired.js';
import { endpoint } from '../../verify/dial.js';
import type { Member } from '../../verify/types.js';

/** Marks what `up --local` made, so `down` never touches containers `zkplan apply` or a user made. */
export const LABEL_LOCAL = 'io.zkplan.local';

/** The label set every container, network and volume of one local ensemble carries. */
export function ownerLabels(ensemble: string): Record<string, string> {
  return { [LABEL_ENSEMBLE]: ensemble, [LABEL_LOCAL]: 'true' };
}

export interface LocalContainer extends RolloutInput, LocalContainerSpec {}

/**
 * Data lives in named volumes (`<container>-data`, …), not in the inventory's data_dir: the
 * ensemble then lives entirely inside the engine (nothing root-owned left in the user's file
 * system, and engines sharing one file system, as the lab's do, cannot collide), and
 * `down --purge-data` is `docker volume rm`.
 */
export function localContainers(ensemble: EnsemblePlan): LocalContainer[] {
  const net = ensemble.dockerNetwork;
  if (net === undefined) throw new Error(`internal error: ensemble ${ensemble.name} has network ${ensemble.network} but no docker network`);
  const profile = imageProfile(ensemble.profile);
  const address = publishAddress(ensemble);
  return ensemble.servers.map((s) => {
    const spec: LocalContainerSpec = {
      name: s.name,
      hostname: s.name,
      image: ensemble.image,
      network: net.name,
      ...(s.staticIp !== undefined ? { ip: s.staticIp } : {}),
      links:
        ensemble.network === 'links'
          ? ensemble.servers.filter((p) => p.id !== s.id).map((p) => `${p.name}:${p.linkAlias ?? p.name}`)
          : [],
      ...(s.publishedClientPort !== undefined ? { publish: portMapping(address, s.publishedClientPort, s.ports.client) } : {}),
      volumes: stateDirs(profile, ensemble).map((d) => ({ name: `${s.name}-${d.name}`, target: d.target })),
      env: containerEnvironment(s, ensemble, { hostAddress: 'resolved', overrides: {} }),
      labels: {},
    };
    const configHash = createHash('sha256').update(JSON.stringify({ ...spec, restart: 'always' })).digest('hex').slice(0, 16);
    spec.labels = { ...ownerLabels(ensemble.name), [LABEL_SERVER]: String(s.id), [LABEL_HASH]: configHash };
    return { ...spec, serverId: s.id, role: s.role, host: 'local', configHash };
  });
}

/** Verify dials the published client ports; an unspecified publish address is reached on loopback. */
export function localMembers(ensemble: EnsemblePlan): Member[] {
  const published = publishAddress(ensemble);
  const address = published === '0.0.0.0' ? '127.0.0.1' : published === '::' ? '::1' : published;
  return ensemble.servers.map((s) => {
    if (s.publishedClientPort === undefined) throw new Error(`internal error: server ${s.name} of ensemble ${ensemble.name} publishes no client port`);
    return { id: s.id, role: s.role, address, port: s.publishedClientPort };
  });
}

export function connectString(members: readonly Member[]): string {
  return members.map((m) => endpoint(m.address, m.port)).join(',');
}
