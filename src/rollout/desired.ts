// What each host should run under `zkplan apply`, in the shape the host deploy code reads: the
// server's container spec (src/rollout/server-specs.ts) with the env file it is run from.
import type { DesiredServer } from '../engine/driver.js';
import type { EnsemblePlan } from '../plan/types.js';
import type { EnvPair } from '../render/profiles/types.js';
import { desiredServers, type SpecSecrets } from './server-specs.js';

export { LABEL_ENSEMBLE, LABEL_HASH, LABEL_PORTS, LABEL_SERVER } from './spec.js';

/** zkplan's record of an ensemble on each host: env files, run script. */
export function ensembleStateDir(stateRoot: string, ensemble: string): string {
  return `${stateRoot.replace(/\/+$/, '')}/${ensemble}`;
}

/** Where a secured server's key material and secrets are pushed on its host (root-only; mounted read-only). */
export function secretsDirPath(stateRoot: string, ensemble: string, server: string): string {
  return `${secretsRootPath(stateRoot, ensemble)}/${server}`;
}

export function secretsRootPath(stateRoot: string, ensemble: string): string {
  return `${ensembleStateDir(stateRoot, ensemble)}/secrets`;
}

/** The env file a host server's container is run from (`docker run --env-file`). */
export function envFilePath(stateRoot: string, ensemble: string, server: string): string {
  return `${ensembleStateDir(stateRoot, ensemble)}/${server}.env`;
}

export interface DesiredContainer extends DesiredServer {
  /** the env file pushed to the host, read by `docker run --env-file` */
  envFile: string;
}

/** `stateDirOf` gives each host's state directory (hosts may differ). */
export function desiredContainers(ensemble: EnsemblePlan, stateDirOf: (host: string) => string, overrides: Record<string, string> = {}, secrets?: SpecSecrets, superDigest?: string): DesiredContainer[] {
  return desiredServers(ensemble, { kind: 'host', overrides, ...(secrets ? { secrets } : {}), ...(superDigest !== undefined ? { superDigest } : {}) }).map((d) => ({
    ...d,
    envFile: envFilePath(stateDirOf(d.host), ensemble.name, d.name),
  }));
}

/** `docker run --env-file` reads KEY=VALUE lines verbatim: no quoting, no newlines allowed. */
export function envFileContent(env: readonly EnvPair[]): string {
  for (const [k, v] of env) {
    if (/[\r\n]/.test(k + v)) throw new Error(`environment entry ${k} contains a line break`);
  }
  return env.map(([k, v]) => `${k}=${v}\n`).join('');
}
