// known_hosts as OpenSSH reads it: parsing, lookup and fingerprints. Pure; reading and
// appending the files is host-key-policy.ts's job.

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { matchesPatternList } from './patterns.js';

export interface KnownHostEntry {
  marker?: 'revoked' | 'cert-authority';
  /** Host patterns (plain lines) or undefined for a hashed line. */
  patterns?: string[];
  hashed?: { salt: Buffer; hash: Buffer };
  keyType: string;
  keyBlob: Buffer;
  file?: string;
  line: number;
}

export type HostKeyCheck =
  | { status: 'match' }
  | { status: 'unknown' }
  | { status: 'changed'; expected: string; presented: string; entry: KnownHostEntry }
  | { status: 'revoked'; presented: string; entry: KnownHostEntry };

/** Malformed lines are skipped, as ssh does; a broken line must not hide the good ones. */
export function parseKnownHosts(text: string, file?: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0]?.startsWith('@')) {
      const m = fields.shift()!;
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else return;
    }
    const [hosts, keyType, base64] = fields;
    if (hosts === undefined || keyType === undefined || base64 === undefined) return;
    const keyBlob = Buffer.from(base64, 'base64');
    if (keyBlob.length === 0 || blobKeyType(keyBlob) !== keyType) return;
    const entry: KnownHostEntry = { keyType, keyBlob, line: i + 1 };
    if (marker !== undefined) entry.marker = marker;
    if (file !== undefined) entry.file = file;
    const hashed = /^\|1\|([^|]+)\|([^|]+)$/.exec(hosts);
    if (hashed) entry.hashed = { salt: Buffer.from(hashed[1]!, 'base64'), hash: Buffer.from(hashed[2]!, 'base64') };
    else entry.patterns = hosts.split(',');
    entries.push(entry);
  });
  return entries;
}

/** Name under which OpenSSH stores a host: bare for port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

export function entryMatchesHost(entry: KnownHostEntry, host: string, port: number): boolean {
  const name = knownHostsName(host, port);
  if (entry.hashed) {
    const digest = createHmac('sha1', entry.hashed.salt).update(name).digest();
    return digest.length === entry.hashed.hash.length && timingSafeEqual(digest, entry.hashed.hash);
  }
  // OpenSSH lower-cases the looked-up name; our pattern matching is already case-insensitive.
  return matchesPatternList(entry.patterns ?? [], [name]);
}

export function checkHostKey(
  entries: readonly KnownHostEntry[],
  host: string,
  port: number,
  keyType: string,
  keyBlob: Buffer,
): HostKeyCheck {
  // cert-authority lines vouch for certificates, which zkplan does not verify; they neither
  // accept nor contradict a plain host key.
  const relevant = entries.filter((e) => e.marker !== 'cert-authority' && entryMatchesHost(e, host, port));
  const revoked = relevant.find((e) => e.marker === 'revoked' && e.keyBlob.equals(keyBlob));
  if (revoked) return { status: 'revoked', presented: fingerprint(keyBlob), entry: revoked };
  const plain = relevant.filter((e) => e.marker === undefined);
  if (plain.some((e) => e.keyBlob.equals(keyBlob))) return { status: 'match' };
  // Only a different key of the same type is a change: a server offering a second key type
  // we have not seen yet is "unknown", exactly as OpenSSH treats it.
  const sameType = plain.find((e) => e.keyType === keyType);
  if (sameType) return { status: 'changed', expected: fingerprint(sameType.keyBlob), presented: fingerprint(keyBlob), entry: sameType };
  return { status: 'unknown' };
}

/** Key types already recorded for a host, so the handshake can ask the server for one of them. */
export function knownKeyTypes(entries: readonly KnownHostEntry[], host: string, port: number): string[] {
  const types = entries.filter((e) => e.marker === undefined && entryMatchesHost(e, host, port)).map((e) => e.keyType);
  return [...new Set(types)];
}

/** OpenSSH's `SHA256:` fingerprint: unpadded base64 of the SHA-256 of the key blob. */
export function fingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

export function knownHostsLine(host: string, port: number, keyType: string, keyBlob: Buffer): string {
  return `${knownHostsName(host, port)} ${keyType} ${keyBlob.toString('base64')}`;
}

/** The key type is the first string inside the SSH wire-format blob. */
export function blobKeyType(keyBlob: Buffer): string | undefined {
  if (keyBlob.length < 4) return undefined;
  const len = keyBlob.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > keyBlob.length) return undefined;
  return keyBlob.subarray(4, 4 + len).toString('latin1');
}
