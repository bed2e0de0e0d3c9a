// The Docker secrets a secured ensemble's services mount under Swarm (pure): which files a server
// reads, the secret each lives in, and where it is mounted. Secrets are immutable, so a secret's
// name carries a digest of its content when it is known (apply: an HMAC, src/security/material.ts):
// new material gets new names, which changes the service spec and so rolls the server. A render
// knows no content and names the secrets without a digest.
import { UsageError } from '../common/problems.js';
import type { Profile } from '../inventory/types.js';
import { SECRET_FILES, SECRETS_MOUNT, secretsOwner, usesSasl, usesTls, type SecurityPlan } from '../plan/security.js';
import type { SpecSecret } from './spec.js';

/** What apply knows about a server's secret files: their digests (the names) and their fingerprint (a label). */
export interface SwarmSpecSecrets {
  digestOf(server: string, file: string): string;
  fingerprintOf(server: string): string;
}

/** Docker's limit on a secret's name. */
const MAX_NAME = 64;
/** Files every server of the ensemble reads alike: one secret for them all. */
const SHARED: readonly string[] = [SECRET_FILES.trustStore, SECRET_FILES.jaas];
/** Read by the server only: `r--------`. */
export const SECRET_MODE = 0o400;

/** The files a server of this security reads from SECRETS_MOUNT. */
export function secretFilesOf(s: SecurityPlan): string[] {
  return [...(usesTls(s) ? [SECRET_FILES.keyStore, SECRET_FILES.trustStore] : []), ...(usesSasl(s) ? [SECRET_FILES.jaas] : [])];
}

/** `<ensemble>_<server>_<file>[_<digest>]`, or `<ensemble>_<file>[_<digest>]` for a file every server shares. */
export function swarmSecretName(ensemble: string, server: string, file: string, digest?: string): string {
  const name = [ensemble, ...(SHARED.includes(file) ? [] : [server]), file, ...(digest !== undefined ? [digest] : [])].join('_');
  if (name.length > MAX_NAME) throw new UsageError(`Docker secret name ${name} is longer than ${MAX_NAME} characters: shorten ensemble ${ensemble}'s name (or its server names)`);
  return name;
}

/** A server's secrets as its service mounts them: at the paths the host target mounts its files, owned by the image's ZooKeeper user. */
export function swarmSecretMounts(ensemble: string, server: string, security: SecurityPlan, profile: Profile, known?: SwarmSpecSecrets): SpecSecret[] {
  const owner = String(secretsOwner(profile) ?? 0);
  return secretFilesOf(security).map((file) => ({
    name: swarmSecretName(ensemble, server, file, known?.digestOf(server, file)),
    target: `${SECRETS_MOUNT}/${file}`,
    uid: owner,
    gid: owner,
    mode: SECRET_MODE,
  }));
}
