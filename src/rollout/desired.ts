// What each host should run, as data: the container a server needs under host networking,
// with a hash of everything that, when changed, requires re-creating the container.
import { createHash } from 'node:crypto';
import type { EnsemblePlan, ServerPlan } from '../plan/types.js';
import { containerEnvironment, dataMounts, imageProfile } from '../render/profiles/index.js';
import type { EnvPair } from '../render/profiles/types.js';

export const LABEL_ENSEMBLE = 'io.zkplan.ensemble';
export const LABEL_SERVER = 'io.zkplan.server-id';
export const LABEL_HASH = 'io.zkplan.config-hash';
/** the ports the container listens on (host networking), so preflight knows which busy ports are its own */
export const LABEL_PORTS = 'io.zkplan.ports';

/** zkplan's record of an ensemble on each host: env files, run script, plan. */
export function ensembleStateDir(stateRoot: string, ensemble: string): string {
  return `${stateRoot.replace(/\/+$/, '')}/${ensemble}`;
}

export interface Mount {
  source: string;
  target: string;
}

export interface DesiredContainer {
  serverId: number;
  role: ServerPlan['role'];
  host: string;
  name: string;
  image: string;
  env: EnvPair[];
  mounts: Mount[];
  /** container memory limit (docker run --memory) */
  memoryBytes?: number;
  labels: Record<string, string>;
  configHash: string;
  /** the env file pushed to the host, read by `docker run --env-file` */
  envFile: string;
}

/** `stateDirOf` gives each host's state directory (hosts may differ). */
export function desiredContainers(ensemble: EnsemblePlan, stateDirOf: (host: string) => string, overrides: Record<string, string> = {}): DesiredContainer[] {
  const profile = imageProfile(ensemble.profile);
  return ensemble.servers.map((server) => {
    const dir = ensembleStateDir(stateDirOf(server.host.name), ensemble.name);
    const env = containerEnvironment(server, ensemble, { hostAddress: 'resolved', overrides });
    const mounts = dataMounts(profile, server);
    const memoryBytes = ensemble.settings.memoryBytes;
    const hashed = { image: ensemble.image, network: 'host', restart: 'always', name: server.name, env, mounts, ...(memoryBytes !== undefined ? { memoryBytes } : {}) };
    const configHash = createHash('sha256').update(JSON.stringify(hashed)).digest('hex').slice(0, 16);
    return {
      serverId: server.id,
      role: server.role,
      host: server.host.name,
      name: server.name,
      image: ensemble.image,
      env,
      mounts,
      ...(memoryBytes !== undefined ? { memoryBytes } : {}),
      labels: {
        [LABEL_ENSEMBLE]: ensemble.name,
        [LABEL_SERVER]: String(server.id),
        [LABEL_HASH]: configHash,
        [LABEL_PORTS]: Object.values(server.ports)
          .filter((p): p is number => p !== undefined)
          .join(','),
      },
      configHash,
      envFile: `${dir}/${server.name}.env`,
    };
  });
}

/** `docker run --env-file` reads KEY=VALUE lines verbatim: no quoting, no newlines allowed. */
export function envFileContent(env: EnvPair[]): string {
  for (const [k, v] of env) {
    if (/[\r\n]/.test(k + v)) throw new Error(`environment entry ${k} contains a line break`);
  }
  return env.map(([k, v]) => `${k}=${v}\n`).join('');
}
