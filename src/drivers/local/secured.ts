// `up --local` of a secured ensemble: the key material zkplan keeps beside the inventory
// (src/security/material.ts), copied per server into `.zkplan/<ensemble>/local-secrets/<server>/`
// beside it (directories 0700, files 0600, handed to the image's uid when zkplan runs as root),
// which the server's container mounts read-only; verify speaks TLS with zkplan's own client
// certificate when the client port is TLS only. The local engine is this machine's, so a local
// directory is what it mounts: no secret passes through a command line or the environment.
import { rmSync } from 'node:fs';
import path from 'node:path';
import type { Inventory } from '../../inventory/types.js';
import { secretsOwner } from '../../plan/security.js';
import type { EnsemblePlan } from '../../plan/types.js';
import type { SpecSecrets } from '../../rollout/server-specs.js';
import { KEPT_MATERIAL, materialOf } from '../../security/material.js';
import { writeServerSecrets, type WrittenSecrets } from '../../security/secrets-dir.js';
import type { Dial } from '../../verify/dial.js';
import { clientPortDial } from '../../verify/tls-dial.js';

export interface LocalSecured {
  secrets: SpecSecrets;
  written: WrittenSecrets;
  /** how verify reaches the client ports */
  dial(plain: Dial): Dial;
}

/** Where up --local keeps the servers' copies of an ensemble's secrets. */
export function localSecretsRoot(inventoryFile: string, ensemble: string): string {
  return path.join(path.dirname(path.resolve(inventoryFile)), '.zkplan', ensemble, 'local-secrets');
}

/** The secured ensemble's files written for its servers (made or reused first), or undefined when it has no security. */
export async function prepareLocalSecrets(inventory: Inventory, e: EnsemblePlan, note: (message: string) => void): Promise<LocalSecured | undefined> {
  const material = await materialOf(inventory, e, note);
  if (!material || !e.security) return undefined;
  const root = localSecretsRoot(inventory.file, e.name);
  const written = writeServerSecrets(root, material, secretsOwner(e.profile));
  note(`${e.name}: secrets for ${written.dirs.length} servers in ${root} (mounted read-only${written.owner !== undefined ? `, owned by uid ${written.owner}` : ''})`);
  if (written.chownHint) note(`${e.name}: the image reads its secrets as another uid than zkplan runs as: ${written.chownHint}`);
  const security = e.security;
  return {
    secrets: { sourceOf: (_host, server) => path.join(root, server), fingerprintOf: (server) => material.servers.get(server)?.fingerprint ?? KEPT_MATERIAL },
    written,
    dial: (plain) => clientPortDial(plain, security, material.client),
  };
}

/**
 * For `down`: the specs' secrets mounts without the material (down needs only the servers'
 * names), and the removal of the servers' copies once their containers are gone. The material
 * itself stays in its own directory for the next up.
 */
export function localSecretsForDown(inventoryFile: string, ensemble: string): { secrets: SpecSecrets; remove(): string } {
  const root = localSecretsRoot(inventoryFile, ensemble);
  return {
    secrets: { sourceOf: (_host, server) => path.join(root, server) },
    remove: () => {
      rmSync(root, { recursive: true, force: true });
      return root;
    },
  };
}
