// Which credentials to offer, in ssh's order: the agent's keys, then the identity files.
// zkplan never prompts, so an encrypted key is only usable through the agent. Synchronous: the
// files are small and local, and the handshake starts sooner without a round trip through the
// thread pool (and before the modules a command loads while it runs).

import ssh2 from 'ssh2';
import type { AnyAuthMethod, ParsedKey } from 'ssh2';
import { readIdentityFiles, type IdentityFile } from './identity-files.js';
import type { SshTarget } from './ssh-target.js';

export interface AuthPlan {
  methods: AnyAuthMethod[];
  /** What could not be offered, appended to an "authentication refused" message. */
  notes: string[];
  /**
   * Set when nothing at all can be offered; no SSH session is attempted. (Without an agent or a
   * readable identity file the host is not even dialled; a key found encrypted only once parsed
   * closes the TCP connection dialled early, unused.)
   */
  fatal?: string;
}

/** `identities`: the files as readIdentityFiles read them (read again when not given). */
export function planAuth(target: SshTarget, identities: readonly IdentityFile[] = readIdentityFiles(target)): AuthPlan {
  const methods: AnyAuthMethod[] = [];
  const notes: string[] = [];
  const encrypted: string[] = [];
  if (target.agentSocket !== undefined) methods.push({ type: 'agent', username: target.user, agent: target.agentSocket });
  for (const identity of identities) {
    const file = identity.file;
    if (!('data' in identity)) {
      notes.push(`identity file ${file}: ${identity.unreadable}`);
      continue;
    }
    const parsed = ssh2.utils.parseKey(identity.data);
    if (parsed instanceof Error) {
      if (/encrypted|passphrase/i.test(parsed.message)) {
        encrypted.push(file);
        if (target.agentSocket === undefined) notes.push(`identity file ${file} is encrypted and no ssh-agent is running (SSH_AUTH_SOCK unset)`);
      } else {
        notes.push(`identity file ${file}: ${parsed.message}`);
      }
      continue;
    }
    const key: ParsedKey | undefined = Array.isArray(parsed) ? parsed[0] : parsed;
    if (key === undefined || !key.isPrivateKey()) {
      notes.push(`identity file ${file} does not contain a private key`);
      continue;
    }
    methods.push({ type: 'publickey', username: target.user, key });
  }
  if (methods.length > 0) return { methods, notes };
  const fatal =
    encrypted.length > 0
      ? `identity file ${encrypted.join(', ')} is encrypted and no ssh-agent is available (SSH_AUTH_SOCK unset); ` +
        `zkplan does not prompt for passphrases: start ssh-agent and run ssh-add ${encrypted[0]}`
      : `no ssh-agent (SSH_AUTH_SOCK unset) and no usable identity file` +
        (notes.length > 0 ? ` (${notes.join('; ')})` : ` (tried ${target.identityFiles.join(', ') || 'none: no default key in ~/.ssh'})`);
  return { methods, notes, fatal };
}
