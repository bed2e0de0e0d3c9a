// The container spec of every server of an ensemble, for one target. Everything that makes or
// describes a server's container (docker run argv, the pushed run.sh, the run-scripts and stack
// renders) and its config hash come from these values, so they cannot drift apart.
import type { DesiredServer } from '../engine/driver.js';
import type { EnsemblePlan, ServerPlan } from '../plan/types.js';
import { containerEnvironment, dataMounts, imageProfile, stateDirs } from '../render/profiles/index.js';
import { addressingFor } from '../render/server-line.js';
import type { HostAddressing } from '../render/types.js';
import { swarmConstraint } from '../plan/constraints.js';
import { publishAddress } from '../render/text.js';
import { UsageError } from '../common/problems.js';
import { SECRETS_MOUNT } from '../plan/security.js';
import { phaseLabel } from '../plan/security-phases.js';
import { swarmSecretMounts, type SwarmSpecSecrets } from './swarm-secrets.js';
import { configHash, LABEL_ENSEMBLE, LABEL_HASH, LABEL_PORTS, LABEL_SECURITY, LABEL_SECURITY_PHASE, LABEL_SERVER, type ContainerSpec, type SpecMount, type SpecNetwork, type SpecPort } from './spec.js';

/** The zoo.cfg key of the super-user digest (QuorumPeerConfig makes unknown keys `zookeeper.<key>` system properties). */
export const SUPER_DIGEST_KEY = 'DigestAuthenticationProvider.superDigest';

/** Marks what `up --local` made, so `down` never touches containers `zkplan apply` or a user made. */
export const LABEL_LOCAL = 'io.zkplan.local';

/**
 * Where the servers run:
 * - `host`: a Docker engine per inventory host (apply over SSH, run scripts): data in the
 *   inventory's data_dir (bind mounts); host networking, or one host's user-defined network.
 * - `local`: `up --local`, one engine: data in named volumes `<container>-<state dir>`, so the
 *   ensemble lives entirely inside the engine and `down --purge-data` is `docker volume rm`.
 * - `swarm`: one service per server, named volumes beside the node it is pinned to.
 */
export interface SpecTarget {
  kind: 'host' | 'local' | 'swarm';
  /** --set host addresses (renders) */
  overrides?: Record<string, string>;
  /** Renders only: host addresses as `${ZOOKEEPER_k}` variables, and how addresses written out are escaped (compose `$$`). */
  hostAddress?: HostAddressing;
  literal?: (value: string) => string;
  /**
   * A secured ensemble's key material and secrets (host and local targets): the directory each
   * server's files are in on its host (pushed by apply, written by up --local or render -o;
   * mounted read-only at SECRETS_MOUNT) and their fingerprint (a label: new material rolls the
   * server; renders, which never see the material, have none).
   */
  secrets?: SpecSecrets;
  /**
   * A reconfig ensemble's super-user digest (`super:<base64 sha1>`, src/security/super-digest.ts;
   * apply on the host target only): a zoo.cfg entry, which ZooKeeper turns into the system
   * property zookeeper.DigestAuthenticationProvider.superDigest, so it is on no command line.
   */
  superDigest?: string;
  /** Swarm apply: the digests that name a secured ensemble's Docker secrets (a render names them without). */
  swarmSecrets?: SwarmSpecSecrets;
}

export interface SpecSecrets {
  sourceOf(host: string, server: string): string;
  fingerprintOf?(server: string): string;
}

/** The label set every container, network and volume of one local ensemble carries. */
export function ownerLabels(ensemble: string): Record<string, string> {
  return { [LABEL_ENSEMBLE]: ensemble, [LABEL_LOCAL]: 'true' };
}

