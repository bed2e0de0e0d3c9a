// Decides whether to trust the key a server presents: known → go on, changed or revoked →
// refuse (always; that is what a man in the middle looks like), unknown → refuse unless the
// user asked for --accept-new-host-keys, then record it like StrictHostKeyChecking=accept-new.

import { readFileSync } from 'node:fs';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { OperationalError } from '../common/problems.js';
import {
  blobKeyType,
  checkHostKey,
  fingerprint,
  knownHostsLine,
  knownKeyTypes,
  parseKnownHosts,
  type KnownHostEntry,
} from './known-hosts.js';

/** Synchronous, like planAuth: small local files, read before the handshake starts. */
export function loadKnownHosts(files: readonly string[]): KnownHostEntry[] {
  const all: KnownHostEntry[] = [];
  for (const file of files) {
    try {
      all.push(...parseKnownHosts(readFileSync(file, 'utf8'), file));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new OperationalError(`cannot read known_hosts file ${file}: ${(err as Error).message}`);
      }
    }
  }
  return all;
}

export async function appendKnownHost(file: string, line: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  let existing = '';
  try {
    existing = await readFile(file, 'utf8');
  } catch {
    // a new file
  }
  const separator = existing === '' || existing.endsWith('\n') ? '' : '\n';
  await appendFile(file, `${separator}${line}\n`, { mode: 0o600 });
}

export interface HostKeyVerification {
  /** Where the key is looked up: the address ssh connects to, and its port. */
  address: string;
  port: number;
  knownHostsFiles: readonly string[];
  entries: readonly KnownHostEntry[];
  acceptNew: boolean;
  /** Prefix for messages, e.g. `h2 (10.200.0.12:22)`. */
  label: string;
}

/** Returns undefined to accept the key, or the error that explains the refusal. */
export async function verifyHostKey(v: HostKeyVerification, keyBlob: Buffer): Promise<OperationalError | undefined> {
  const keyType = blobKeyType(keyBlob) ?? 'unknown';
  const check = checkHostKey(v.entries, v.address, v.port, keyType, keyBlob);
  switch (check.status) {
    case 'match':
      return undefined;
    case 'changed':
      return new OperationalError(
        `${v.label}: host key changed: expected ${check.expected}, got ${check.presented} (${keyType}); ` +
          `if the host was really reinstalled, remove the old key from ${where(check.entry)} and retry` +
          `${v.acceptNew ? '' : ' with --accept-new-host-keys'}`,
      );
    case 'revoked':
      return new OperationalError(`${v.label}: host key ${check.presented} is marked @revoked in ${where(check.entry)}`);
    case 'unknown': {
      const presented = fingerprint(keyBlob);
      if (!v.acceptNew) {
        const files = v.knownHostsFiles.length > 0 ? v.knownHostsFiles.join(', ') : '(no known_hosts file)';
        return new OperationalError(
          `${v.label}: unknown host key ${presented} (${keyType}), not in ${files}; ` +
            `verify it and add it, or rerun with --accept-new-host-keys`,
        );
      }
      const file = v.knownHostsFiles[0];
      if (file !== undefined) {
        try {
          await appendKnownHost(file, knownHostsLine(v.address, v.port, keyType, keyBlob));
        } catch (err) {
          return new OperationalError(`${v.label}: cannot record host key in ${file}: ${(err as Error).message}`);
        }
      }
      return undefined;
    }
  }
}

const HOST_KEY_ALGORITHMS: Record<string, string[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};
const DEFAULT_ORDER = Object.values(HOST_KEY_ALGORITHMS).flat();

/**
 * Like OpenSSH, ask first for a key type we already know for this host: a server with both an
 * ed25519 and an RSA key would otherwise look "unknown" whenever we happened to record the other.
 */
export function preferredHostKeyAlgorithms(v: Pick<HostKeyVerification, 'entries' | 'address' | 'port'>): string[] | undefined {
  const known = knownKeyTypes(v.entries, v.address, v.port).flatMap((t) => HOST_KEY_ALGORITHMS[t] ?? []);
  if (known.length === 0) return undefined;
  return [...new Set([...known, ...DEFAULT_ORDER])];
}

function where(entry: KnownHostEntry): string {
  return `${entry.file ?? 'known_hosts'}:${entry.line}`;
}
