// The stack zkplan deploys for an ensemble, as data: the swarm target's rendering with every
// host address resolved (`docker stack deploy` reads no .env), each service labelled with the
// config hash of its container spec (target swarm) so that a later apply can tell, per service,
// what changed.
import YAML from 'yaml';
import type { EnsemblePlan } from '../../plan/types.js';
import { imageProfile, renderTarget, type Templates } from '../../render/index.js';
import { stateDirs } from '../../render/profiles/index.js';
import { desiredServers } from '../../rollout/server-specs.js';
import type { SwarmSpecSecrets } from '../../rollout/swarm-secrets.js';

export interface StackService {
  serverId: number;
  role: 'participant' | 'observer';
  /** the service's key in the stack file */
  key: string;
  /** the Swarm service name: `<stack>_<key>` */
  service: string;
  /** inventory host the plan puts it on */
  host: string;
  configHash: string;
  /** named volumes as Docker names them on the node (`<stack>_<volume>`) */
  volumes: string[];
}

export interface DesiredStack {
  stack: string;
  services: StackService[];
  /** the whole stack file */
  content: string;
  /** the stack file with only the given service keys (networks and their volumes kept) */
  subset(keys: readonly string[]): string;
}

/** `secrets`: apply's digests of a secured ensemble's material, which name its Docker secrets. */
export function desiredStack(ensemble: EnsemblePlan, templates: Templates, secrets?: SwarmSpecSecrets): DesiredStack {
  const stack = ensemble.name;
  const rendered = renderTarget('swarm', ensemble, { set: {}, resolve: true }, templates).find((f) => f.path === 'docker-stack.yml');
  if (!rendered) throw new Error('internal error: the swarm target rendered no docker-stack.yml');
  const doc = YAML.parseDocument(rendered.content);
  const profile = imageProfile(ensemble.profile);
  const specs = desiredServers(ensemble, { kind: 'swarm', ...(secrets ? { swarmSecrets: secrets } : {}) });
  const allSecrets = new Map<string, { external: true; name: string }>();
  const services = ensemble.servers.map((s, i) => {
    const { configHash, spec } = specs[i]!;
    const labels = spec.labels;
    // Service labels say what the service was deployed from; the same labels on the
    // container let zkplan see on a node that the new task (not the old one) is running.
    doc.setIn(['services', s.name, 'deploy', 'labels'], doc.createNode(labels));
    doc.setIn(['services', s.name, 'labels'], doc.createNode(labels));
    // The secrets' names with the digests of what they hold (the render names them without).
    if (spec.secrets) {
      doc.setIn(['services', s.name, 'secrets'], doc.createNode(spec.secrets.map((x) => ({ source: x.name, target: x.target, uid: x.uid, gid: x.gid, mode: x.mode }))));
      for (const x of spec.secrets) allSecrets.set(x.name, { external: true, name: x.name });
    }
    return {
      serverId: s.id,
      role: s.role,
      key: s.name,
      service: `${stack}_${s.name}`,
      host: s.host.name,
      configHash,
      volumes: stateDirs(profile, ensemble).map((d) => `${stack}_${s.name}-${d.name}`),
    };
  });
  if (allSecrets.size > 0) doc.set('secrets', doc.createNode(Object.fromEntries(allSecrets)));
  const content = doc.toString();
  return {
    stack,
    services,
    content,
    subset(keys) {
      const part = doc.clone();
      const all = part.get('services') as YAML.YAMLMap;
      for (const k of services.map((x) => x.key)) if (!keys.includes(k)) all.delete(k);
      const volumes = part.get('volumes') as YAML.YAMLMap | undefined;
      if (volumes) {
        for (const item of [...volumes.items]) {
          const name = String((item.key as YAML.Scalar).value);
          if (!keys.some((k) => name.startsWith(`${k}-`))) volumes.delete(name);
        }
        if (volumes.items.length === 0) part.delete('volumes');
      }
      return part.toString();
    },
  };
}

