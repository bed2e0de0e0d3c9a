// The identity files' bytes, read before ssh2 is loaded: whether any credential can be offered at
// all decides whether the TCP connection is opened early (ssh-connect.ts), and a host without one
// must never be dialled. Synchronous: small local files.
import { readFileSync } from 'node:fs';
import type { SshTarget } from './ssh-target.js';

export type IdentityFile = { file: string; data: Buffer } | { file: string; unreadable: string };

/** Every identity file of the target in order, with its bytes or why it cannot be read. */
export function readIdentityFiles(target: SshTarget): IdentityFile[] {
  return target.identityFiles.map((file) => {
    try {
      return { file, data: readFileSync(file) };
    } catch (err) {
      return { file, unreadable: (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : (err as Error).message };
    }
  });
}

/** False when there is neither an agent nor a readable identity file: the connect fails without dialling. */
export function mayAuthenticate(target: SshTarget, identities: readonly IdentityFile[]): boolean {
  return target.agentSocket !== undefined || identities.some((i) => 'data' in i);
}
