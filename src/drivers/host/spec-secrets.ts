// How a secured ensemble's servers find their key material on the host target: the directory
// apply pushes each server's files to (mounted read-only) and their fingerprint (a label). One
// place for the planned servers (HostDriver) and each step of a membership change.
import { reloadsCertificates } from '../../plan/security.js';
import type { SecurityPlan } from '../../plan/types.js';
import { secretsDirPath } from '../../rollout/desired.js';
import type { SpecSecrets } from '../../rollout/server-specs.js';
import { KEPT_MATERIAL, type EnsembleMaterial } from '../../security/material.js';

export { KEPT_MATERIAL };

/**
 * A server that reloads its certificates (src/plan/security.ts) is labelled with the fingerprint
 * of what it cannot reload (CA, JAAS file): a renewed certificate alone then changes no config
 * hash, and apply reloads it instead of restarting the server.
 */
export function hostSpecSecrets(ensemble: string, stateDirOf: (host: string) => string, material: EnsembleMaterial, security: SecurityPlan | undefined): SpecSecrets {
  const reload = reloadsCertificates(security);
  return {
    sourceOf: (host, server) => secretsDirPath(stateDirOf(host), ensemble, server),
    fingerprintOf: (server) => {
      const m = material.servers.get(server);
      return m === undefined ? KEPT_MATERIAL : reload ? m.restartFingerprint : m.fingerprint;
    },
  };
}

/**
 * The file beside a server's secrets that names (by HMAC) the certificate it was last proven to
 * present: written when it was (re)started with them or presented them after a reload.
 */
export const CERTIFICATE_MARKER = 'certificate.hmac';