/** One spec per server, with its hash label, in plan order. Swarm servers are named `<stack>_<key>`. */
export function desiredServers(ensemble: EnsemblePlan, target: SpecTarget): DesiredServer[] {
  return ensemble.servers.map((s) => {
    const spec = serverSpec(ensemble, s, target);
    // Under dynamic reconfiguration the servers' own membership moves on without a restart (a
    // `reconfig` changes it, `conf` shows it): their containers keep the list they were created
    // with. The hash leaves the peers out, so a changed list alone rolls no one; the membership
    // is compared through `conf` (src/engine/membership.ts). A roll for any other change makes
    // the container with the plan's current list, which is then the right one.
    const hash = configHash(ensemble.settings.reconfig ? serverSpec(ensemble, ownLineOnly(s), target) : spec);
    return {
      serverId: s.id,
      role: s.role,
      host: target.kind === 'local' ? 'local' : s.host.name,
      name: target.kind === 'swarm' ? `${ensemble.name}_${s.name}` : s.name,
      spec: { ...spec, labels: { ...spec.labels, [LABEL_HASH]: hash } },
      configHash: hash,
    };
  });
}

/** The server as its hash sees it under reconfig: its own server line (address, ports, role) and no peer's. */
function ownLineOnly(s: ServerPlan): ServerPlan {
  return { ...s, config: { ...s.config, servers: s.config.servers.filter((e) => e.id === s.id) } };
}

function serverSpec(plan: EnsemblePlan, s: ServerPlan, target: SpecTarget): ContainerSpec {
  const e = target.superDigest === undefined ? plan : { ...plan, settings: { ...plan.settings, zooCfg: [...plan.settings.zooCfg, [SUPER_DIGEST_KEY, target.superDigest] as [string, string]] } };
  // Swarm carries them as Docker secrets (swarmSecrets); host and local mount a directory (secrets).
  if (e.security && target.kind !== 'swarm' && target.secrets === undefined) throw new UsageError(securityRefusal(e, target));
  const profile = imageProfile(e.profile);
  const env = containerEnvironment(s, e, addressingFor(e, target.hostAddress ?? 'resolved', target.overrides ?? {}, target.literal));
  const hostNetwork = e.network === 'host';
  const memory = e.settings.memoryBytes;
  const base = { name: s.name, image: e.image, env, restart: 'always' as const, ...(memory !== undefined ? { memoryBytes: memory } : {}) };
  const ids = { [LABEL_ENSEMBLE]: e.name, [LABEL_SERVER]: String(s.id) };
  switch (target.kind) {
    case 'host': {
      const owner = profile.runAsUid !== undefined ? { owner: profile.runAsUid } : {};
      const mounts: SpecMount[] = dataMounts(profile, s).map((m) => ({ kind: 'bind', source: m.source, target: m.target, ...owner }));
      // Under host networking the container holds its ports on the host itself: preflight tells them from a stranger's.
      // The client port comes first: probes read it there while a change of client port rolls out.
      const { client, ...others } = s.ports;
      const ports = [client, ...Object.values(others).filter((p): p is number => p !== undefined)];
      const labels: Record<string, string> = hostNetwork ? { ...ids, [LABEL_PORTS]: ports.join(',') } : ids;
      const secured = securedMount(e, s, target);
      return { ...base, ...singleHostNetworking(e, s), labels: { ...labels, ...secured.labels }, mounts: [...mounts, ...secured.mounts] };
    }
    case 'local': {
      const secured = securedMount(e, s, target);
      return { ...base, ...singleHostNetworking(e, s), labels: { ...ownerLabels(e.name), [LABEL_SERVER]: ids[LABEL_SERVER], ...secured.labels }, mounts: [...namedVolumes(e, s), ...secured.mounts] };
    }
    case 'swarm': {
      const overlay = !hostNetwork;
      const network: SpecNetwork = overlay ? { kind: 'named', name: dockerNetwork(e).name, dnsrr: true } : { kind: 'host' };
      // Host networking already exposes the client port on the host's own address; on the overlay it is published in host mode.
      const ports: SpecPort[] = overlay ? [{ published: s.ports.client, target: s.ports.client }] : [];
      const labels: Record<string, string> = { ...ids };
      // Key material and secrets: Docker secrets, mounted where the host target mounts its files.
      const secrets = e.security ? swarmSecretMounts(e.name, s.name, e.security, e.profile, target.swarmSecrets) : undefined;
      if (e.security) {
        if (target.swarmSecrets) labels[LABEL_SECURITY] = target.swarmSecrets.fingerprintOf(s.name);
        labels[LABEL_SECURITY_PHASE] = phaseLabel(e.security, s.ports.secureClient);
      }
      return { ...base, ...(overlay ? { hostname: s.name } : {}), network, ports, labels, mounts: namedVolumes(e, s), placement: swarmConstraint(s.constraint), ...(secrets ? { secrets } : {}) };
    }
  }
}

