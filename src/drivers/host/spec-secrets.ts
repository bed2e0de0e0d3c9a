// How a secured ensemble's servers find their key material on the host target: the directory
// apply pushes each server's files to (mounted read-only) and their fingerprint (a label). One
// place for the planned servers (HostDriver) and each step of a membership change.
import { secretsDirPath } from '../../rollout/desired.js';
import type { SpecSecrets } from '../../rollout/server-specs.js';
import { KEPT_MATERIAL, type EnsembleMaterial } from '../../security/material.js';

export { KEPT_MATERIAL };

export function hostSpecSecrets(ensemble: string, stateDirOf: (host: string) => string, material: EnsembleMaterial): SpecSecrets {
  return {
    sourceOf: (host, server) => secretsDirPath(stateDirOf(host), ensemble, server),
    fingerprintOf: (server) => material.servers.get(server)?.fingerprint ?? KEPT_MATERIAL,
  };
}