/** A secured server's secrets directory, mounted read-only, and the labels saying which material and step it runs. */
function securedMount(e: EnsemblePlan, s: ServerPlan, target: SpecTarget): { mounts: SpecMount[]; labels: Record<string, string> } {
  if (!e.security || !target.secrets) return { mounts: [], labels: {} };
  const labels: Record<string, string> = {};
  if (target.secrets.fingerprintOf) labels[LABEL_SECURITY] = target.secrets.fingerprintOf(s.name);
  labels[LABEL_SECURITY_PHASE] = phaseLabel(e.security, s.ports.secureClient);
  return { mounts: [{ kind: 'bind', source: target.secrets.sourceOf(s.host.name, s.name), target: SECRETS_MOUNT, readOnly: true }], labels };
}

/** Why a secured ensemble cannot be made for this target: its secrets would have no safe way to the servers. */
function securityRefusal(e: EnsemblePlan, target: SpecTarget): string {
  const what = target.kind === 'local' ? 'up --local' : 'a rendered file (it would have to carry the key material and passwords)';
  return `ensemble ${e.name} has a security block: its key material and secrets reach the servers only through zkplan apply on the host target (SFTP into a root-only directory, mounted read-only) or as Docker secrets of a Swarm stack, not through ${what}`;
}

/** Host networking, or a single host's user-defined network (bridge, links, static-ip) with the client port published. */
function singleHostNetworking(e: EnsemblePlan, s: ServerPlan): Pick<ContainerSpec, 'hostname' | 'network' | 'ports'> {
  if (e.network === 'host') return { network: { kind: 'host' }, ports: [] };
  if (e.network === 'overlay') throw new Error(`internal error: ensemble ${e.name} on an overlay network has no single-host container`);
  if (e.network === 'static-ip' && s.staticIp === undefined) throw new Error(`internal error: server ${s.name} of ensemble ${e.name} has no static IP`);
  const links =
    e.network === 'links'
      ? e.servers
          .filter((p) => p.id !== s.id)
          .map((p) => {
            if (p.linkAlias === undefined) throw new Error(`internal error: server ${p.name} of ensemble ${e.name} has no link alias`);
            return `${p.name}:${p.linkAlias}`;
          })
      : undefined;
  const network: SpecNetwork = { kind: 'named', name: dockerNetwork(e).name, ...(e.network === 'static-ip' ? { ip: s.staticIp! } : {}), ...(links ? { links } : {}) };
  const ports: SpecPort[] = s.publishedClientPort !== undefined ? [{ address: publishAddress(e), published: s.publishedClientPort, target: s.ports.client }] : [];
  return { hostname: s.name, network, ports };
}

function namedVolumes(e: EnsemblePlan, s: ServerPlan): SpecMount[] {
  return stateDirs(imageProfile(e.profile), e).map((d) => ({ kind: 'volume', source: `${s.name}-${d.name}`, target: d.target }));
}

function dockerNetwork(e: EnsemblePlan) {
  if (e.dockerNetwork === undefined) throw new Error(`internal error: ensemble ${e.name} has network ${e.network} but no docker network`);
  return e.dockerNetwork;
}
